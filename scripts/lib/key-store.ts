/**
 * API key records in CONFIG_KV, read and written through wrangler (./wrangler-kv.ts) under
 * the same names, hash and schema the Worker uses (src/auth): `apikey:<sha256 hex>` holding a
 * `KeyRecordSchema` record. Every write is validated first, so nothing is stored that the
 * gateway would refuse as corrupt.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { keyStorageName, sha256Hex } from "../../src/auth/api-keys";
import { KeyRecordSchema } from "../../src/auth/identity";
import { isWellFormedKey } from "../../src/auth/key-format";
import { keyIdOf, type Location } from "./keys-cli";
import { kvBulkGet, kvList, kvPut, type KvTarget } from "./wrangler-kv";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The state directory `npm start` (wrangler dev) uses. */
export const LOCAL_STATE_DIR = ".wrangler/state";
const BINDING = "CONFIG_KV";
const NAME_PREFIX = keyStorageName("");
const HASH_NAME = new RegExp(`^${NAME_PREFIX}([0-9a-f]{64})$`);

/** The wrangler target for a parsed `--remote/--env/--config/--persist-to`. */
export function targetFor(where: Location): KvTarget {
  return {
    binding: BINDING,
    remote: where.remote,
    env: where.env,
    config: resolve(where.config),
    persistTo: where.persistTo === undefined ? join(ROOT, LOCAL_STATE_DIR) : resolve(where.persistTo),
    cwd: ROOT,
  };
}

/** A human description of the target, for messages. */
export function describeTarget(t: KvTarget): string {
  const env = t.env === undefined ? "" : `, env ${t.env}`;
  return t.remote ? `remote ${t.binding}${env}` : `local ${t.binding} (${t.persistTo}${env})`;
}

/** Hashes of every stored key. Names under the prefix that are not a hash are counted, not returned. */
export async function listKeyHashes(t: KvTarget): Promise<{ hashes: string[]; ignored: number; truncated: boolean }> {
  const { names, truncated } = await kvList(t, NAME_PREFIX);
  const hashes: string[] = [];
  for (const name of names) {
    const m = HASH_NAME.exec(name);
    if (m !== null) hashes.push(m[1] as string);
  }
  return { hashes, ignored: names.length - hashes.length, truncated };
}

/** Stored record text by hash (`null` if gone), in one wrangler call locally. */
export async function readRecords(t: KvTarget, hashes: readonly string[]): Promise<Map<string, string | null>> {
  const values = await kvBulkGet(t, hashes.map(keyStorageName));
  return new Map(hashes.map((h) => [h, values.get(keyStorageName(h)) ?? null]));
}

/** Writes a record after checking it with the Worker's schema (extra fields such as `key_id` are kept). */
export async function writeRecord(t: KvTarget, hash: string, record: Record<string, unknown>): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error("writeRecord: not a SHA-256 hex hash");
  KeyRecordSchema.parse(record);
  await kvPut(t, keyStorageName(hash), JSON.stringify(record));
}

/**
 * Seeds one known key into local KV with a single `wrangler kv key put --local` (for
 * `npm start`). Only the key's hash and record are written; the key itself is not.
 * `persistTo` and `config` are relative to the repository root.
 * @example
 * await seedLocalKey({ key, record: { client_id: "demo", tenant: "local", plan: "demo", scopes: ["chat"] }, persistTo: ".wrangler/state" });
 */
export async function seedLocalKey(opts: { key: string; record: z.input<typeof KeyRecordSchema>; persistTo: string; config?: string }): Promise<{ keyId: string; hash: string }> {
  if (!isWellFormedKey(opts.key)) throw new Error("seedLocalKey: the key is not a well-formed Aigis key");
  const hash = await sha256Hex(opts.key);
  const keyId = keyIdOf(hash);
  const record = { created: new Date().toISOString(), ...opts.record, key_id: keyId };
  const t: KvTarget = { binding: BINDING, remote: false, config: resolve(ROOT, opts.config ?? "wrangler.toml"), persistTo: resolve(ROOT, opts.persistTo), cwd: ROOT };
  await writeRecord(t, hash, record);
  return { keyId, hash };
}
