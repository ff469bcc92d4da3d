/**
 * Loads the active rules document from KV (and, when bound, the rules signal Durable Object)
 * and caches it per isolate.
 *
 * - No document was ever pushed (KV key absent): the bundled defaults apply.
 * - A pushed document fails validation: it is ignored, the last valid one stays.
 * - Nothing valid at all (invalid document and a fresh isolate, or KV unreadable with an
 *   empty cache): fail closed with 503 `rules_unavailable` and one error log line.
 *
 * A pushed change reaches a running isolate within `RULES_TTL_MS` plus KV's own cache time
 * (`cacheTtl`, 30 s, the minimum KV allows) and propagation; when it was also signalled
 * through the gateway (src/rules/signal.ts), within `RULES_TTL_MS` plus one Durable Object
 * round trip. Each push carries a sequence number (`seq` in `rules:current_meta`): the
 * document with the higher seq wins, KV on a tie. docs/rules.md states the bounds.
 */
import { GatewayError } from "../errors";
import { DEFAULT_RULES } from "./defaults";
import { RulesDocumentSchema, type RulesDocument } from "./schema";
import type { RulesSignalSource, SignalSince } from "./signal";

export const RULES_KEY = "rules:current";
/** Version, hash, push time and push sequence number of `RULES_KEY`, written with it by `npm run rules`. */
export const RULES_META_KEY = "rules:current_meta";
/** Longest wait for the rules signal object; past it the refresh uses KV alone. */
export const SIGNAL_TIMEOUT_MS = 1_000;
export const RULES_TTL_MS = 15_000;
/** KV edge cache time of the read (`cacheTtl`); part of the propagation bound in docs/rules.md. */
export const KV_CACHE_TTL_S = 30;

export interface RulesState {
  doc: RulesDocument;
  /** The document's own version id. */
  version: string;
  /** First 16 hex digits of SHA-256 over the stored text: identifies the exact content. */
  hash: string;
  source: "bundled" | "kv" | "signal";
}

interface Cache {
  /** The rules in force (the last valid ones). */
  state: RulesState | undefined;
  /** Raw text last seen in KV, so an unchanged document is not re-validated. */
  raw: string | null | undefined;
  /** What that text validated to (undefined: invalid), and its hash. */
  kvState: RulesState | undefined;
  rawHash: string | undefined;
  /** The highest signal seq seen (valid or not), asked for with `since`. */
  signalSeq: number;
  /** The newest valid signalled document. */
  signal: { seq: number; state: RulesState } | undefined;
  fetchedAt: number;
}

const emptyCache = (): Cache => ({ state: undefined, raw: undefined, kvState: undefined, rawHash: undefined, signalSeq: 0, signal: undefined, fetchedAt: 0 });
let cache: Cache = emptyCache();
let bundled: Promise<RulesState> | undefined;
/** Signal failures are logged once per run of failures, not once per refresh. */
let signalFailing = false;

/** For tests: forget everything this isolate has cached. */
export function resetRulesCache(): void {
  cache = emptyCache();
  signalFailing = false;
}

/** The next request re-reads the rules (the cached ones stay in force until then). */
export function expireRulesCache(): void {
  cache.fetchedAt = Number.NEGATIVE_INFINITY;
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

/** The push seq `rules:current_meta` gives the KV text hashed `hash`: 0 when absent, without seq, or about another text. */
export function metaSeq(metaText: string | null, hash: string | undefined): number {
  if (metaText === null || hash === undefined) return 0;
  try {
    const meta = JSON.parse(metaText) as { seq?: unknown; hash?: unknown } | null;
    // KV keys propagate separately: a meta that describes another text says nothing about this one.
    if (meta === null || typeof meta !== "object" || meta.hash !== hash) return 0;
    return typeof meta.seq === "number" && Number.isSafeInteger(meta.seq) && meta.seq > 0 ? meta.seq : 0;
  } catch {
    return 0;
  }
}

/** Asks the signal object, never failing: undefined on an error or after `SIGNAL_TIMEOUT_MS`. */
async function askSignal(signal: RulesSignalSource, knownSeq: number): Promise<SignalSince | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), SIGNAL_TIMEOUT_MS);
    });
    const answer = await Promise.race([signal.since(knownSeq), timeout]);
    signalFailing = false;
    return answer;
  } catch (err) {
    if (!signalFailing) console.error(`aigis: the rules signal could not be read (${err instanceof Error ? err.message : "error"}); using KV alone`);
    signalFailing = true;
    return undefined;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Records what the signal object answered: a newer valid document replaces the cached one, an invalid one is ignored. */
async function takeSignal(answer: SignalSince | undefined): Promise<void> {
  if (answer === undefined || answer.text === undefined || answer.seq <= cache.signalSeq) return;
  cache.signalSeq = answer.seq;
  const state = await parseRules(answer.text, "signal");
  if (state !== undefined) cache.signal = { seq: answer.seq, state };
}

/**
 * The rules in force for this request. Throws `rules_unavailable` when none is valid.
 * `signal` is the rules signal object (absent: KV alone, as before it existed).
 */
export async function getRules(kv: KVNamespace, now: number, signal?: RulesSignalSource): Promise<RulesState> {
  if (cache.state !== undefined && now - cache.fetchedAt < RULES_TTL_MS) return cache.state;

  const asked = signal === undefined ? Promise.resolve(undefined) : askSignal(signal, cache.signalSeq);
  let raw: string | null;
  let metaText: string | null;
  try {
    [raw, metaText] = await Promise.all([
      kv.get(RULES_KEY, { type: "text", cacheTtl: KV_CACHE_TTL_S }),
      kv.get(RULES_META_KEY, { type: "text", cacheTtl: KV_CACHE_TTL_S }),
    ]);
  } catch {
    await asked; // settles the call (it never throws); KV decides, as before the signal existed
    if (cache.state !== undefined) return cache.state; // stale but valid beats none
    console.error("aigis: rules could not be read from KV and none are cached; failing closed");
    throw new GatewayError("rules_unavailable", { detail: "kv read failed" });
  }
  await takeSignal(await asked);

  if (raw !== cache.raw || cache.raw === undefined) {
    cache.kvState = raw === null ? await bundledRules() : await parseRules(raw, "kv");
    cache.rawHash = raw === null ? undefined : (cache.kvState?.hash ?? (await hashText(raw)));
    cache.raw = raw;
  }
  const kvSeq = metaSeq(metaText, cache.rawHash);
  const signalled = cache.signal;
  // The higher seq wins, KV on a tie; an invalid KV text keeps the last valid rules.
  const next = signalled !== undefined && signalled.seq > kvSeq ? signalled.state : (cache.kvState ?? (cache.state === undefined ? signalled?.state : undefined));
  if (next !== undefined) cache.state = next;
  cache.fetchedAt = now;
  if (cache.state === undefined) {
    throw new GatewayError("rules_unavailable", { detail: "no valid rules document" });
  }
  return cache.state;
}
