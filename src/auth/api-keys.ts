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

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  let out = "";
  for (const b of new Uint8Array(digest)) out += b.toString(16).padStart(2, "0");
  return out;
}

export const keyStorageName = (hash: string): string => `apikey:${hash}`;

/** Checks a stored record at time `now`; returns the identity or why it is refused. */
export function checkRecord(raw: unknown, now: number): Identity | KeyFailure {
  const parsed = KeyRecordSchema.safeParse(raw);
  if (!parsed.success) return "corrupt_record";
  const rec: KeyRecord = parsed.data;
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
 * Per-isolate cache of KV lookups, keyed by the key's hash (never the key). Bounded, and
 * short-lived so a revocation written to KV is honoured within KEY_CACHE_MS plus KV's own
 * propagation; docs/auth.md states the bound.
 */
export const KEY_CACHE_MS = 10_000;
const KEY_CACHE_MAX = 10_000;
const keyCache = new Map<string, { raw: unknown; at: number }>();

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

/** Resolves a presented key through KV (cached per isolate). */
export async function verifyApiKey(kv: KVNamespace, key: string | undefined, now: number): Promise<Identity | KeyFailure> {
  if (key === undefined || key === "") return "missing";
  // Prefix and checksum: a mistyped or invented key costs no hashing and no KV read.
  if (!isWellFormedKey(key)) return "malformed";
  const hash = await sha256Hex(key);
  let entry = keyCache.get(hash);
  if (entry === undefined || now - entry.at >= KEY_CACHE_MS) {
    entry = { raw: await readRecord(kv, hash), at: now };
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.delete(hash);
    keyCache.set(hash, entry);
  }
  if (entry.raw === null) return "unknown";
  // Expiry is checked against `now` on every request, cached or not.
  const result = checkRecord(entry.raw, now);
  if (typeof result !== "string") result.keyHash = hash;
  return result;
}
