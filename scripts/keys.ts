/**
 * `npm run keys -- create|list|revoke|rotate`: API key management for operators, through
 * wrangler (local `.wrangler/state` by default, `--remote` for the deployed namespace) and,
 * for immediate revocation, the running gateway's `POST /admin/v1/keys/revoke`. With a
 * gateway, creations and rotations are reported to its audit trail
 * (`POST /admin/v1/audit/events`); a revocation through it is recorded by the gateway itself.
 * `npm run keys -- --help` for the usage; docs/auth.md for the design.
 *
 * A key is printed exactly once, by the create or rotate that made it, and never written to
 * disk; listings and messages name keys by their key id (the first 12 hex characters of the
 * SHA-256), never by the key or the full hash.
 *
 * Pure parts live in lib/keys-cli.ts, KV access in lib/key-store.ts and lib/wrangler-kv.ts.
 */
import { KEY_CACHE_MS, checkRecord, sha256Hex } from "../src/auth/api-keys";
import { KeyRecordSchema } from "../src/auth/identity";
import { generateApiKey } from "../src/auth/key-format";
import { callGateway, runCli, runIfScript, type Env } from "./lib/cli";
import { describeTarget, listKeyHashes, readRecords, targetFor, writeRecord } from "./lib/key-store";
import {
  CliError,
  USAGE,
  createdEvent,
  formatTable,
  gatewayReply,
  keyIdOf,
  newRecord,
  parseCommand,
  refusal,
  resolveKeyId,
  revokedRecord,
  rotatedEvent,
  rotation,
  sortRows,
  toRow,
  type Command,
  type Gateway,
  type GatewayReply,
  type KeyAuditEvent,
} from "./lib/keys-cli";
import { WranglerError, type KvTarget } from "./lib/wrangler-kv";

export { seedLocalKey } from "./lib/key-store";

const GATEWAY_TIMEOUT_MS = 15_000;
/** Cloudflare documents KV writes reaching other locations in "up to 60 seconds or more". */
const KV_PROPAGATION_S = 60;
const CACHE_S = KEY_CACHE_MS / 1000;
const PROPAGATION_WARNING =
  `warning: only KV was changed. Gateway locations keep accepting the key until the write reaches them ` +
  `(up to about ${KV_PROPAGATION_S} s) plus ${CACHE_S} s of per-isolate key cache. ` +
  `For immediate revocation everywhere use --gateway URL (with AIGIS_ADMIN_KEY).`;
const NOT_AUDITED = "note: not recorded in the audit trail: pass --gateway URL (or set AIGIS_GATEWAY_URL) so the gateway records key changes";

type Stored = { hash: string; raw: Record<string, unknown> | undefined };

/** The stored record behind a key id; `raw` is undefined when it is not a valid record. */
async function findKey(t: KvTarget, keyId: string): Promise<Stored> {
  const { hashes } = await listKeyHashes(t);
  const hash = resolveKeyId(hashes, keyId);
  const text = (await readRecords(t, [hash])).get(hash);
  if (text === null || text === undefined) throw new CliError(`key ${keyIdOf(hash)} disappeared while being read; list again`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { hash, raw: undefined };
  }
  const valid = KeyRecordSchema.safeParse(raw).success && typeof raw === "object" && raw !== null;
  return { hash, raw: valid ? (raw as Record<string, unknown>) : undefined };
}

/**
 * POSTs `payload` as JSON to the running gateway's admin endpoint `path`, with the admin key.
 * Throws `CliError` when the gateway cannot be reached; what it answers is the caller's to judge.
 */
async function postToGateway(gateway: Gateway, path: string, payload: unknown): Promise<GatewayReply> {
  const res = await callGateway(gateway, path, GATEWAY_TIMEOUT_MS, { method: "POST", body: JSON.stringify(payload) });
  return gatewayReply(res.status, await res.text());
}

/** Revokes through the running gateway: KV and the client's Durable Object, so at once everywhere. */
async function revokeViaGateway(gateway: Gateway, hash: string): Promise<string> {
  const reply = await postToGateway(gateway, "/admin/v1/keys/revoke", { key_hash: hash });
  if (reply.status === 200 && reply.body.revoked === true) return String(reply.body.client_id);
  throw new CliError(`the gateway refused the revocation: ${refusal(reply, "the gateway's KV does not hold this key: does it serve the namespace this command read? see --remote/--env")}`);
}

/**
 * Reports a key change already made in KV to the gateway's audit trail; without a gateway,
 * says on stderr that it is not there. Never throws (the change is made and the key shown):
 * resolves with why the report failed, for the caller to exit 1 with.
 */
async function recordKeyChange(gateway: Gateway | undefined, event: KeyAuditEvent): Promise<string | undefined> {
  if (gateway === undefined) {
    console.error(NOT_AUDITED);
    return undefined;
  }
  let reply: GatewayReply;
  try {
    reply = await postToGateway(gateway, "/admin/v1/audit/events", { events: [event] });
  } catch (err) {
    return (err as Error).message;
  }
  // At least 1: a marker for events dropped earlier may be accepted along with it.
  if (reply.status === 202 && typeof reply.body.accepted === "number" && reply.body.accepted >= 1) return undefined;
  if (reply.status === 202) return "the gateway dropped the event: its audit buffer is full (is D1 unavailable?)";
  return `the gateway refused the audit event: ${refusal(reply, "the gateway has no audit endpoint: is it deployed at this version?")}`;
}

/** The error for a command whose new key is stored and shown but something after it failed. */
const storedBut = (hash: string, problems: readonly string[]): CliError => new CliError(`the new key ${keyIdOf(hash)} is stored, but ${problems.join("\nand ")}`);

/** Prints a new key, once. In JSON mode the caller prints the one line instead. */
function showNewKey(key: string, record: Record<string, unknown>, t: KvTarget): void {
  console.log(`Created key ${String(record.key_id)} for client ${String(record.client_id)} (tenant ${String(record.tenant)}, plan ${String(record.plan)}) in ${describeTarget(t)}.`);
  console.log(`Expires: ${typeof record.expires === "string" ? record.expires : "never"}`);
  console.log(`\n    ${key}\n`);
  console.log("Store it now: it cannot be shown again (only its SHA-256 hash is stored).");
}

const newKeyJson = (key: string, record: Record<string, unknown>): Record<string, unknown> => {
  const { key_id, ...rest } = record;
  return { key, key_id, ...rest };
};

async function create(cmd: Extract<Command, { kind: "create" }>, now: number): Promise<void> {
  const t = targetFor(cmd.where);
  const key = generateApiKey();
  const hash = await sha256Hex(key);
  const record = newRecord(cmd.fields, hash, now);
  await writeRecord(t, hash, record);
  if (cmd.json) console.log(JSON.stringify(newKeyJson(key, record)));
  else showNewKey(key, record, t);
  const unrecorded = await recordKeyChange(cmd.gateway, createdEvent(cmd.fields, hash));
  if (unrecorded !== undefined) throw storedBut(hash, [`its creation is not in the audit trail: ${unrecorded}`]);
}

async function list(cmd: Extract<Command, { kind: "list" }>, now: number): Promise<void> {
  const t = targetFor(cmd.where);
  const { hashes, ignored, truncated } = await listKeyHashes(t);
  const texts = await readRecords(t, hashes);
  const rows = sortRows(
    hashes.flatMap((h) => {
      const text = texts.get(h);
      return text === null || text === undefined ? [] : [toRow(h, text, now)];
    }).filter((r) => cmd.client === undefined || r.client_id === cmd.client),
  );
  if (ignored > 0) console.error(`note: ${ignored} name(s) under apikey: are not key hashes and were skipped`);
  if (truncated) console.error("note: local listing stops at 1,000 names; some keys may be missing");
  if (cmd.json) return console.log(JSON.stringify(rows));
  const scope = cmd.client === undefined ? "" : ` for client ${cmd.client}`;
  if (rows.length === 0) return console.log(`No API keys${scope} in ${describeTarget(t)}.`);
  console.log(formatTable(rows));
  console.log(`\n${rows.length} key(s)${scope} in ${describeTarget(t)}.`);
}

async function revoke(cmd: Extract<Command, { kind: "revoke" }>): Promise<void> {
  const t = targetFor(cmd.where);
  const { hash, raw } = await findKey(t, cmd.keyId);
  const id = keyIdOf(hash);
  if (cmd.gateway !== undefined) {
    const client = await revokeViaGateway(cmd.gateway, hash);
    console.log(`Revoked key ${id} (client ${client}) through ${cmd.gateway.url}: refused from the next request on, everywhere.`);
    return;
  }
  if (raw === undefined) throw new CliError(`key ${id} has an invalid record, which the gateway already refuses; it cannot be marked revoked`);
  if (raw.revoked === true) return console.log(`Key ${id} was already revoked (${String(raw.revoked_at ?? "time unknown")}).`);
  await writeRecord(t, hash, revokedRecord(raw, Date.now()));
  console.log(`Revoked key ${id} (client ${String(raw.client_id)}) in ${describeTarget(t)}.`);
  console.error(PROPAGATION_WARNING);
  console.error(NOT_AUDITED);
}

async function rotate(cmd: Extract<Command, { kind: "rotate" }>, now: number): Promise<void> {
  const t = targetFor(cmd.where);
  const { hash: oldHash, raw } = await findKey(t, cmd.keyId);
  const oldId = keyIdOf(oldHash);
  if (raw === undefined) throw new CliError(`key ${oldId} has an invalid record; make a new key with create instead`);
  const status = checkRecord(raw, now);
  if (status === "revoked") throw new CliError(`key ${oldId} is revoked; make a new key with create instead`);
  const plan = rotation(KeyRecordSchema.parse(raw), { graceMs: cmd.graceMs, expires: cmd.expires }, now);

  const key = generateApiKey();
  const hash = await sha256Hex(key);
  const record = newRecord(plan.fields, hash, now);
  await writeRecord(t, hash, record);
  // The new key exists from here on: show it before touching the old one, so that a failure
  // below cannot lose it.
  if (!cmd.json) showNewKey(key, record, t);

  const result: Record<string, unknown> = { replaces: oldId, old_key_ends: plan.oldEnds };
  let failure: Error | undefined;
  try {
    if (status === "expired") {
      result.old_key_ends = raw.expires;
      if (!cmd.json) console.log(`The old key ${oldId} had already expired (${String(raw.expires)}); it was left as it is.`);
    } else if (plan.oldEnds === "now") {
      if (cmd.gateway !== undefined) {
        await revokeViaGateway(cmd.gateway, oldHash);
        result.old_key_revoked_via = "gateway";
        if (!cmd.json) console.log(`The old key ${oldId} is revoked through ${cmd.gateway.url}, everywhere at once.`);
      } else {
        await writeRecord(t, oldHash, revokedRecord(raw, Date.now()));
        result.old_key_revoked_via = "kv";
        if (!cmd.json) console.log(`The old key ${oldId} is revoked.`);
        console.error(PROPAGATION_WARNING);
      }
    } else {
      await writeRecord(t, oldHash, { ...raw, expires: plan.oldEnds });
      if (!cmd.json) console.log(`The old key ${oldId} stops working at ${plan.oldEnds}.`);
      // Until the new expiry reaches a location, that location still has the old record.
      if (cmd.graceMs < (KV_PROPAGATION_S + CACHE_S) * 1000) console.error(`warning: a grace shorter than ${KV_PROPAGATION_S + CACHE_S} s can be outlasted by KV propagation and caching; use --grace 0 --gateway URL for an exact cut-off.`);
    }
  } catch (err) {
    failure = err as Error;
    result.error = failure.message;
  }
  if (cmd.json) console.log(JSON.stringify({ ...newKeyJson(key, record), ...result }));
  const event = rotatedEvent(plan.fields, hash, { hash: oldHash, ends: String(result.old_key_ends), changed: failure === undefined });
  const unrecorded = await recordKeyChange(cmd.gateway, event);
  const problems: string[] = [];
  if (failure !== undefined) {
    const detail = failure instanceof WranglerError ? `${failure.message}\n${failure.output}` : failure.message;
    problems.push(`the old key ${oldId} was not changed: ${detail}\nRetry with: npm run keys -- revoke ${oldId}`);
  }
  if (unrecorded !== undefined) problems.push(`the rotation is not in the audit trail: ${unrecorded}`);
  if (problems.length > 0) throw storedBut(hash, problems);
}

function run(cmd: Exclude<Command, { kind: "help" }>, now: number): Promise<void> {
  if (cmd.kind === "create") return create(cmd, now);
  if (cmd.kind === "list") return list(cmd, now);
  if (cmd.kind === "revoke") return revoke(cmd);
  return rotate(cmd, now);
}

/** Runs one command line; resolves with the exit code (0 done, 1 failed, 2 bad usage). */
export function main(argv: readonly string[], env: Env): Promise<number> {
  // One clock for the command line's dates and the records written.
  const now = Date.now();
  return runCli({ name: "keys", usage: USAGE, parse: () => parseCommand(argv, env, now), run: (cmd) => run(cmd, now) });
}

await runIfScript(import.meta.url, main);
