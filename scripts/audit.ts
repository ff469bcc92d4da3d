/**
 * `npm run audit -- tail|verify|export`: reads the audit trail that the gateway's writer
 * (src/audit/writer.ts) keeps in D1, through `wrangler d1 execute` (local `.wrangler/state` by
 * default, as `npm start`; `--remote` for the deployed database), and checks its hash chain
 * with the writer's key. `npm run audit -- --help` for the usage; docs/audit.md ("Reading the
 * trail: npm run audit") for what each check shows.
 *
 * Pure parts (command line, SQL, formats, verdicts) live in lib/audit-cli.ts; wrangler runs
 * through lib/wrangler-kv.ts's `runWrangler`, which keeps local calls offline.
 */
import { open, readFile, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { auditKey, GENESIS, type ChainedRecord } from "../src/audit/chain";
import { LOCAL_STATE_DIR, ROOT } from "./lib/key-store";
import { callGateway, runCli, runIfScript, type Env } from "./lib/cli";
import { runWrangler, WranglerError } from "./lib/wrangler-kv";
import {
  CliError,
  DATABASE,
  EMPTY_TRAIL,
  META_SQL,
  PAGE_SIZE,
  USAGE,
  auditSecret,
  checkFlushed,
  exportHeader,
  exportRange,
  formatGateway,
  formatRecord,
  formatVerdict,
  linkSql,
  metaOf,
  missingTable,
  pageSql,
  parseCommand,
  parseD1Output,
  parseGatewayAudit,
  parseHeader,
  parseRecordLine,
  rangeSql,
  recordsOf,
  tailSql,
  verifyExport,
  verifyPages,
  type Command,
  type D1Row,
  type Gateway,
  type GatewayAudit,
  type Where,
} from "./lib/audit-cli";

/** Written by `npm start` (scripts/start.mjs): the local audit key, among others. */
const DEMO_FILE = join(ROOT, ".wrangler", "aigis-demo.json");
const GATEWAY_TIMEOUT_MS = 15_000;

interface D1Target {
  remote: boolean;
  persistTo: string;
  config: string;
  cwd: string;
}

function targetFor(where: Where): D1Target {
  const persistTo = where.persistTo === undefined ? join(ROOT, LOCAL_STATE_DIR) : resolve(where.persistTo);
  return { remote: where.remote, persistTo, config: join(ROOT, "wrangler.toml"), cwd: ROOT };
}

const describeTarget = (t: D1Target): string => (t.remote ? `remote D1 ${DATABASE}` : `local D1 ${DATABASE} (${t.persistTo})`);

/**
 * Runs `statements` in one wrangler call (one batch, so they read the same state) and returns
 * each one's rows; undefined when an audit table does not exist yet (the writer has not flushed).
 */
async function query(t: D1Target, statements: readonly string[]): Promise<D1Row[][] | undefined> {
  const where = t.remote ? ["--remote"] : ["--local", "--persist-to", t.persistTo];
  let stdout: string;
  try {
    stdout = await runWrangler(["d1", "execute", DATABASE, "--json", "--command", statements.join(";\n"), ...where, "--config", t.config], t);
  } catch (err) {
    if (err instanceof WranglerError && missingTable(err.output) !== undefined) return undefined;
    throw err;
  }
  return parseD1Output(stdout, statements.length);
}

/** Records after `after` up to `through`, a page per wrangler call; `firstPage` when already read (it may run past `through`). */
async function* pagesFrom(t: D1Target, after: number, through: number | undefined, firstPage?: ChainedRecord[]): AsyncGenerator<ChainedRecord[]> {
  let page = firstPage ?? recordsOf((await query(t, [pageSql(after, through)]))?.[0] ?? []);
  for (;;) {
    const kept = through === undefined ? page : page.filter((r) => r.seq <= through);
    if (kept.length > 0) yield kept;
    if (page.length < PAGE_SIZE || kept.length < page.length) return;
    page = recordsOf((await query(t, [pageSql(page.at(-1)!.seq, through)]))?.[0] ?? []);
  }
}

async function readDemoFile(): Promise<string | undefined> {
  try {
    return await readFile(DEMO_FILE, "utf8");
  } catch {
    return undefined;
  }
}

/** The writer's status from the running gateway (`GET /admin/v1/audit?limit=0`). */
async function writerStatus(gateway: Gateway): Promise<GatewayAudit> {
  const res = await callGateway(gateway, "/admin/v1/audit?limit=0", GATEWAY_TIMEOUT_MS, { method: "GET" });
  return parseGatewayAudit(res.status, await res.text());
}

async function tail(cmd: Extract<Command, { kind: "tail" }>): Promise<number> {
  const t = targetFor(cmd.where);
  const sets = await query(t, [tailSql(cmd.limit)]);
  const records = recordsOf(sets?.[0] ?? []).reverse();
  if (records.length === 0) console.error(`no audit records in ${describeTarget(t)}${sets === undefined ? " (no audit tables yet: nothing has been written)" : ""}`);
  for (const r of records) console.log(cmd.json ? JSON.stringify(r) : formatRecord(r));
  return 0;
}

async function verify(cmd: Extract<Command, { kind: "verify" }>): Promise<number> {
  const key = await auditKey(auditSecret(process.env, cmd.where.remote, await readDemoFile()));
  const t = targetFor(cmd.where);
  // The writer first: D1, read after, is then at least as new as what it says it flushed.
  const writer = cmd.gateway === undefined ? undefined : await writerStatus(cmd.gateway);
  const sets = await query(t, [META_SQL, pageSql(0), ...(writer === undefined ? [] : [linkSql(writer.flushed.seq)])]);
  if (sets === undefined) console.log(`no audit tables in ${describeTarget(t)} yet: nothing has been written`);
  const { anchor, head } = sets === undefined ? EMPTY_TRAIL : metaOf(sets[0]!);
  if (writer !== undefined) console.log(formatGateway(writer));
  const verdict = await verifyPages(key, anchor, head, pagesFrom(t, 0, undefined, recordsOf(sets?.[1] ?? [])));
  if (!verdict.ok) {
    console.error(formatVerdict(verdict));
    return 1;
  }
  console.log(formatVerdict(verdict));
  if (writer !== undefined) {
    const atFlushed = sets?.[2]?.[0] as { seq: number; mac: string } | undefined;
    // No head row passed verify only for an empty trail, which is the genesis head.
    const flushed = checkFlushed({ anchor, head: head ?? GENESIS }, writer.flushed, atFlushed);
    if (!flushed.ok) {
      console.error(formatVerdict(flushed));
      return 1;
    }
    console.log(`ok: D1 holds the writer's flushed head (seq ${writer.flushed.seq})`);
  }
  return 0;
}

async function verifyFile(cmd: Extract<Command, { kind: "verify-file" }>): Promise<number> {
  const key = await auditKey(auditSecret(process.env, false, await readDemoFile()));
  let handle;
  try {
    handle = await open(cmd.file);
  } catch (err) {
    throw new CliError(`cannot read ${cmd.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const lines = createInterface({ input: handle.createReadStream({ encoding: "utf8" }), crlfDelay: Infinity })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done === true) throw new CliError(`${cmd.file} is empty (an export starts with its anchor and head)`);
    const header = parseHeader(first.value);
    async function* pages(): AsyncGenerator<ChainedRecord[]> {
      let page: ChainedRecord[] = [];
      for (let n = 2, line = await lines.next(); line.done !== true; n++, line = await lines.next()) {
        page.push(parseRecordLine(line.value, n));
        if (page.length === PAGE_SIZE) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    }
    const verdict = await verifyExport(key, header, pages());
    (verdict.ok ? console.log : console.error)(formatVerdict(verdict));
    return verdict.ok ? 0 : 1;
  } finally {
    await handle.close();
  }
}

/** Where an export goes: stdout, or a file written beside it and renamed into place once complete. */
async function output(file: string | undefined): Promise<{ write(text: string): Promise<void>; done(): Promise<void>; abort(): Promise<void> }> {
  if (file === undefined) {
    const write = (text: string) => new Promise<void>((res, rej) => process.stdout.write(text, (err) => (err ? rej(err) : res())));
    return { write, done: async () => {}, abort: async () => {} };
  }
  const partial = `${file}.partial`;
  // Audit records name clients and rules: readable by this user only.
  const handle = await open(partial, "w", 0o600).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot write ${partial} (${err.code ?? err.message})`);
  });
  return {
    write: async (text) => void (await handle.write(text)),
    done: async () => {
      await handle.close();
      await rename(partial, file);
    },
    abort: async () => {
      await handle.close();
      await rm(partial, { force: true });
    },
  };
}

async function exportTrail(cmd: Extract<Command, { kind: "export" }>): Promise<number> {
  const t = targetFor(cmd.where);
  const ranged = cmd.since !== undefined || cmd.until !== undefined;
  const sets = await query(t, [META_SQL, ranged ? rangeSql(cmd.since, cmd.until) : pageSql(0)]);
  const { anchor, head } = sets === undefined ? EMPTY_TRAIL : metaOf(sets[0]!);
  let header: string;
  let pages: AsyncIterable<ChainedRecord[]>;
  if (ranged) {
    const { range, through } = exportRange(sets?.[1]?.[0], anchor, head, cmd.since, cmd.until);
    header = exportHeader(anchor, head, range);
    pages = through === undefined ? (async function* () {})() : pagesFrom(t, range.from.seq, through);
  } else {
    // Up to the head read with the anchor: a whole export then verifies by itself.
    header = exportHeader(anchor, head);
    pages = pagesFrom(t, 0, head?.seq, recordsOf(sets?.[1] ?? []));
  }
  const out = await output(cmd.out);
  let count = 0;
  let first: number | undefined;
  let last = 0;
  try {
    await out.write(`${header}\n`);
    for await (const page of pages) {
      await out.write(`${page.map((r) => JSON.stringify(r)).join("\n")}\n`);
      first ??= page[0]!.seq;
      last = page.at(-1)!.seq;
      count += page.length;
    }
    await out.done();
  } catch (err) {
    await out.abort();
    throw err;
  }
  console.error(`exported ${count} record(s)${count > 0 ? `, seq ${first}..${last}` : ""} from ${describeTarget(t)}${cmd.out === undefined ? "" : ` to ${cmd.out}`}`);
  return 0;
}

function run(cmd: Exclude<Command, { kind: "help" }>): Promise<number> {
  if (cmd.kind === "tail") return tail(cmd);
  if (cmd.kind === "verify") return verify(cmd);
  if (cmd.kind === "verify-file") return verifyFile(cmd);
  return exportTrail(cmd);
}

/** Runs one command line; resolves with the exit code (0 done or whole, 1 failed or broken, 2 bad usage). */
export function main(argv: readonly string[], env: Env): Promise<number> {
  return runCli({ name: "audit", usage: USAGE, parse: () => parseCommand(argv, env), run });
}

await runIfScript(import.meta.url, main);
