/**
 * API key verification: the presented key is hashed (SHA-256) and looked up in KV.
 * Pure parts (extraction, hashing, record checks) are separate from the KV read.
 */
import { GatewayError } from "../errors";
import { isWellFormedKey } from "./key-format";
import { KeyRecordSchema, type Identity, type KeyRecord } from "./identity";


export type KeyFailure = "missing" | "malformed" | "unknown" | "revoked" | "expired" | "corrupt_record";

/**
 * The credential from `Authorization: Bearer` (what OpenAI SDKs send) or `x-api-key`.
 * Never from the query string: URLs end up in logs and browser histories.
 */
export function extractKey(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth !== null) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? "";
  }
  const x = headers.get("x-api-key");
  return x === null ? undefined : x.trim();
}

/** SHA-256 (hex) of a string's UTF-8 bytes, or of bytes as given (uploaded files). */
export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", typeof input === "string" ? new TextEncoder().encode(input) : input);
  let out = "";
  for (const b of new Uint8Array(digest)) out += b.toString(16).padStart(2, "0");
  return out;
}

export const keyStorageName = (hash: string): string => `apikey:${hash}`;

/** Checks a stored record at time `now`; returns the identity or why it is refused. */
export function checkRecord(raw: unknown, now: number): Identity | KeyFailure {
  return checkParsed(parseRecord(raw), now);
}

function parseRecord(raw: unknown): KeyRecord | "corrupt" {
  const parsed = KeyRecordSchema.safeParse(raw);
  return parsed.success ? parsed.data : "corrupt";
}

function checkParsed(rec: KeyRecord | "corrupt", now: number): Identity | KeyFailure {
  if (rec === "corrupt") return "corrupt_record";
  if (rec.revoked === true) return "revoked";
  if (rec.expires !== undefined) {
    const t = Date.parse(rec.expires);
    // An unparseable expiry is treated as expired: fail closed.
    if (!Number.isFinite(t) || t <= now) return "expired";
  }
  const identity: Identity = { clientId: rec.client_id, tenant: rec.tenant, plan: rec.plan, scopes: rec.scopes, method: "api_key" };
  if (rec.models !== undefined) identity.models = rec.models;
  return identity;
}

/**
 * Per-isolate cache of KV lookups. It is keyed by the presented key itself so that a warm
 * request costs one Map lookup instead of a SHA-256 (keys never leave this isolate's memory;
 * KV and logs only ever see the hash). Bounded, and short-lived so a revocation written to KV
 * is honoured within KEY_CACHE_MS plus KV's own propagation; the client's Durable Object
 * refuses a revoked key at once regardless (docs/auth.md).
 */
export const KEY_CACHE_MS = 10_000;
const KEY_CACHE_MAX = 10_000;
const keyCache = new Map<string, { hash: string; rec: KeyRecord | "corrupt" | null; at: number }>();

/** For tests: forget cached key records. */
export function resetKeyCache(): void {
  keyCache.clear();
}

/** The stored record; unparseable JSON counts as a corrupt record (refused), KV failure as 503. */
async function readRecord(kv: KVNamespace, hash: string): Promise<unknown> {
  let text: string | null;
  try {
    text = await kv.get(keyStorageName(hash), "text");
  } catch {
    throw new GatewayError("auth_unavailable", { detail: "key store read failed" });
  }
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { corrupt: true };
  }
}

/**
 * A stored key by its hash, read from KV now (not from this isolate's cache): for
 * credentials that outlive a request, such as dashboard sessions (src/dashboard).
 */
export async function verifyKeyHash(kv: KVNamespace, hash: string, now: number): Promise<Identity | KeyFailure> {
  const raw = await readRecord(kv, hash);
  if (raw === null) return "unknown";
  const result = checkRecord(raw, now);
  if (typeof result !== "string") result.keyHash = hash;
  return result;
}

/** Resolves a presented key through KV (cached per isolate). */
export async function verifyApiKey(kv: KVNamespace, key: string | undefined, now: number): Promise<Identity | KeyFailure> {
  if (key === undefined || key === "") return "missing";
  // Prefix and checksum: a mistyped or invented key costs no hashing and no KV read.
  if (!isWellFormedKey(key)) return "malformed";
  let entry = keyCache.get(key);
  if (entry === undefined || now - entry.at >= KEY_CACHE_MS) {
    const hash = entry?.hash ?? (await sha256Hex(key));
    const raw = await readRecord(kv, hash);
    entry = { hash, rec: raw === null ? null : parseRecord(raw), at: now };
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.delete(key);
    keyCache.set(key, entry);
  }
  const hash = entry.hash;
  if (entry.rec === null) return "unknown";
  // Revocation and expiry are checked against `now` on every request, cached or not.
  const result = checkParsed(entry.rec, now);
  if (typeof result !== "string") result.keyHash = hash;
  return result;
}
