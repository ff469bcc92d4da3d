/**
 * The pure half of `npm run rules`: argument parsing, validation messages, the JSON path
 * diff, the push decision and the history list. No I/O and no clock of its own (whatever
 * needs the time takes `now`), so all of it is unit-tested directly
 * (test-node/rules.test.mjs); scripts/rules.ts does the file and wrangler calls.
 */
import { hashText, RULES_META_KEY } from "../../src/rules/store";
import { RulesDocumentSchema } from "../../src/rules/schema";
import { CliError, gatewayOf, KV_FLAGS, locationOf, optionsOf, readCommand, UsageError, type Env, type Gateway, type Location } from "./cli";

export { CliError, UsageError, type Gateway, type Location } from "./cli";

/** How many replaced documents `rules:history` keeps (the oldest is dropped). */
export const HISTORY_MAX = 10;
/** The history of replaced documents, newest last (`RULES_KEY` in src/rules/store.ts holds the current one). */
export const HISTORY_KEY = "rules:history";
/** Version, hash, push time and push sequence number of the current document, written with it by push and rollback. */
export const META_KEY = RULES_META_KEY;

export const USAGE = `Usage: npm run rules -- <command> [options]

Checks rules documents and manages the one in force (CONFIG_KV "rules:current"),
through wrangler. docs/rules.md ("Rules as code") explains each step.

Commands
  validate [FILE...]
      Checks each file with the Worker's schema (default: every rules/*.json but
      schema.json). No KV access.
  diff FILE
      The JSON paths FILE adds, removes or changes against the document in force
      (the bundled defaults when nothing was pushed), with both version ids and hashes.
  push FILE [--gateway URL] [--admin-key KEY]
      Validates FILE and stores its text as is. The document it replaces goes to the
      history (the last ${HISTORY_MAX}). Refused when FILE reuses a pushed version id with
      different content. With a gateway, the document is also handed to it
      (POST /admin/v1/rules/signal) and takes effect within about 15 s; without, KV's
      cache and propagation add up to about 90 s more. Pushing the document in force
      again with a gateway only repeats the signal.
  rollback [--gateway URL] [--admin-key KEY]
      Restores the newest history entry and removes it from the history; run it again
      to go further back. --gateway as for push.
  test FILE [--samples SAMPLES.jsonl] [--against OTHER.json] [--json]
      Dry run: sends each sample request (default: rules/samples.jsonl) through two
      local gateways (Miniflare, in front of the mock LLM), one with OTHER.json (default:
      the bundled defaults) and one with FILE, and shows what would change: status,
      error code, x-aigis-* headers and the forwarded body. No KV access.

Options
  --remote        the deployed namespace (default: local .wrangler/state, as npm start)
  --env NAME      wrangler environment
  --config PATH   wrangler configuration (default: wrangler.toml)
  --gateway URL   a running gateway to signal after push or rollback (https://, or
                  http:// to localhost); needs an admin key with the admin scope
  --admin-key KEY the admin key (better: AIGIS_ADMIN_KEY, out of the shell history)
  -h, --help      this help

Environment AIGIS_GATEWAY_URL, AIGIS_ADMIN_KEY (as for npm run keys)

Exit codes  0 done (diff, test: whether or not anything differs), 1 failed or invalid,
            2 bad usage (test: also a bad samples file)`;

export type Command =
  | { kind: "help" }
  | { kind: "validate"; files: string[] }
  | { kind: "diff"; file: string; where: Location }
  | { kind: "push"; file: string; where: Location; gateway?: Gateway }
  | { kind: "rollback"; where: Location; gateway?: Gateway }
  | { kind: "test"; file: string; samples: string | undefined; against: string | undefined; json: boolean };

const TEST_FLAGS = ["samples", "against", "json"];
const GATEWAY_FLAGS = ["gateway", "admin-key"];
const OPTIONS = optionsOf(["env", "config", "persist-to", "samples", "against", "gateway", "admin-key"], ["remote", "json"]);

/**
 * Parses the command line. Throws `UsageError` for anything it cannot use.
 * `env` supplies AIGIS_GATEWAY_URL and AIGIS_ADMIN_KEY (push and rollback only).
 * @example parseCommand(["push", "rules/prod.json", "--remote"]) // { kind: "push", file: "rules/prod.json", where: { remote: true, ... } }
 */
export function parseCommand(argv: readonly string[], env: Env = {}): Command {
  const line = readCommand(argv, OPTIONS, ["validate", "diff", "push", "rollback", "test"]);
  if (line === "help") return { kind: "help" };
  const { command, values: v, rest } = line;
  if (command === "test") {
    const flag = KV_FLAGS.find((f) => v[f] !== undefined);
    if (flag !== undefined) throw new UsageError(`test does not take --${flag} (it reads no KV)`, true);
    if (rest.length !== 1) throw new UsageError("test needs exactly one FILE", true);
    for (const f of ["samples", "against"] as const) {
      if (v[f] !== undefined && String(v[f]).trim() === "") throw new UsageError(`--${f} needs a file`);
    }
    return { kind: "test", file: rest[0] as string, samples: v.samples as string | undefined, against: v.against as string | undefined, json: v.json === true };
  }
  const testFlag = TEST_FLAGS.find((f) => v[f] !== undefined);
  if (testFlag !== undefined) throw new UsageError(`${command} does not take --${testFlag} (only test does)`, true);
  const gatewayFlag = GATEWAY_FLAGS.find((f) => v[f] !== undefined);
  if (gatewayFlag !== undefined && command !== "push" && command !== "rollback") throw new UsageError(`${command} does not take --${gatewayFlag} (only push and rollback do)`, true);
  if (command === "validate") {
    const flag = KV_FLAGS.find((f) => v[f] !== undefined);
    if (flag !== undefined) throw new UsageError(`validate does not take --${flag} (it reads no KV)`, true);
    return { kind: "validate", files: rest };
  }
  const where = locationOf(v);
  if (where.env !== undefined && where.env.trim() === "") throw new UsageError("--env needs a name");
  const gateway = command === "push" || command === "rollback" ? gatewayOf(v, env) : undefined;
  const withGateway = gateway === undefined ? {} : { gateway };
  if (command === "rollback") {
    if (rest.length > 0) throw new UsageError(`rollback takes no arguments (got "${rest[0]}")`);
    return { kind: "rollback", where, ...withGateway };
  }
  if (rest.length !== 1) throw new UsageError(`${command} needs exactly one FILE`, true);
  if (command === "push") return { kind: "push", file: rest[0] as string, where, ...withGateway };
  return { kind: "diff", file: rest[0] as string, where };
}

// ---------------------------------------------------------------------------------------
// Validation

/** Where in a text a character offset lies, 1-based. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/** Whether `prefix` can still be completed to JSON (an error only at its very end). */
function viablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (err) {
    const message = (err as Error).message;
    if (/Unexpected end of JSON input/.test(message)) return true;
    const at = /at position (\d+)/.exec(message);
    return at !== null && Number(at[1]) >= prefix.length;
  }
}

/**
 * The character offset of a JSON syntax error. V8 names it in most messages ("at position
 * 7"), not in all ("Unexpected token '}', ... is not valid JSON"): then the longest prefix
 * that can still become JSON ends where the error is.
 */
export function jsonErrorOffset(text: string, message: string): number {
  const at = /at position (\d+)/.exec(message);
  if (at !== null) return Number(at[1]);
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (viablePrefix(text.slice(0, mid))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * A JSON path for messages and the diff: `plans.partner.firewall.rules[2]`, with odd keys
 * quoted (`tenants["acme corp"]`); `(root)` for the document itself.
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === "" ? "(root)" : out;
}

// Text shown on a terminal: control characters (escape sequences) are not passed on.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (s: string): string => s.replace(CONTROL, "?");

export type Checked =
  | { ok: true; json: unknown; version: string; hash: string }
  | { ok: false; json?: unknown; errors: string[] };

/**
 * Parses and validates a document's text as the Worker does (`RulesDocumentSchema`); the
 * hash is the Worker's (src/rules/store.ts `hashText`). `name` prefixes every message.
 * @example await checkDocument('{"schema_version": 2}', "x.json") // { ok: false, errors: ["x.json: schema_version: Invalid input: expected 1", ...] }
 */
export async function checkDocument(text: string, name: string): Promise<Checked> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const { line, column } = lineColumn(text, jsonErrorOffset(text, message));
    // V8 quotes the whole text in some messages: keep only the reason.
    const reason = message.replace(/, ".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
    return { ok: false, errors: [`${name}: invalid JSON at line ${line}, column ${column}: ${clean(reason)}`] };
  }
  const parsed = RulesDocumentSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, json, errors: parsed.error.issues.map((i) => `${name}: ${clean(formatPath(i.path))}: ${clean(i.message)}`) };
  }
  return { ok: true, json, version: parsed.data.version, hash: await hashText(text) };
}

// ---------------------------------------------------------------------------------------
// Diff

export interface Change {
  path: string;
  kind: "added" | "removed" | "changed";
  old?: unknown;
  new?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The JSON paths where `b` differs from `a`: objects key by key (in sorted key order, so the
 * result does not depend on how either file orders its keys), arrays index by index, and
 * anything else (or a change of type) as one changed value.
 */
export function diffJson(a: unknown, b: unknown, path: ReadonlyArray<string | number> = []): Change[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => {
      const p = [...path, k];
      if (!Object.hasOwn(b, k)) return [{ path: formatPath(p), kind: "removed" as const, old: a[k] }];
      if (!Object.hasOwn(a, k)) return [{ path: formatPath(p), kind: "added" as const, new: b[k] }];
      return diffJson(a[k], b[k], p);
    });
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: Change[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const p = [...path, i];
      if (i >= b.length) out.push({ path: formatPath(p), kind: "removed", old: a[i] });
      else if (i >= a.length) out.push({ path: formatPath(p), kind: "added", new: b[i] });
      else out.push(...diffJson(a[i], b[i], p));
    }
    return out;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path: formatPath(path), kind: "changed", old: a, new: b }];
}

const MAX_VALUE_CHARS = 200;
const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? "undefined";
  return clean(text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text);
};

/** One line per change: `+ path: value`, `- path: value`, `~ path: old → new`. */
export function formatDiff(changes: readonly Change[]): string {
  return changes
    .map((c) => (c.kind === "added" ? `+ ${c.path}: ${show(c.new)}` : c.kind === "removed" ? `- ${c.path}: ${show(c.old)}` : `~ ${c.path}: ${show(c.old)} → ${show(c.new)}`))
    .join("\n");
}

// ---------------------------------------------------------------------------------------
// The document in force, the history and the push decision

/** A replaced document, as `rules:history` keeps it. `pushed_at` is null when unknown (written by other means than this CLI). */
export interface HistoryEntry {
  version: string;
  hash: string;
  pushed_at: string | null;
  text: string;
}

/** What `rules:current_meta` holds. */
export interface PushMeta {
  version: string;
  hash: string;
  pushed_at: string;
  /** Push sequence number: the previous meta's + 1, from 1 (rollbacks count too). The gateway prefers the higher seq (docs/rules.md). */
  seq: number;
}

/** The document in force as this CLI sees it. */
export type Current =
  | { source: "bundled"; text: string; hash: string; version: string; seq: number }
  | { source: "kv"; text: string; hash: string; version: string | undefined; valid: boolean; pushed_at: string | null; seq: number };

/** The seq of the last push as the stored meta gives it (whatever text it describes); 0 when absent or without one. */
export function seqOf(metaText: string | null): number {
  try {
    const meta = JSON.parse(metaText ?? "null") as Partial<PushMeta> | null;
    return isObject(meta) && typeof meta.seq === "number" && Number.isSafeInteger(meta.seq) && meta.seq > 0 ? meta.seq : 0;
  } catch {
    return 0;
  }
}

/**
 * The document in force from the three stored values (null = absent). With nothing pushed
 * the bundled document applies, hashed as the Worker hashes it (`bundledText` is
 * `JSON.stringify(DEFAULT_RULES)`, as in src/rules/store.ts).
 */
export async function currentFrom(stored: string | null, metaText: string | null, bundledText: string): Promise<Current> {
  if (stored === null) {
    const checked = await checkDocument(bundledText, "bundled defaults");
    if (!checked.ok) throw new Error(`the bundled rules do not validate: ${checked.errors.join("; ")}`);
    return { source: "bundled", text: bundledText, hash: checked.hash, version: checked.version, seq: seqOf(metaText) };
  }
  const hash = await hashText(stored);
  const checked = await checkDocument(stored, "rules:current");
  let pushedAt: string | null = null;
  try {
    const meta = JSON.parse(metaText ?? "null") as Partial<PushMeta> | null;
    // Only when the meta describes this very text (not one written by hand since).
    if (meta !== null && meta.hash === hash && typeof meta.pushed_at === "string") pushedAt = meta.pushed_at;
  } catch {
    // Unreadable meta: the push time is unknown.
  }
  const version = checked.ok ? checked.version : isObject(checked.json) && typeof checked.json.version === "string" ? checked.json.version : undefined;
  return { source: "kv", text: stored, hash, version, valid: checked.ok, pushed_at: pushedAt, seq: seqOf(metaText) };
}

/** `version@hash`, as the analytics data points show it. */
export const label = (c: { version?: string | undefined; hash: string }): string => `${clean(c.version ?? "(no version)")}@${c.hash}`;

/**
 * The stored history; absent is empty. Anything else than a list of entries is an error
 * (rather than silently starting a new history over the old one).
 */
export function parseHistory(text: string | null): HistoryEntry[] {
  if (text === null) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const entry = (e: unknown): e is HistoryEntry =>
    isObject(e) && typeof e.version === "string" && typeof e.hash === "string" && typeof e.text === "string" && (e.pushed_at === null || typeof e.pushed_at === "string");
  if (!Array.isArray(raw) || !raw.every(entry)) throw new CliError(`${HISTORY_KEY} in KV is not a rules history; inspect it with wrangler (kv key get) and delete it to start a new one`);
  return raw;
}

/** The history with `entry` appended (newest last), keeping the last `max`. */
export function appendHistory(history: readonly HistoryEntry[], entry: HistoryEntry, max = HISTORY_MAX): HistoryEntry[] {
  return [...history, entry].slice(-max);
}

/** The newest entry and the history without it; undefined when the history is empty. */
export function takeLatest(history: readonly HistoryEntry[]): { entry: HistoryEntry; rest: HistoryEntry[] } | undefined {
  const entry = history.at(-1);
  return entry === undefined ? undefined : { entry, rest: history.slice(0, -1) };
}

export type PushPlan =
  | { action: "unchanged" }
  | { action: "write"; history: HistoryEntry[]; meta: PushMeta; kept: HistoryEntry | undefined; skipped?: string | undefined };

/**
 * What pushing a valid document (`version`, `hash`) over `current` means. Throws `CliError`
 * when the version id is already taken by other content, in force or in the history: a
 * version id names exactly one content.
 */
export function planPush(current: Current, history: readonly HistoryEntry[], doc: { version: string; hash: string }, now: number): PushPlan {
  const taken = [...(current.source === "kv" && current.valid ? [{ version: current.version as string, hash: current.hash, where: "in force" }] : []), ...history.map((h) => ({ ...h, where: "in the history" }))];
  const clash = taken.find((t) => t.version === doc.version && t.hash !== doc.hash);
  if (clash !== undefined) {
    throw new CliError(`version ${clean(doc.version)} is already pushed (${clash.where}) with other content (hash ${clash.hash}; this file hashes to ${doc.hash}): give the changed document a new version id`);
  }
  if (current.source === "kv" && current.hash === doc.hash) return { action: "unchanged" };
  const meta: PushMeta = { version: doc.version, hash: doc.hash, pushed_at: new Date(now).toISOString(), seq: current.seq + 1 };
  if (current.source === "bundled") return { action: "write", history: [...history], meta, kept: undefined };
  if (!current.valid) {
    return { action: "write", history: [...history], meta, kept: undefined, skipped: `the document in KV (hash ${current.hash}) is invalid, so it was never in force; it is not kept in the history` };
  }
  const kept: HistoryEntry = { version: current.version as string, hash: current.hash, pushed_at: current.pushed_at, text: current.text };
  return { action: "write", history: appendHistory(history, kept), meta, kept };
}

// ---------------------------------------------------------------------------------------
// The gateway signal

export type SignalOutcome = { ok: true; stored: boolean; seq: number } | { ok: false; why: string };

/**
 * Hands a pushed document and its seq to a running gateway (`POST /admin/v1/rules/signal`).
 * Never throws: the KV write already happened, so a failure is reported, not fatal.
 * `fetchImpl` is `fetch` (tests inject their own).
 */
export async function sendSignal(gateway: Gateway, seq: number, text: string, fetchImpl: typeof fetch, timeoutMs = 15_000): Promise<SignalOutcome> {
  let res: Response;
  try {
    res = await fetchImpl(`${gateway.url}/admin/v1/rules/signal`, {
      method: "POST",
      headers: { authorization: `Bearer ${gateway.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ seq, text }),
      // A bearer credential is not replayed to wherever a redirect points.
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    return { ok: false, why: `could not reach the gateway at ${gateway.url}: ${clean(String(cause))}` };
  }
  let body: { stored?: unknown; seq?: unknown; error?: { message?: unknown; code?: unknown } } = {};
  try {
    body = JSON.parse(await res.text()) as typeof body;
  } catch {
    // Not JSON: reported by status below.
  }
  if (res.status === 200 && typeof body.stored === "boolean" && typeof body.seq === "number") return { ok: true, stored: body.stored, seq: body.seq };
  const why = body.error === undefined ? `HTTP ${res.status}` : `HTTP ${res.status} ${clean(String(body.error.code))}: ${clean(String(body.error.message))}`;
  const hint =
    res.status === 401 ? " (the admin key was not accepted)"
    : res.status === 403 ? " (the admin key lacks the admin scope)"
    : res.status === 404 ? " (the gateway has no rules signal endpoint: is it deployed at this version?)"
    : "";
  return { ok: false, why: `the gateway refused the signal: ${why}${hint}` };
}
