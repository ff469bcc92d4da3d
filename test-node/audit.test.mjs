// @ts-check
/**
 * `npm run audit`: the pure parts directly, then the CLI as an operator runs it, against a
 * real local D1 that wrangler builds in a temporary `--persist-to` directory (never
 * .wrangler/state), with records chained and sealed by src/audit/chain.ts as the writer does.
 * Each wrangler call costs about a second, so the end-to-end test is one short story.
 *
 * Run: node --import tsx --test test-node/audit.test.mjs
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT, runScript } from "./cli.mjs";
import { anchorAfter, auditKey, canonicalJson, chain, GENESIS, sealHead } from "../src/audit/chain.ts";
import { AUDIT_COLUMNS, AUDIT_SCHEMA, rowOf } from "../src/audit/d1.ts";
import { runWrangler } from "../scripts/lib/wrangler-kv.ts";
import {
  PAGE_SIZE,
  UsageError,
  auditSecret,
  checkFlushed,
  exportRange,
  formatRecord,
  formatVerdict,
  metaOf,
  missingTable,
  pageSql,
  parseCommand,
  parseD1Output,
  parseGatewayAudit,
  parseHeader,
  parseRecordLine,
  rangeSql,
  tailSql,
  verifyExport,
  verifyPages,
} from "../scripts/lib/audit-cli.ts";

const SECRET = "test-audit-secret-0123456789abcdef";
const T0 = Date.parse("2026-06-01T12:00:00Z");
const MINUTE = 60_000;

/** @typedef {import("../src/audit/chain.ts").ChainedRecord} ChainedRecord */
/** @typedef {import("../src/audit/chain.ts").ChainAnchor} ChainAnchor */

/** @param {number} seq @returns {import("../src/audit/chain.ts").AuditRecord} */
function event(seq) {
  return {
    seq,
    at: T0 + seq * MINUTE,
    kind: seq % 2 === 0 ? "key" : "decision",
    // A stored escape sequence must not reach the terminal through tail.
    client: seq === 4 ? "acme\u001b[2J" : "acme",
    tenant: "t1",
    rule: seq % 2 === 0 ? "" : "pii.email",
    rulesVersion: "2026-05-01.1",
    action: seq % 2 === 0 ? "created" : "block",
    promptMac: seq % 2 === 0 ? null : `${String(seq).repeat(12)}abcdef`,
    detail: { score: seq / 10, note: "it's fine", n: seq },
  };
}

/**
 * Records 1..n chained from genesis, the first `pruned` dropped behind a sealed anchor (as
 * retention leaves them), and the sealed head.
 * @param {CryptoKey} key @param {number} n @param {number} [pruned]
 */
async function trail(key, n, pruned = 0) {
  const all = await chain(key, GENESIS, Array.from({ length: n }, (_, i) => event(i + 1)));
  const anchor = pruned === 0 ? GENESIS : await anchorAfter(key, /** @type {ChainedRecord} */ (all[pruned - 1]));
  const last = all.at(-1) ?? GENESIS;
  return { records: all.slice(pruned), anchor, head: await sealHead(key, { seq: last.seq, mac: last.mac }) };
}

/** @param {string | number | null} v */
const lit = (v) => (v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v.replaceAll("'", "''")}'`);
/** @param {ChainedRecord} r */
const insertSql = (r) => {
  const row = /** @type {Record<string, string | number | null>} */ (/** @type {unknown} */ (rowOf(r, canonicalJson(r.detail))));
  return `INSERT INTO audit_records (${AUDIT_COLUMNS.join(", ")}) VALUES (${AUDIT_COLUMNS.map((c) => lit(row[c] ?? null)).join(", ")})`;
};

/** @param {ChainedRecord[]} records @returns {AsyncIterable<ChainedRecord[]>} */
async function* inPages(records, size = 2) {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

describe("audit: pure parts", () => {
  test("command lines", () => {
    const local = { remote: false, persistTo: undefined };
    assert.deepEqual(parseCommand(["tail"]), { kind: "tail", where: local, limit: 20, json: false });
    assert.deepEqual(parseCommand(["tail", "--limit", "1000", "--json", "--remote"]), { kind: "tail", where: { remote: true, persistTo: undefined }, limit: 1000, json: true });
    for (const bad of ["0", "1001", "abc", "1.5", "-3"]) assert.throws(() => parseCommand(["tail", "--limit", bad]), UsageError, bad);
    assert.deepEqual(parseCommand(["verify", "--persist-to", "/tmp/x"]), { kind: "verify", where: { remote: false, persistTo: "/tmp/x" }, gateway: undefined });
    assert.deepEqual(parseCommand(["verify", "--gateway", "http://127.0.0.1:8787/"], { AIGIS_ADMIN_KEY: "adm" }), { kind: "verify", where: local, gateway: { url: "http://127.0.0.1:8787", adminKey: "adm" } });
    assert.throws(() => parseCommand(["verify", "--gateway", "http://gateway.example.com"], { AIGIS_ADMIN_KEY: "adm" }), /https/);
    assert.throws(() => parseCommand(["verify", "--gateway", "https://gateway.example.com"]), /admin key/);
    assert.throws(() => parseCommand(["verify", "--admin-key", "adm"]), /--admin-key goes with --gateway/);
    assert.deepEqual(parseCommand(["verify", "--file", "trail.jsonl"]), { kind: "verify-file", file: "trail.jsonl" });
    assert.throws(() => parseCommand(["verify", "--file", "trail.jsonl", "--remote"]), /does not take --remote/);
    assert.deepEqual(parseCommand(["export", "--since", "2026-06-01", "--until", "2026-06-02T00:00:00Z", "--out", "a.jsonl"]), {
      kind: "export",
      where: local,
      since: Date.parse("2026-06-01T00:00:00Z"),
      until: Date.parse("2026-06-02T00:00:00Z"),
      out: "a.jsonl",
    });
    assert.throws(() => parseCommand(["export", "--since", "2026-06-02", "--until", "2026-06-01"]), /before --until/);
    assert.throws(() => parseCommand(["export", "--since", "2026-06-01T12:00"]), /--since/, "a time without a zone is refused");
    assert.throws(() => parseCommand(["tail", "--out", "x"]), /tail does not take --out/);
    assert.throws(() => parseCommand(["export", "--limit", "3"]), /export does not take --limit/);
    assert.throws(() => parseCommand(["tail", "--remote", "--persist-to", "d"]), /--persist-to/);
    assert.throws(() => parseCommand(["tail", "extra"]), /takes no arguments/);
    assert.throws(() => parseCommand(["prune"]), /unknown command/);
    assert.throws(() => parseCommand([]), /no command/);
    assert.throws(() => parseCommand(["tail", "--bogus"]), /unknown option --bogus/);
    assert.deepEqual(parseCommand(["export", "--help"]), { kind: "help" });
  });

  test("the audit secret: the environment, else locally npm start's file", () => {
    const demo = JSON.stringify({ audit_key: "from-the-demo-file-0123456789" });
    assert.equal(auditSecret({ AIGIS_AUDIT_KEY: SECRET }, true, demo), SECRET);
    assert.equal(auditSecret({}, false, demo), "from-the-demo-file-0123456789");
    assert.throws(() => auditSecret({}, true, demo), /AIGIS_AUDIT_KEY/, "never the local key for the deployed trail");
    assert.throws(() => auditSecret({}, false, undefined), /npm start/);
    assert.throws(() => auditSecret({}, false, "not json"), UsageError);
    assert.throws(() => auditSecret({ AIGIS_AUDIT_KEY: "short" }, false, undefined), /too short/);
  });

  test("SQL: integers only, pages bounded", () => {
    assert.equal(pageSql(0), `SELECT * FROM audit_records WHERE seq > 0 ORDER BY seq LIMIT ${PAGE_SIZE}`);
    assert.equal(pageSql(1000, 1500), `SELECT * FROM audit_records WHERE seq > 1000 AND seq <= 1500 ORDER BY seq LIMIT ${PAGE_SIZE}`);
    assert.equal(tailSql(5), "SELECT * FROM audit_records ORDER BY seq DESC LIMIT 5");
    assert.throws(() => pageSql(Number.NaN), TypeError);
    assert.throws(() => tailSql(1.5), TypeError);
    assert.match(rangeSql(T0, T0 + MINUTE), new RegExp(`WHERE at >= ${T0}\\).*WHERE at < ${T0 + MINUTE}\\)`));
    assert.doesNotMatch(rangeSql(undefined, T0), /at >=/);
  });

  test("wrangler's JSON, and a missing table as an empty trail", () => {
    const stdout = `\n${JSON.stringify([{ results: [{ seq: 1 }], success: true, meta: { duration: 0 } }, { results: [], success: true, meta: {} }])}\n`;
    assert.deepEqual(parseD1Output(stdout, 2), [[{ seq: 1 }], []]);
    assert.throws(() => parseD1Output(stdout, 1), /could not read/);
    assert.throws(() => parseD1Output('{"error":{"text":"x"}}', 1), /could not read/);
    assert.equal(missingTable('{\n  "error": {\n    "text": "no such table: audit_records: SQLITE_ERROR"\n  }\n}'), "audit_records");
    assert.equal(missingTable("no such table: audit_meta: SQLITE_ERROR"), "audit_meta");
    assert.equal(missingTable("no such table: audit_records_old"), undefined);
    assert.equal(missingTable("syntax error"), undefined);
    const meta = metaOf([{ name: "head", seq: 3, mac: "m", seal: "s" }]);
    assert.deepEqual(meta, { anchor: GENESIS, head: { seq: 3, mac: "m", seal: "s" } });
    assert.equal(metaOf([]).head, undefined);
  });

  test("tail lines: every field, no control characters, long details cut", async () => {
    const key = await auditKey(SECRET);
    const { records } = await trail(key, 4);
    const line = formatRecord(/** @type {ChainedRecord} */ (records[2]));
    assert.equal(line, `2026-06-01T12:03:00.000Z  #3  decision/block  client=acme  rule=pii.email  rules=2026-05-01.1  prompt=333333333333  {"n":3,"note":"it's fine","score":0.3}`);
    const four = formatRecord(/** @type {ChainedRecord} */ (records[3]));
    assert.match(four, /#4  key\/created  client=acme\?\[2J  rule=-  rules=2026-05-01\.1  prompt=-  /);
    assert.doesNotMatch(four, /\u001b/);
    const long = formatRecord({ .../** @type {ChainedRecord} */ (records[0]), detail: { text: "x".repeat(500) } });
    assert.ok(long.endsWith("…") && long.length < 400, long);
  });

  test("verify: a whole chain across pages, from a pruned anchor", async () => {
    const key = await auditKey(SECRET);
    const { records, anchor, head } = await trail(key, 7, 2);
    const v = await verifyPages(key, anchor, head, inPages(records));
    assert.deepEqual(v, { ok: true, count: 5, first: 3, last: 7, head: { seq: 7, mac: head.mac }, newer: 0, headChecked: true });
    assert.match(formatVerdict(v), /^ok: 5 records, seq 3\.\.7, head 7 \(/);
    const empty = await verifyPages(key, GENESIS, GENESIS, []);
    assert.equal(formatVerdict(empty), "ok: 0 records, head 0 (empty trail)");
  });

  test("verify: each kind of tampering names the first failing seq", async () => {
    const key = await auditKey(SECRET);
    const { records, anchor, head } = await trail(key, 7, 2);
    const changed = records.map((r) => (r.seq === 5 ? { ...r, detail: { ...r.detail, score: 0 } } : r));
    assert.deepEqual(await verifyPages(key, anchor, head, inPages(changed)), { ok: false, seq: 5, reason: "link does not match: the record or one before it was changed" });
    const removed = records.filter((r) => r.seq !== 4);
    const gap = await verifyPages(key, anchor, head, inPages(removed));
    assert.ok(!gap.ok && gap.seq === 5 && /expected seq 4/.test(gap.reason), formatVerdict(gap));
    const truncated = await verifyPages(key, anchor, head, inPages(records.slice(0, -1)));
    assert.ok(!truncated.ok && truncated.seq === 7 && /removed from the end/.test(truncated.reason), formatVerdict(truncated));
    const forgedHead = await verifyPages(key, anchor, { ...head, seq: 6, mac: /** @type {ChainedRecord} */ (records[3]).mac }, inPages(records.slice(0, -1)));
    assert.ok(!forgedHead.ok && /seal/.test(forgedHead.reason), formatVerdict(forgedHead));
    const forgedAnchor = await verifyPages(key, { ...anchor, seq: 1 }, head, inPages(records));
    assert.ok(!forgedAnchor.ok && /anchor seal/.test(forgedAnchor.reason));
    const otherKey = await verifyPages(await auditKey(`${SECRET}-other`), anchor, head, inPages(records));
    assert.equal(otherKey.ok, false);
    const noHead = await verifyPages(key, anchor, undefined, inPages(records));
    assert.ok(!noHead.ok && /no head/.test(noHead.reason));
  });

  test("verify: records flushed after the head was read must continue the chain", async () => {
    const key = await auditKey(SECRET);
    const { records, anchor } = await trail(key, 6);
    const older = await sealHead(key, /** @type {ChainedRecord} */ (records[4]));
    const v = await verifyPages(key, anchor, older, inPages(records, 4));
    assert.ok(v.ok && v.count === 5 && v.newer === 1, formatVerdict(v));
    assert.match(formatVerdict(v), /1 newer record/);
    const forged = records.map((r) => (r.seq === 6 ? { ...r, action: "allow" } : r));
    assert.deepEqual(await verifyPages(key, anchor, older, inPages(forged, 4)), { ok: false, seq: 6, reason: "link does not match: the record or one before it was changed" });
  });

  test("export files: header, records, segments", async () => {
    const key = await auditKey(SECRET);
    const { records, anchor, head } = await trail(key, 7, 2);
    const header = parseHeader(JSON.stringify({ anchor, head }));
    const lines = records.map((r, i) => parseRecordLine(JSON.stringify(r), i + 2));
    assert.ok((await verifyExport(key, header, [lines])).ok);
    assert.throws(() => parseRecordLine(JSON.stringify({ ...records[0], extra: 1 }), 2), /line 2: not an audit record/);
    assert.throws(() => parseRecordLine("{", 9), /line 9: not JSON/);
    assert.throws(() => parseHeader(JSON.stringify({ anchor })), /line 1/);
    assert.equal((await verifyExport(key, { anchor, head: null }, [lines])).ok, false);

    // Records 4..5 of 3..7: a segment after the link of record 3, before the head.
    const row = { first: 4, last: 5, prev_mac: /** @type {ChainedRecord} */ (records[0]).mac };
    const { range, through } = exportRange(row, anchor, head, T0 + 4 * MINUTE, T0 + 6 * MINUTE);
    assert.deepEqual(range, { since: "2026-06-01T12:04:00.000Z", until: "2026-06-01T12:06:00.000Z", from: { seq: 3, mac: row.prev_mac } });
    assert.equal(through, 5);
    const segment = lines.filter((r) => r.seq >= 4 && r.seq <= 5);
    const v = await verifyExport(key, { anchor, head, range }, [segment]);
    assert.ok(v.ok && v.count === 2 && !v.headChecked, formatVerdict(v));
    assert.match(formatVerdict(v), /a segment: it ends at seq 5, before the head \(seq 7\)/);
    const wrongFrom = await verifyExport(key, { anchor, head, range: { ...range, from: { seq: 3, mac: "0".repeat(64) } } }, [segment]);
    assert.deepEqual(wrongFrom.ok === false && wrongFrom.seq, 4);
    // A segment that starts at the anchor uses the sealed anchor; one that reaches the head is checked against it.
    const toHead = exportRange({ first: 3, last: 7, prev_mac: null }, anchor, head, undefined, T0 + 99 * MINUTE);
    assert.deepEqual(toHead.range.from, { seq: anchor.seq, mac: anchor.mac });
    const all = await verifyExport(key, { anchor, head, range: toHead.range }, [lines]);
    assert.ok(all.ok && all.headChecked);
    assert.equal(exportRange({ first: null, last: null, prev_mac: null }, anchor, head, T0 + 99 * MINUTE, undefined).through, undefined);
  });

  test("the writer's flushed head against D1's", async () => {
    const d1 = { anchor: GENESIS, head: { seq: 7, mac: "m7", seal: "s" } };
    assert.deepEqual(checkFlushed(d1, { seq: 7, mac: "m7" }, undefined), { ok: true });
    // Flushed again between the gateway's answer and the D1 read.
    assert.deepEqual(checkFlushed(d1, { seq: 6, mac: "m6" }, { seq: 6, mac: "m6" }), { ok: true });
    assert.equal(checkFlushed(d1, { seq: 6, mac: "m6" }, { seq: 6, mac: "other" }).ok, false);
    const replayed = checkFlushed(d1, { seq: 9, mac: "m9" }, undefined);
    assert.ok(!replayed.ok && replayed.seq === 8 && /older head put back/.test(replayed.reason));
    assert.equal(checkFlushed(d1, { seq: 7, mac: "m7-other" }, undefined).ok, false);
    assert.deepEqual(checkFlushed({ anchor: GENESIS, head: GENESIS }, { seq: 0, mac: GENESIS.mac }, undefined), { ok: true });

    const status = { records: [], head: { seq: 9, mac: "a" }, flushed: { seq: 7, mac: "b" }, pending: 2, dropped: 0, failures: 0 };
    assert.equal(parseGatewayAudit(200, JSON.stringify(status)).pending, 2);
    assert.throws(() => parseGatewayAudit(401, "{}"), /HTTP 401 \(the admin key was not accepted\)/);
    assert.throws(() => parseGatewayAudit(200, "{}"), /not the audit status/);
  });
});

describe("audit: the CLI against a local D1", { concurrency: true }, () => {
  /** @param {import("node:test").TestContext} t */
  async function tempDir(t) {
    const dir = await mkdtemp(join(tmpdir(), "aigis-audit-test-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }
  /** @param {string[]} args @param {string} [dir] @param {Record<string, string>} [extraEnv] */
  async function audit(args, dir, extraEnv = {}) {
    /** @type {NodeJS.ProcessEnv} */
    const env = { ...process.env, AIGIS_AUDIT_KEY: SECRET, ...extraEnv };
    if (extraEnv.AIGIS_ADMIN_KEY === undefined) delete env.AIGIS_ADMIN_KEY;
    return runScript("scripts/audit.ts", dir === undefined ? args : [...args, "--persist-to", dir], env);
  }
  /** @param {string} dir @param {string[]} statements */
  const sql = (dir, statements) =>
    runWrangler(["d1", "execute", "aigis-audit", "--local", "--persist-to", dir, "--config", join(ROOT, "wrangler.toml"), "--json", "--command", statements.join(";\n")], { remote: false, cwd: ROOT });

  test("no tables yet is an empty trail", async (t) => {
    const dir = await tempDir(t);
    const tail = await audit(["tail"], dir);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout, "");
    assert.match(tail.stderr, /no audit records/);
    const verify = await audit(["verify"], dir);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /ok: 0 records, head 0 \(empty trail\)/);
  });

  test("tail, verify (with the gateway), export, verify --file, then tampering", async (t) => {
    const dir = await tempDir(t);
    const key = await auditKey(SECRET);
    const { records, anchor, head } = await trail(key, 7, 2);
    await sql(dir, [
      ...AUDIT_SCHEMA,
      `INSERT INTO audit_meta (name, seq, mac, seal) VALUES ('anchor', ${anchor.seq}, ${lit(anchor.mac)}, ${lit(anchor.seal)})`,
      `INSERT INTO audit_meta (name, seq, mac, seal) VALUES ('head', ${head.seq}, ${lit(head.mac)}, ${lit(head.seal)})`,
      ...records.map(insertSql),
    ]);

    const tail = await audit(["tail"], dir);
    assert.equal(tail.code, 0, tail.stderr);
    const lines = tail.stdout.trimEnd().split("\n");
    assert.deepEqual(lines, records.map(formatRecord), "oldest to newest, one line each");
    assert.match(lines[0] ?? "", /^2026-06-01T12:03:00\.000Z  #3  decision\/block  client=acme/);
    assert.doesNotMatch(tail.stdout, /\u001b/);

    const json = await audit(["tail", "--limit", "2", "--json"], dir);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l)), records.slice(-2));

    // The writer's status from a stand-in gateway: D1's head is what it flushed.
    /** @type {{ url?: string, authorization?: string }} */
    const seen = {};
    const server = createServer((req, res) => {
      seen.url = req.url;
      seen.authorization = req.headers.authorization;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ records: [], head: { seq: 9, mac: "x" }, flushed: { seq: head.seq, mac: head.mac }, pending: 2, dropped: 0, failures: 0 }));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    t.after(() => server.close());
    const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
    const verify = await audit(["verify", "--gateway", `http://127.0.0.1:${port}`], dir, { AIGIS_ADMIN_KEY: "admin-key-for-test" });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^ok: 5 records, seq 3\.\.7, head 7 /m);
    assert.match(verify.stdout, /2 record\(s\) pending \(not yet in D1\)/);
    assert.match(verify.stdout, /D1 holds the writer's flushed head \(seq 7\)/);
    assert.deepEqual(seen, { url: "/admin/v1/audit?limit=0", authorization: "Bearer admin-key-for-test" });

    const file = join(dir, "trail.jsonl");
    const exported = await audit(["export", "--out", file], dir);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /exported 5 record\(s\), seq 3\.\.7/);
    const text = await readFile(file, "utf8");
    const [first, ...rest] = text.trimEnd().split("\n");
    assert.deepEqual(JSON.parse(first ?? ""), { anchor, head });
    assert.deepEqual(rest.map((l) => JSON.parse(l)), records);
    const offline = await audit(["verify", "--file", file]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /^ok: 5 records, seq 3\.\.7, head 7 /);
    // A changed line in the file: offline verification names it.
    await writeFile(file, text.replace('"n":5', '"n":50'));
    const edited = await audit(["verify", "--file", file]);
    assert.equal(edited.code, 1);
    assert.match(edited.stderr, /FAILED at seq 5: link does not match/);

    // A time window: records 4..5, a segment that verifies on its own.
    const window = join(dir, "window.jsonl");
    const part = await audit(["export", "--since", new Date(T0 + 4 * MINUTE).toISOString(), "--until", new Date(T0 + 6 * MINUTE).toISOString(), "--out", window], dir);
    assert.equal(part.code, 0, part.stderr);
    assert.deepEqual((await readFile(window, "utf8")).trimEnd().split("\n").slice(1).map((l) => JSON.parse(l).seq), [4, 5]);
    const partVerify = await audit(["verify", "--file", window]);
    assert.equal(partVerify.code, 0, partVerify.stderr);
    assert.match(partVerify.stdout, /ok: 2 records, seq 4\.\.5.*\na segment/);

    // One record's detail changed in D1.
    const five = /** @type {ChainedRecord} */ (records[2]);
    await sql(dir, [`UPDATE audit_records SET detail = ${lit(canonicalJson({ ...five.detail, score: 0 }))} WHERE seq = 5`]);
    const changed = await audit(["verify"], dir);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /FAILED at seq 5: link does not match/);

    // Restored, and the newest record deleted with the head left as it was.
    await sql(dir, [`UPDATE audit_records SET detail = ${lit(canonicalJson(five.detail))} WHERE seq = 5`, "DELETE FROM audit_records WHERE seq = 7"]);
    const truncated = await audit(["verify"], dir);
    assert.equal(truncated.code, 1);
    assert.match(truncated.stderr, /FAILED at seq 7: the chain ends at 6 but the writer's head is 7/);
  });
});
