/**
 * The pure half of `npm run audit`: the command line, the SQL sent through
 * `wrangler d1 execute`, reading wrangler's JSON, the readable lines of `tail`, the export
 * format, and the verdicts of `verify` (the chain, its sealed head, and the running writer's
 * flushed head). No I/O and no clock, so all of it is unit-tested directly
 * (test-node/audit.test.mjs); scripts/audit.ts runs wrangler, reads the key and asks the gateway.
 *
 * The chain itself is src/audit/chain.ts and the D1 layout src/audit/d1.ts, shared with the
 * writer, so what is checked here is exactly what the writer wrote.
 */
import { z } from "zod";
import { anchorAfter, canonicalJson, GENESIS, headIsSealed, verifyChain, type ChainAnchor, type ChainedRecord } from "../../src/audit/chain";
import { anchorOfRow, recordOfRow, type AuditMetaRow, type AuditRow } from "../../src/audit/d1";
import { CliError, gatewayFrom, optionsOf, readCommand, refuseFlags, UsageError, type Env, type Gateway } from "./cli";

export { CliError, UsageError, type Gateway } from "./cli";

/** `database_name` of the AUDIT_DB binding in wrangler.toml. */
export const DATABASE = "aigis-audit";
/** Records per wrangler call when reading the whole trail. */
export const PAGE_SIZE = 1000;
export const TAIL_DEFAULT = 20;
export const TAIL_MAX = 1000;
/** The writer's secret (src/audit/writer.ts `AUDIT_KEY_SECRET`), read from the environment here. */
export const KEY_ENV = "AIGIS_AUDIT_KEY";

export const USAGE = `Usage: npm run audit -- <command> [options]

Reads the audit trail in D1 (binding AUDIT_DB, database "${DATABASE}") through wrangler and
checks its hash chain. docs/audit.md ("Reading the trail: npm run audit") explains the checks.

Commands
  tail [--limit N] [--json]
      The newest N records (default ${TAIL_DEFAULT}, at most ${TAIL_MAX}), oldest first, one line
      each: time (UTC), seq, kind/action, client, rule, rules version, prompt MAC
      (start), detail. --json prints them as JSON lines instead.
  verify [--gateway URL] [--admin-key KEY]
      Checks every record's link from the anchor to the sealed head, ${PAGE_SIZE} records per
      wrangler call. Exit 0 when the chain is whole, 1 with the first failing seq and why.
      With a gateway, also compares D1's head with the writer's (GET /admin/v1/audit):
      an older head put back after removing records fails.
  verify --file FILE
      Checks an export offline (no wrangler, no D1).
  export [--since TIME] [--until TIME] [--out FILE]
      JSON lines: {"anchor", "head"} first, then each record in seq order, to stdout or
      FILE. A whole export verifies by itself. --since/--until export the seq range from
      the first record at or after --since to the last one before --until; it verifies
      as a segment (its end is checked against the head only where it reaches it).

Options
  --remote          the deployed database (default: local .wrangler/state, as npm start)
  --persist-to DIR  another local state directory (local only)
  --gateway URL     verify: the running gateway (https://, or http:// to localhost); needs
                    an admin key with the admin scope
  --admin-key KEY   the admin key (better: AIGIS_ADMIN_KEY, out of the shell history)
  -h, --help        this help

TIME        2026-06-01 (midnight UTC) or 2026-06-01T12:00:00Z
Environment ${KEY_ENV}: the secret the chain is keyed with (verify). Locally, when it
            is unset, audit_key from .wrangler/aigis-demo.json (written by npm start).
            AIGIS_ADMIN_KEY: the admin key for --gateway.
Exit codes  0 done (verify: the chain is whole), 1 failed (verify: it is not), 2 bad usage
Scripts     npm run -s audit -- export > trail.jsonl (without -s, npm prints its own header)`;

/** Which D1 a command reads. */
export interface Where {
  remote: boolean;
  /** Local state directory (`--persist-to`); undefined means the one `npm start` uses. */
  persistTo?: string | undefined;
}

export type Command =
  | { kind: "help" }
  | { kind: "tail"; where: Where; limit: number; json: boolean }
  | { kind: "verify"; where: Where; gateway?: Gateway | undefined }
  | { kind: "verify-file"; file: string }
  | { kind: "export"; where: Where; since?: number | undefined; until?: number | undefined; out?: string | undefined };

const OPTIONS = optionsOf(["persist-to", "limit", "gateway", "admin-key", "file", "since", "until", "out"], ["remote", "json"]);
const FLAGS: Record<string, readonly string[]> = {
  tail: ["limit", "json"],
  verify: ["gateway", "admin-key", "file"],
  export: ["since", "until", "out"],
};
const WHERE_FLAGS = ["remote", "persist-to"];

/**
 * Parses the command line. Throws `UsageError` for anything it cannot use, including a flag
 * the command does not take. `env` supplies AIGIS_ADMIN_KEY.
 * @example parseCommand(["tail", "--limit", "5"]) // { kind: "tail", where: { remote: false, persistTo: undefined }, limit: 5, json: false }
 */
export function parseCommand(argv: readonly string[], env: Env = {}): Command {
  const line = readCommand(argv, OPTIONS, Object.keys(FLAGS));
  if (line === "help") return { kind: "help" };
  const { command, values: v, rest } = line;
  refuseFlags(command, v, [...WHERE_FLAGS, ...FLAGS[command]!]);
  if (rest.length > 0) throw new UsageError(`${command} takes no arguments (got "${rest[0]}")`, true);
  const str = (flag: string): string | undefined => {
    const value = v[flag] as string | undefined;
    if (value !== undefined && value.trim() === "") throw new UsageError(`--${flag} needs a value`);
    return value;
  };
  if (v.remote === true && v["persist-to"] !== undefined) throw new UsageError("--persist-to is for local state; it cannot go with --remote");
  const where: Where = { remote: v.remote === true, persistTo: str("persist-to") };

  if (command === "tail") return { kind: "tail", where, limit: parseLimit(str("limit")), json: v.json === true };
  if (command === "verify") {
    const file = str("file");
    if (file !== undefined) {
      const flag = [...WHERE_FLAGS, "gateway", "admin-key"].find((f) => v[f] !== undefined);
      if (flag !== undefined) throw new UsageError(`verify --file reads no D1 and no gateway: it does not take --${flag}`);
      return { kind: "verify-file", file };
    }
    const url = str("gateway");
    if (url === undefined && v["admin-key"] !== undefined) throw new UsageError("--admin-key goes with --gateway");
    return { kind: "verify", where, gateway: gatewayFrom(url, str("admin-key") ?? env.AIGIS_ADMIN_KEY) };
  }
  const since = parseTime(str("since"), "--since");
  const until = parseTime(str("until"), "--until");
  if (since !== undefined && until !== undefined && since >= until) throw new UsageError("--since must be before --until");
  return { kind: "export", where, since, until, out: str("out") };
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return TAIL_DEFAULT;
  const n = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= TAIL_MAX)) throw new UsageError(`--limit: expected an integer from 1 to ${TAIL_MAX}, got "${text}"`);
  return n;
}

/** A date or a date-time with its zone, in ms (a zone-less time would depend on this machine's). */
export function parseTime(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const shape = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const t = shape.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(t)) throw new UsageError(`${flag} must be a date like 2026-06-01 or 2026-06-01T12:00:00Z (got "${text}")`);
  return t;
}

/**
 * The chain's secret: `AIGIS_AUDIT_KEY`, or locally the `audit_key` that `npm start` keeps in
 * .wrangler/aigis-demo.json (`demoText`, undefined when there is no such file).
 */
export function auditSecret(env: Readonly<Record<string, string | undefined>>, remote: boolean, demoText: string | undefined): string {
  let secret = env[KEY_ENV];
  if ((secret === undefined || secret === "") && !remote && demoText !== undefined) {
    try {
      const saved = JSON.parse(demoText) as { audit_key?: unknown };
      if (typeof saved.audit_key === "string") secret = saved.audit_key;
    } catch {
      // Unreadable: reported as missing below.
    }
  }
  if (secret === undefined || secret === "") {
    throw new UsageError(remote ? `set ${KEY_ENV} to the deployment's audit secret` : `set ${KEY_ENV}, or run npm start once (it keeps the local audit key in .wrangler/aigis-demo.json)`);
  }
  if (secret.length < 16) throw new UsageError(`${KEY_ENV} is too short to be an audit secret (at least 16 characters)`);
  return secret;
}

// ---------------------------------------------------------------------------------------
// SQL. `wrangler d1 execute --command` takes no bound parameters: only integers this module
// computed are put into the text.

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`not an integer for SQL: ${n}`);
  return String(n);
}

export const META_SQL = "SELECT name, seq, mac, seal FROM audit_meta WHERE name IN ('anchor', 'head')";

/** The newest `limit` records, newest first. */
export const tailSql = (limit: number): string => `SELECT * FROM audit_records ORDER BY seq DESC LIMIT ${int(limit)}`;

/** One page of records after `after`, in seq order, up to `through` when given. */
export function pageSql(after: number, through?: number): string {
  return `SELECT * FROM audit_records WHERE seq > ${int(after)}${through === undefined ? "" : ` AND seq <= ${int(through)}`} ORDER BY seq LIMIT ${PAGE_SIZE}`;
}

/** One record's link, to compare with the writer's flushed head. */
export const linkSql = (seq: number): string => `SELECT seq, mac FROM audit_records WHERE seq = ${int(seq)}`;

/**
 * An export's seq range for a time window: the first record at or after `since`, the last
 * before `until`, and the link before the first. A seq range, not a time filter: times come
 * from many isolates and may be slightly out of order, and only a contiguous range verifies.
 */
export function rangeSql(since: number | undefined, until: number | undefined): string {
  const first = since === undefined ? "SELECT MIN(seq) FROM audit_records" : `SELECT MIN(seq) FROM audit_records WHERE at >= ${int(since)}`;
  const last = until === undefined ? "SELECT MAX(seq) FROM audit_records" : `SELECT MAX(seq) FROM audit_records WHERE at < ${int(until)}`;
  return `SELECT r.first, r.last, (SELECT mac FROM audit_records WHERE seq = r.first - 1) AS prev_mac FROM (SELECT (${first}) AS first, (${last}) AS last) r`;
}

// ---------------------------------------------------------------------------------------
// What wrangler prints

/** One result row of `wrangler d1 execute --json`. */
export type D1Row = Record<string, unknown>;
const D1OutputSchema = z.array(z.object({ results: z.array(z.record(z.string(), z.unknown())), success: z.boolean() }));

/** The result rows of each statement from `wrangler d1 execute --json` (`[{ results, success, meta }]`). */
export function parseD1Output(stdout: string, statements: number): D1Row[][] {
  const start = stdout.indexOf("[");
  const end = stdout.lastIndexOf("]");
  let parsed: z.infer<typeof D1OutputSchema> | undefined;
  try {
    parsed = start === -1 || end < start ? undefined : D1OutputSchema.parse(JSON.parse(stdout.slice(start, end + 1)));
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.length !== statements || parsed.some((s) => !s.success)) {
    throw new CliError(`could not read the output of wrangler d1 execute (${statements} statement(s)): ${clean(stdout.trim().slice(0, 300))}`);
  }
  return parsed.map((s) => s.results);
}

/** The audit table a failed query names as missing: the writer has not flushed yet, so the trail is empty. */
export function missingTable(output: string): string | undefined {
  return /no such table: (audit_records|audit_meta)\b/.exec(output)?.[1];
}

const AuditRowSchema = z.object({
  seq: z.number().int(),
  at: z.number(),
  kind: z.string(),
  client: z.string(),
  tenant: z.string(),
  rule: z.string(),
  rules_version: z.string(),
  action: z.string(),
  prompt_mac: z.string().nullable(),
  detail: z.string(),
  mac: z.string(),
});

/** Records from `audit_records` rows, as `recordOfRow` gives them. */
export function recordsOf(rows: readonly D1Row[]): ChainedRecord[] {
  return rows.map((row) => {
    const parsed = AuditRowSchema.safeParse(row);
    if (!parsed.success) throw new CliError(`an audit_records row has unexpected columns: ${clean(JSON.stringify(row).slice(0, 200))}`);
    return recordOfRow(parsed.data as AuditRow);
  });
}

const MetaRowSchema = z.object({ name: z.enum(["anchor", "head"]), seq: z.number().int(), mac: z.string(), seal: z.string() });

/** The trail's ends from `audit_meta`: no anchor row is the genesis anchor; no head row stays undefined (and fails verify). */
export function metaOf(rows: readonly D1Row[]): { anchor: ChainAnchor; head: ChainAnchor | undefined } {
  const meta = rows.map((r) => MetaRowSchema.safeParse(r)).flatMap((p) => (p.success ? [p.data as AuditMetaRow] : []));
  return { anchor: anchorOfRow(meta.find((m) => m.name === "anchor")) ?? GENESIS, head: anchorOfRow(meta.find((m) => m.name === "head")) };
}

/** Where the trail stands before the writer's first flush (no tables yet): its initial anchor and head. */
export const EMPTY_TRAIL: { anchor: ChainAnchor; head: ChainAnchor } = { anchor: GENESIS, head: GENESIS };

// ---------------------------------------------------------------------------------------
// tail

// Stored text is shown on a terminal: control characters (escape sequences) are not passed on.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (s: string): string => s.replace(CONTROL, "?");
const field = (s: string): string => (s === "" ? "-" : clean(s));
const DETAIL_MAX = 200;

/**
 * One record as a readable line.
 * @example formatRecord(r) // "2026-06-01T12:00:00.000Z  #42  decision/block  client=acme  rule=pii.email  rules=v3  prompt=3f9c0a1b2c3d  {"score":0.93}"
 */
export function formatRecord(r: ChainedRecord): string {
  const time = Number.isFinite(r.at) && Math.abs(r.at) <= 8.64e15 ? new Date(r.at).toISOString() : `at=${r.at}`;
  const detail = canonicalJson(r.detail);
  const shown = detail.length > DETAIL_MAX ? `${detail.slice(0, DETAIL_MAX - 1)}…` : detail;
  return [time, `#${r.seq}`, `${field(r.kind)}/${field(r.action)}`, `client=${field(r.client)}`, `rule=${field(r.rule)}`, `rules=${field(r.rulesVersion)}`, `prompt=${r.promptMac === null ? "-" : clean(r.promptMac.slice(0, 12))}`, clean(shown)].join("  ");
}

// ---------------------------------------------------------------------------------------
// export files

const LinkSchema = z.object({ seq: z.number().int().min(0), mac: z.string() });
const AnchorSchema = z.object({ seq: z.number().int().min(0), mac: z.string(), seal: z.string() });
const HeaderSchema = z.strictObject({
  anchor: AnchorSchema,
  head: AnchorSchema.nullable(),
  range: z.strictObject({ since: z.string().nullable(), until: z.string().nullable(), from: LinkSchema }).optional(),
});
export type ExportHeader = z.infer<typeof HeaderSchema>;
const RecordSchema = z.strictObject({
  seq: z.number().int(),
  at: z.number(),
  kind: z.enum(["decision", "key", "rules", "audit", "data"]),
  client: z.string(),
  tenant: z.string(),
  rule: z.string(),
  rulesVersion: z.string(),
  action: z.string(),
  promptMac: z.string().nullable(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  mac: z.string(),
});

/**
 * An export's first line. `head` is null when D1 has none; `range` is there for a --since or
 * --until export: `from` is the link the first exported record follows.
 */
export function exportHeader(anchor: ChainAnchor, head: ChainAnchor | undefined, range?: ExportHeader["range"]): string {
  return JSON.stringify(range === undefined ? { anchor, head: head ?? null } : { anchor, head: head ?? null, range });
}

/** The range of a --since/--until export from `rangeSql`'s row: the link to start after, and the last seq (undefined: nothing in the window). */
export function exportRange(
  row: D1Row | undefined,
  anchor: ChainAnchor,
  head: ChainAnchor | undefined,
  since: number | undefined,
  until: number | undefined,
): { range: NonNullable<ExportHeader["range"]>; through: number | undefined } {
  const first = typeof row?.first === "number" ? row.first : undefined;
  const lastInWindow = typeof row?.last === "number" ? row.last : undefined;
  const through = lastInWindow === undefined || head === undefined ? lastInWindow : Math.min(lastInWindow, head.seq);
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  const base = { since: iso(since), until: iso(until) };
  if (first === undefined || through === undefined || first > through) return { range: { ...base, from: { seq: anchor.seq, mac: anchor.mac } }, through: undefined };
  const prevMac = first - 1 === anchor.seq ? anchor.mac : typeof row?.prev_mac === "string" ? row.prev_mac : "";
  return { range: { ...base, from: { seq: first - 1, mac: prevMac } }, through };
}

function parseLine<T>(schema: z.ZodType<T>, line: string, n: number, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new CliError(`line ${n}: not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CliError(`line ${n}: not ${what}: ${clean(z.prettifyError(parsed.error).split("\n").slice(0, 2).join(" "))}`);
  return parsed.data;
}

/** An export's first line. Throws `CliError` when it is not what export writes. */
export const parseHeader = (line: string): ExportHeader => parseLine(HeaderSchema, line, 1, 'an export header ({"anchor", "head"})');

/** Line `n` (from 2) of an export: one record, with exactly the fields the chain covers and its link. */
export const parseRecordLine = (line: string, n: number): ChainedRecord => parseLine(RecordSchema, line, n, "an audit record") as ChainedRecord;

// ---------------------------------------------------------------------------------------
// Verdicts

export type TrailVerdict =
  | {
      ok: true;
      count: number;
      first: number | undefined;
      last: number;
      head: { seq: number; mac: string };
      /** Records after the head that continue the chain (flushed while verify was reading). */
      newer: number;
      /** False for a segment that ends before the head. */
      headChecked: boolean;
    }
  | { ok: false; seq: number; reason: string };

/**
 * Verifies the chain page by page (a large trail is never held whole): each page with
 * `verifyChain` from the link before it, then the end against the sealed `head`. Records after
 * the head must continue the chain from it (the writer flushed while pages were read). A
 * `segment` (a --since/--until export) is checked against the head only where it reaches it.
 * Reports the first failure, as `verifyChain` does.
 */
export async function verifyPages(
  key: CryptoKey,
  anchor: ChainAnchor,
  head: ChainAnchor | undefined,
  pages: AsyncIterable<readonly ChainedRecord[]> | Iterable<readonly ChainedRecord[]>,
  segment = false,
): Promise<TrailVerdict> {
  if (head !== undefined && !(await headIsSealed(key, head))) return { ok: false, seq: head.seq, reason: "the head's seal does not match: the head was edited, or this is not the trail's key" };
  let link = anchor;
  let beyond: ChainAnchor | undefined;
  let count = 0;
  let newer = 0;
  let first: number | undefined;
  for await (const page of pages) {
    const cut = head === undefined ? -1 : page.findIndex((r) => r.seq > head.seq);
    const mine = cut === -1 ? page : page.slice(0, cut);
    const after = cut === -1 ? [] : page.slice(cut);
    if (mine.length > 0) {
      if (beyond !== undefined) return { ok: false, seq: mine[0]!.seq, reason: "out of order: it comes after records past the head" };
      const v = await verifyChain(key, link, mine);
      if (!v.ok) return v;
      first ??= mine[0]!.seq;
      count += mine.length;
      // The next page links from this one's last record; its seal is ours, the link is proven.
      link = await anchorAfter(key, v.head);
    }
    if (after.length > 0) {
      if (beyond === undefined) {
        const end = await verifyChain(key, link, [], head);
        if (!end.ok) return end;
        beyond = link;
      }
      const w = await verifyChain(key, beyond, after);
      if (!w.ok) return w;
      newer += after.length;
      beyond = await anchorAfter(key, w.head);
    }
  }
  if (head === undefined) {
    if (count === 0 && anchor.seq === 0 && anchor.mac === GENESIS.mac) return { ok: true, count: 0, first: undefined, last: 0, head: { seq: 0, mac: GENESIS.mac }, newer: 0, headChecked: true };
    return { ok: false, seq: link.seq + 1, reason: "there is no head (audit_meta 'head'): the trail's end cannot be checked" };
  }
  // A segment's start is taken from the export, so only records it holds prove anything.
  if (segment && (count === 0 || (beyond === undefined && link.seq < head.seq))) return { ok: true, count, first, last: link.seq, head: { seq: head.seq, mac: head.mac }, newer, headChecked: false };
  if (beyond === undefined) {
    const end = await verifyChain(key, link, [], head);
    if (!end.ok) return end;
  }
  return { ok: true, count, first, last: link.seq, head: { seq: head.seq, mac: head.mac }, newer, headChecked: true };
}

/** Verifies an export's records: the whole trail from its anchor, or a segment from the link it names. */
export async function verifyExport(key: CryptoKey, header: ExportHeader, pages: AsyncIterable<readonly ChainedRecord[]> | Iterable<readonly ChainedRecord[]>): Promise<TrailVerdict> {
  if (header.head === null) return { ok: false, seq: header.anchor.seq + 1, reason: "the export has no head: the trail's end cannot be checked" };
  const from = header.range?.from;
  if (from === undefined) return verifyPages(key, header.anchor, header.head, pages);
  // The segment's first record proves `from`: its link is an HMAC over from.mac.
  const start = from.seq === header.anchor.seq && from.mac === header.anchor.mac ? header.anchor : await anchorAfter(key, from);
  return verifyPages(key, start, header.head, pages, true);
}

/** verify's report: "ok: ..." or "FAILED at seq N: why". */
export function formatVerdict(v: TrailVerdict): string {
  if (!v.ok) return `FAILED at seq ${v.seq}: ${v.reason}`;
  const head = `head ${v.head.seq}${v.head.seq === 0 ? "" : ` (${v.head.mac.slice(0, 16)}…)`}`;
  const lines = [v.count === 0 ? `ok: 0 records, ${head}${v.head.seq === 0 ? " (empty trail)" : ""}` : `ok: ${v.count} records, seq ${v.first}..${v.last}, ${head}`];
  if (v.newer > 0) lines.push(`${v.newer} newer record(s) after that head continue the chain (flushed while verify was reading)`);
  if (!v.headChecked) lines.push(v.count === 0 ? "an empty segment: nothing in it to check" : `a segment: it ends at seq ${v.last}, before the head (seq ${v.head.seq}), so its end is not checked against the head`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------
// The running writer (GET /admin/v1/audit?limit=0)

const GatewayAuditSchema = z.object({ head: LinkSchema, flushed: LinkSchema, pending: z.number(), dropped: z.number(), failures: z.number() });
export type GatewayAudit = z.infer<typeof GatewayAuditSchema>;

/** The gateway's answer, or `CliError` saying what came back instead. */
export function parseGatewayAudit(status: number, body: string): GatewayAudit {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const parsed = GatewayAuditSchema.safeParse(json);
  if (status === 200 && parsed.success) return parsed.data;
  const hint =
    status === 401 ? " (the admin key was not accepted)"
    : status === 403 ? " (the admin key lacks the admin scope)"
    : status === 404 ? " (the gateway has no audit endpoint: is it deployed at this version?)"
    : status === 200 ? ": not the audit status (head, flushed, pending)"
    : "";
  throw new CliError(`the gateway answered GET /admin/v1/audit with HTTP ${status}${hint}`);
}

/**
 * Whether D1 holds what the writer says it flushed. The status is read before D1, so D1's
 * head is at least as new: an older one means records were removed and an older head put
 * back (its seal is genuine, so only the writer's own memory shows it). `atFlushed` is D1's
 * record at the flushed seq, for when the writer flushed again in between.
 */
export function checkFlushed(d1: { anchor: ChainAnchor; head: ChainAnchor }, flushed: { seq: number; mac: string }, atFlushed: { seq: number; mac: string } | undefined): { ok: true } | { ok: false; seq: number; reason: string } {
  if (d1.head.seq < flushed.seq) {
    return { ok: false, seq: d1.head.seq + 1, reason: `D1's head is seq ${d1.head.seq} but the writer has flushed through seq ${flushed.seq}: records were removed from D1 and an older head put back` };
  }
  const link = d1.head.seq === flushed.seq ? d1.head : flushed.seq === d1.anchor.seq ? d1.anchor : atFlushed;
  if (link?.mac !== flushed.mac) return { ok: false, seq: flushed.seq, reason: `D1's record at seq ${flushed.seq} is not the one the writer flushed there` };
  return { ok: true };
}

/** The writer's state, for information. */
export function formatGateway(g: GatewayAudit): string {
  const extra = [g.dropped > 0 ? `${g.dropped} event(s) dropped (buffer full) not yet recorded` : "", g.failures > 0 ? `${g.failures} failed D1 append(s) in a row` : ""].filter((s) => s !== "");
  return `writer: head seq ${g.head.seq}, flushed to D1 through seq ${g.flushed.seq}, ${g.pending} record(s) pending (not yet in D1)${extra.length > 0 ? `; ${extra.join("; ")}` : ""}`;
}
