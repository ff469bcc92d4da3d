/**
 * The pure half of `npm run keys`: argument parsing, durations and dates, building and
 * changing key records, key ids and the listing. No I/O and no clock of its own (every
 * function that needs the time takes `now`), so all of it is unit-tested directly
 * (test-node/keys.test.mjs); scripts/keys.ts does the wrangler and gateway calls.
 */
import { z } from "zod";
import { checkRecord } from "../../src/auth/api-keys";
import { KeyRecordSchema, type KeyRecord } from "../../src/auth/identity";
import { CliError, gatewayOf, KV_FLAGS, locationOf, optionsOf, readCommand, refuseFlags, UsageError, type Env, type Gateway, type Location } from "./cli";

export { CliError, UsageError, type Gateway, type Location } from "./cli";

export const USAGE = `Usage: npm run keys -- <command> [options]

Manages Aigis API keys in the CONFIG_KV namespace, through wrangler. Only the SHA-256
of a key is stored; a key is printed once, when it is made, and never again.

Commands
  create --client ID --tenant T --plan P [--name N] [--scopes a,b] [--models m1,m2]
         [--expires DATE | --ttl DURATION] [--gateway URL] [--admin-key KEY] [--json]
      Makes a key and stores its record. --json prints one JSON line (with the key).
      With a gateway, the creation is reported to its audit trail.
  list [--client ID] [--json]
      Key ids, owners, plans and status (active, revoked, expired, invalid).
      Never a key or a hash.
  revoke KEY_ID [--gateway URL] [--admin-key KEY]
      With a gateway: revoked everywhere at once (POST /admin/v1/keys/revoke).
      Without: the KV record is marked revoked, which takes effect within KV
      propagation (about 60 s) plus the gateway's 10 s key cache.
  rotate KEY_ID [--grace DURATION] [--expires DATE | --ttl DURATION]
         [--gateway URL] [--admin-key KEY] [--json]
      A new key with the same client, tenant, plan, scopes, models and name; the old
      key expires after --grace (default 24h; 0 revokes it now, through --gateway if
      given). The new key keeps the old key's lifetime unless --expires or --ttl
      says otherwise. With a gateway, the rotation is reported to its audit trail.

Options
  --remote        the deployed namespace (default: local .wrangler/state, as npm start)
  --env NAME      wrangler environment
  --config PATH   wrangler configuration (default: wrangler.toml)
  -h, --help      this help

KEY_ID      the 12-character id that list shows (a longer prefix of the hash works too)
DURATION    30s, 15m, 24h, 90d or 2w
DATE        2027-01-01 (midnight UTC) or 2027-01-01T12:00:00Z
Environment AIGIS_GATEWAY_URL, AIGIS_ADMIN_KEY (better than --admin-key, which shell
            history keeps)
Audit trail only changes made with a gateway reach it (key ids, never keys): create
            and rotate post them (POST /admin/v1/audit/events), a revoke through
            the gateway is recorded by the gateway; KV-only changes are not
Exit codes  0 done, 1 failed, 2 bad usage
Scripts     npm run -s keys -- create ... --json (without -s, npm prints its own header)`;

export const KEY_ID_LENGTH = 12;
const MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** Longer than any sensible key lifetime, short of Date's range. */
const MAX_DURATION_MS = 100 * 365 * MS.d;

type Flag = "client" | "tenant" | "plan" | "name" | "scopes" | "models" | "expires" | "ttl" | "json" | "gateway" | "admin-key" | "grace";
const COMMANDS: Record<string, readonly Flag[]> = {
  create: ["client", "tenant", "plan", "name", "scopes", "models", "expires", "ttl", "gateway", "admin-key", "json"],
  list: ["client", "json"],
  revoke: ["gateway", "admin-key"],
  rotate: ["grace", "expires", "ttl", "gateway", "admin-key", "json"],
};
const BOOLEAN = ["json", "remote"];
const OPTIONS = optionsOf(
  [...new Set([...Object.values(COMMANDS).flat(), ...KV_FLAGS])].filter((f) => !BOOLEAN.includes(f)),
  BOOLEAN,
);

/** Fields a new key's record takes from the command line or from the key it replaces. */
export interface KeyFields {
  client_id: string;
  tenant: string;
  plan: string;
  name: string;
  scopes: string[];
  models?: string[] | undefined;
  expires?: string | undefined;
}

export type Command =
  | { kind: "help" }
  | { kind: "create"; where: Location; fields: KeyFields; gateway?: Gateway | undefined; json: boolean }
  | { kind: "list"; where: Location; client?: string | undefined; json: boolean }
  | { kind: "revoke"; where: Location; keyId: string; gateway?: Gateway | undefined }
  | { kind: "rotate"; where: Location; keyId: string; graceMs: number; expires?: string | undefined; gateway?: Gateway | undefined; json: boolean };

/**
 * Parses the command line. Throws `UsageError` for anything it cannot use, including a flag
 * the command does not take.
 * @example parseCommand(["list", "--json"], {}, Date.now()) // { kind: "list", json: true, ... }
 */
export function parseCommand(argv: readonly string[], env: Env, now: number): Command {
  const line = readCommand(argv, OPTIONS, Object.keys(COMMANDS));
  if (line === "help") return { kind: "help" };
  const { command, values: v, rest } = line;
  refuseFlags(command, v, [...KV_FLAGS, ...COMMANDS[command]!]);
  const str = (f: Flag): string | undefined => v[f] as string | undefined;
  const required = (f: Flag): string => {
    const value = str(f)?.trim();
    if (value === undefined || value === "") throw new UsageError(`${command} needs --${f}`);
    return value;
  };
  const where = locationOf(v);
  if (str("expires") !== undefined && str("ttl") !== undefined) throw new UsageError("give --expires or --ttl, not both");
  const json = v.json === true;
  const expires = expiryFrom(str("expires"), str("ttl"), now);
  const gateway = (): Gateway | undefined => gatewayOf(v, env);

  if (command === "create") {
    if (rest.length > 0) throw new UsageError(`create takes no arguments (got "${rest[0]}")`);
    const fields: KeyFields = { client_id: required("client"), tenant: required("tenant"), plan: required("plan"), name: str("name")?.trim() ?? "", scopes: splitList(str("scopes") ?? "") };
    const models = str("models");
    if (models !== undefined) {
      fields.models = splitList(models);
      // An empty list would allow no model at all; leaving --models out keeps the plan's.
      if (fields.models.length === 0) throw new UsageError("--models needs at least one model (leave it out to allow the plan's models)");
    }
    if (expires !== undefined) fields.expires = expires;
    checkFields(fields);
    return { kind: "create", where, fields, gateway: gateway(), json };
  }
  if (command === "list") {
    if (rest.length > 0) throw new UsageError(`list takes no arguments (got "${rest[0]}")`);
    return { kind: "list", where, client: str("client"), json };
  }
  if (rest.length !== 1) throw new UsageError(`${command} needs exactly one KEY_ID`);
  const keyId = parseKeyId(rest[0] as string);
  if (command === "revoke") return { kind: "revoke", where, keyId, gateway: gateway() };
  const grace = str("grace") ?? "24h";
  return { kind: "rotate", where, keyId, graceMs: parseDuration(grace, "--grace"), expires, gateway: gateway(), json };
}

/**
 * `90d` → milliseconds. `0` (no unit) is allowed, for `--grace 0`.
 * @example parseDuration("24h") // 86400000
 */
export function parseDuration(text: string, flag = "duration"): number {
  if (text === "0") return 0;
  const m = /^(\d{1,9})([smhdw])$/.exec(text);
  const ms = m === null ? Number.NaN : Number(m[1]) * MS[m[2] as keyof typeof MS];
  if (!(ms <= MAX_DURATION_MS)) throw new UsageError(`${flag} must look like 30s, 15m, 24h, 90d or 2w (got "${text}")`);
  return ms;
}

/** The ISO expiry from `--expires` or `--ttl`, which must lie in the future. */
export function expiryFrom(expires: string | undefined, ttl: string | undefined, now: number): string | undefined {
  if (ttl !== undefined) {
    const ms = parseDuration(ttl, "--ttl");
    if (ms === 0) throw new UsageError("--ttl must be more than 0");
    return new Date(now + ms).toISOString();
  }
  if (expires === undefined) return undefined;
  // A date, or a date-time with its zone: a zone-less time would depend on this machine's.
  const shape = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const t = shape.test(expires) ? Date.parse(expires) : Number.NaN;
  if (!Number.isFinite(t)) throw new UsageError(`--expires must be a date like 2027-01-01 or 2027-01-01T12:00:00Z (got "${expires}")`);
  if (t <= now) throw new UsageError(`--expires ${expires} is not in the future`);
  return new Date(t).toISOString();
}

/** `"a, b,,a"` → `["a", "b"]`. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(",").map((s) => s.trim()).filter((s) => s !== ""))];
}

function parseKeyId(text: string): string {
  if (text.startsWith("aig_")) throw new UsageError("give the key id that list shows, not the key itself");
  const id = text.toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(id)) throw new UsageError(`"${text}" is not a key id (the ${KEY_ID_LENGTH} hex characters that list shows)`);
  return id;
}

/** Checks fields against the Worker's own record schema, so a record is never written that the gateway would refuse. */
function checkFields(fields: KeyFields): void {
  const result = KeyRecordSchema.safeParse(fields);
  if (!result.success) throw new UsageError(`invalid key record:\n${z.prettifyError(result.error)}`);
}

/** The operator-facing id of a key: the start of its hash, which is not secret and not enough to find the key. */
export const keyIdOf = (hash: string): string => hash.slice(0, KEY_ID_LENGTH);

/** A new key's record, validated with `KeyRecordSchema`; `key_id` is an extra field the schema lets through. */
export function newRecord(fields: KeyFields, hash: string, now: number): Record<string, unknown> {
  const record: Record<string, unknown> = { ...KeyRecordSchema.parse({ ...fields, created: new Date(now).toISOString() }), key_id: keyIdOf(hash) };
  for (const k of Object.keys(record)) if (record[k] === undefined) delete record[k];
  return record;
}

/** The stored record marked revoked, its other fields kept (as the admin endpoint does). */
export function revokedRecord(stored: Record<string, unknown>, now: number): Record<string, unknown> {
  const record = { ...stored, revoked: true, revoked_at: new Date(now).toISOString() };
  KeyRecordSchema.parse(record);
  return record;
}

/**
 * What rotating `old` means at `now`: the new key's fields, and the old record's end. The
 * new key keeps the old key's lifetime (`expires - created`) unless `expires` is given; the
 * grace period never lengthens the old key's life.
 */
export function rotation(old: KeyRecord, opts: { graceMs: number; expires?: string | undefined }, now: number): { fields: KeyFields; oldEnds: string | "now" } {
  const name = old.name === "" ? "(rotated)" : old.name.endsWith("(rotated)") ? old.name : `${old.name} (rotated)`;
  const fields: KeyFields = { client_id: old.client_id, tenant: old.tenant, plan: old.plan, name: name.slice(0, 200), scopes: [...old.scopes] };
  if (old.models !== undefined) fields.models = [...old.models];
  const lifetime = old.created !== undefined && old.expires !== undefined ? Date.parse(old.expires) - Date.parse(old.created) : Number.NaN;
  if (opts.expires !== undefined) fields.expires = opts.expires;
  else if (lifetime > 0) fields.expires = new Date(now + lifetime).toISOString();
  if (opts.graceMs === 0) return { fields, oldEnds: "now" };
  const graceEnd = now + opts.graceMs;
  const current = old.expires === undefined ? Number.POSITIVE_INFINITY : Date.parse(old.expires);
  return { fields, oldEnds: new Date(current < graceEnd ? current : graceEnd).toISOString() };
}

/**
 * A key change for the gateway's audit trail (`POST /admin/v1/audit/events`, src/admin/audit.ts).
 * It names keys by key id only: never a key, never a whole hash.
 */
export interface KeyAuditEvent {
  kind: "key";
  action: "created" | "rotated";
  client: string;
  tenant: string;
  detail: Record<string, string | number | boolean | null>;
}

/** The audit endpoint takes detail strings of up to 200 characters. */
const detailText = (s: string): string => (s.length <= 200 ? s : `${s.slice(0, 199)}…`);

/** The key id of a SHA-256 hash; anything else (a key, above all) is refused, so it never reaches an event. */
function idOfHash(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error("an audit event names a key by the id of its SHA-256 hash only");
  return keyIdOf(hash);
}

/** What `create` reports: the new key's id, plan, scopes and expiry. */
export function createdEvent(fields: KeyFields, hash: string): KeyAuditEvent {
  const detail = { key_id: idOfHash(hash), plan: fields.plan, scopes: detailText(fields.scopes.join(",")), expires: fields.expires ?? null };
  return { kind: "key", action: "created", client: fields.client_id, tenant: fields.tenant, detail };
}

/**
 * What `rotate` reports: the new key's id, the id of the key it replaces and when that one
 * ends (`"now"` or a date); `old_key_changed: false` when changing the old key failed.
 */
export function rotatedEvent(fields: KeyFields, hash: string, old: { hash: string; ends: string; changed: boolean }): KeyAuditEvent {
  const detail: KeyAuditEvent["detail"] = { key_id: idOfHash(hash), replaces: idOfHash(old.hash), old_key_ends: detailText(old.ends) };
  if (!old.changed) detail.old_key_changed = false;
  return { kind: "key", action: "rotated", client: fields.client_id, tenant: fields.tenant, detail };
}

/** A running gateway's answer to an admin POST; `body` is `{}` when the answer is not a JSON object. */
export interface GatewayReply {
  status: number;
  body: Record<string, unknown>;
}

export function gatewayReply(status: number, text: string): GatewayReply {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: judged by the status alone.
  }
  return { status, body: typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {} };
}

/**
 * Why a gateway refused: the status, the OpenAI-shaped error's code and message (control
 * characters replaced: it is shown on a terminal), and a hint for the usual causes.
 * `notFound` is the hint for a 404, which means something else to each endpoint.
 */
export function refusal(reply: GatewayReply, notFound: string): string {
  const error = reply.body.error;
  const why =
    typeof error === "object" && error !== null
      ? `HTTP ${reply.status} ${cell(String((error as { code?: unknown }).code))}: ${cell(String((error as { message?: unknown }).message))}`
      : `HTTP ${reply.status}`;
  const hint =
    reply.status === 401 ? " (the admin key was not accepted)"
    : reply.status === 403 ? " (the admin key lacks the admin scope)"
    : reply.status === 404 ? ` (${notFound})`
    : "";
  return `${why}${hint}`;
}

export type KeyStatus = "active" | "revoked" | "expired" | "invalid";

/** One line of `list`: a key id, never the key or its hash. */
export interface KeyRow {
  key_id: string;
  status: KeyStatus;
  client_id: string;
  tenant: string;
  plan: string;
  name: string;
  scopes: string[];
  models?: string[];
  created?: string;
  expires?: string;
  revoked_at?: string;
}

/** A listing row from a stored value, with the status the gateway itself would decide (`checkRecord`). */
export function toRow(hash: string, text: string, now: number): KeyRow {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const checked = checkRecord(raw, now);
  const status: KeyStatus = typeof checked !== "string" ? "active" : checked === "revoked" ? "revoked" : checked === "expired" ? "expired" : "invalid";
  const parsed = KeyRecordSchema.safeParse(raw);
  if (!parsed.success) return { key_id: keyIdOf(hash), status, client_id: "?", tenant: "?", plan: "?", name: "", scopes: [] };
  const r = parsed.data;
  const row: KeyRow = { key_id: keyIdOf(hash), status, client_id: r.client_id, tenant: r.tenant, plan: r.plan, name: r.name, scopes: r.scopes };
  if (r.models !== undefined) row.models = r.models;
  if (r.created !== undefined) row.created = r.created;
  if (r.expires !== undefined) row.expires = r.expires;
  if (r.revoked_at !== undefined) row.revoked_at = r.revoked_at;
  return row;
}

/** Rows by client, then oldest first. */
export function sortRows(rows: KeyRow[]): KeyRow[] {
  return rows.sort((a, b) => a.client_id.localeCompare(b.client_id) || (a.created ?? "").localeCompare(b.created ?? "") || a.key_id.localeCompare(b.key_id));
}

// Stored text is shown on a terminal: control characters (escape sequences) are not passed on.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const cell = (s: string): string => s.replace(CONTROL, "?");
const when = (iso: string | undefined): string => (iso === undefined ? "-" : Number.isFinite(Date.parse(iso)) ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") : cell(iso));

/** The listing as an aligned text table (times in UTC, to the minute). */
export function formatTable(rows: readonly KeyRow[]): string {
  const head = ["KEY ID", "STATUS", "CLIENT", "TENANT", "PLAN", "CREATED (UTC)", "EXPIRES (UTC)", "SCOPES", "NAME"];
  const body = rows.map((r) => [r.key_id, r.status, cell(r.client_id), cell(r.tenant), cell(r.plan), when(r.created), when(r.expires), r.scopes.length === 0 ? "-" : cell(r.scopes.join(",")), cell(r.name)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((line) => (line[i] as string).length)));
  return [head, ...body].map((line) => line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ").trimEnd()).join("\n");
}

/**
 * The one stored hash that `keyId` starts. Throws `CliError` if none or several do.
 * @example resolveKeyId(["3f9c0a1b2c3d…"], "3f9c0a1b2c3d")
 */
export function resolveKeyId(hashes: readonly string[], keyId: string): string {
  const matches = hashes.filter((h) => h.startsWith(keyId));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) throw new CliError(`no key with id ${keyId} (see: npm run keys -- list)`);
  throw new CliError(`key id ${keyId} matches ${matches.length} keys (${matches.map(keyIdOf).join(", ")}); give the whole ${KEY_ID_LENGTH}-character id`);
}
