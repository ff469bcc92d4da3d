/**
 * Loads the active rules document from KV and caches it per isolate.
 *
 * - No document was ever pushed (KV key absent): the bundled defaults apply.
 * - A pushed document fails validation: it is ignored, the last valid one stays.
 * - Nothing valid at all (invalid document and a fresh isolate, or KV unreadable with an
 *   empty cache): fail closed with 503 `rules_unavailable` and one error log line.
 *
 * A pushed change reaches a running isolate within `RULES_TTL_MS` plus KV's own cache time
 * (`cacheTtl`, 30 s, the minimum KV allows); docs/rules.md states the bound.
 */
import { GatewayError } from "../errors";
import { DEFAULT_RULES } from "./defaults";
import { RulesDocumentSchema, type RulesDocument } from "./schema";

export const RULES_KEY = "rules:current";
export const RULES_TTL_MS = 15_000;
/** KV edge cache time of the read (`cacheTtl`); part of the propagation bound in docs/rules.md. */
export const KV_CACHE_TTL_S = 30;

export interface RulesState {
  doc: RulesDocument;
  /** The document's own version id. */
  version: string;
  /** First 16 hex digits of SHA-256 over the stored text: identifies the exact content. */
  hash: string;
  source: "bundled" | "kv";
}

interface Cache {
  state: RulesState | undefined;
  /** Raw text last seen in KV, so an unchanged document is not re-validated. */
  raw: string | null | undefined;
  fetchedAt: number;
}

let cache: Cache = { state: undefined, raw: undefined, fetchedAt: 0 };
let bundled: Promise<RulesState> | undefined;

/** For tests: forget everything this isolate has cached. */
export function resetRulesCache(): void {
  cache = { state: undefined, raw: undefined, fetchedAt: 0 };
}

/** The content hash of a stored document: first 16 hex digits of SHA-256 over its exact text. */
export async function hashText(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(d.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Parses and validates a document's text; undefined when invalid (reasons are logged). */
export async function parseRules(text: string, source: RulesState["source"]): Promise<RulesState | undefined> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    console.error("aigis: pushed rules document is not JSON; keeping the last valid rules");
    return undefined;
  }
  const parsed = RulesDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    console.error(`aigis: pushed rules document is invalid (${where}); keeping the last valid rules`);
    return undefined;
  }
  return { doc: parsed.data, version: parsed.data.version, hash: await hashText(text), source };
}

function bundledRules(): Promise<RulesState> {
  bundled ??= parseRules(JSON.stringify(DEFAULT_RULES), "bundled").then((s) => {
    if (s === undefined) throw new Error("bundled rules do not validate");
    return s;
  });
  return bundled;
}

/** The rules in force for this request. Throws `rules_unavailable` when none is valid. */
export async function getRules(kv: KVNamespace, now: number): Promise<RulesState> {
  if (cache.state !== undefined && now - cache.fetchedAt < RULES_TTL_MS) return cache.state;

  let raw: string | null;
  try {
    raw = await kv.get(RULES_KEY, { type: "text", cacheTtl: KV_CACHE_TTL_S });
  } catch {
    if (cache.state !== undefined) return cache.state; // stale but valid beats none
    console.error("aigis: rules could not be read from KV and none are cached; failing closed");
    throw new GatewayError("rules_unavailable", { detail: "kv read failed" });
  }

  if (raw !== cache.raw || cache.state === undefined) {
    const next = raw === null ? await bundledRules() : await parseRules(raw, "kv");
    if (next !== undefined) cache.state = next;
    cache.raw = raw;
  }
  cache.fetchedAt = now;
  if (cache.state === undefined) {
    throw new GatewayError("rules_unavailable", { detail: "no valid rules document" });
  }
  return cache.state;
}
