// @ts-check
/**
 * `npm run rules`: the pure parts directly, then the CLI as an operator runs it, against
 * local KV through wrangler in a temporary `--persist-to` directory (never .wrangler/state).
 * Each wrangler call costs about a second, so the end-to-end test is one short story.
 *
 * Run: node --import tsx --test test-node/rules.test.mjs
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT, runScript } from "./cli.mjs";
import { DEFAULT_RULES } from "../src/rules/defaults.ts";
import { hashText, RULES_KEY } from "../src/rules/store.ts";
import { targetFor } from "../scripts/lib/key-store.ts";
import {
  CliError,
  HISTORY_KEY,
  HISTORY_MAX,
  UsageError,
  appendHistory,
  checkDocument,
  currentFrom,
  diffJson,
  formatDiff,
  formatPath,
  jsonErrorOffset,
  parseCommand,
  parseHistory,
  planPush,
  sendSignal,
  seqOf,
  takeLatest,
} from "../scripts/lib/rules-cli.ts";
import { kvBulkGet } from "../scripts/lib/wrangler-kv.ts";

const NOW = Date.parse("2026-11-29T12:00:00Z");
const BUNDLED = JSON.stringify(DEFAULT_RULES);

/** @param {string} version @param {Record<string, unknown>} [extra] */
const docText = (version, extra = {}) => `${JSON.stringify({ schema_version: 1, version, plans: { partner: { unknown_fields: "strip" } }, ...extra }, null, 2)}\n`;

/** @param {number} i @returns {import("../scripts/lib/rules-cli.ts").HistoryEntry} */
const entry = (i) => ({ version: `v${i}`, hash: `h${i}`, pushed_at: null, text: `{"version":"v${i}"}` });

/**
 * Runs `tsx scripts/rules.ts` (what `npm run rules` runs).
 * @param {string[]} args
 */
async function rules(args) {
  return runScript("scripts/rules.ts", args);
}

describe("rules: pure parts", () => {
  test("command lines", () => {
    assert.deepEqual(parseCommand(["validate"]), { kind: "validate", files: [] });
    assert.deepEqual(parseCommand(["validate", "a.json", "b.json"]), { kind: "validate", files: ["a.json", "b.json"] });
    assert.deepEqual(parseCommand(["push", "rules/prod.json", "--remote", "--env", "production"]), {
      kind: "push",
      file: "rules/prod.json",
      where: { remote: true, env: "production", config: "wrangler.toml", persistTo: undefined },
    });
    assert.deepEqual(parseCommand(["rollback"]), { kind: "rollback", where: { remote: false, env: undefined, config: "wrangler.toml", persistTo: undefined } });
    assert.equal(parseCommand(["diff", "-h"]).kind, "help");
    /** @param {string[]} argv @param {RegExp} why */
    const refused = (argv, why) => assert.throws(() => parseCommand(argv), (err) => err instanceof UsageError && why.test(err.message), argv.join(" "));
    refused([], /no command/);
    refused(["deploy"], /unknown command "deploy"/);
    refused(["push"], /needs exactly one FILE/);
    refused(["diff", "a.json", "b.json"], /needs exactly one FILE/);
    refused(["rollback", "v1"], /takes no arguments/);
    refused(["validate", "--remote"], /validate does not take --remote/);
    refused(["push", "a.json", "--bogus"], /unknown option --bogus/);
    refused(["push", "a.json", "--remote", "--persist-to", "/tmp/x"], /cannot go with --remote/);
    refused(["diff", "a.json", "--gateway", "https://gw.example"], /diff does not take --gateway/);
    refused(["push", "a.json", "--gateway", "http://gw.example"], /must be https/);
    refused(["push", "a.json", "--gateway", "https://gw.example"], /needs an admin key/);
  });

  test("push and rollback take a gateway, from flags or the environment", () => {
    const where = { remote: false, env: undefined, config: "wrangler.toml", persistTo: undefined };
    assert.deepEqual(parseCommand(["push", "a.json", "--gateway", "https://gw.example/", "--admin-key", "k"]), { kind: "push", file: "a.json", where, gateway: { url: "https://gw.example", adminKey: "k" } });
    assert.deepEqual(parseCommand(["rollback"], { AIGIS_GATEWAY_URL: "http://localhost:8787", AIGIS_ADMIN_KEY: "k2" }), { kind: "rollback", where, gateway: { url: "http://localhost:8787", adminKey: "k2" } });
    // The environment is ignored by the commands that take no gateway.
    assert.deepEqual(parseCommand(["diff", "a.json"], { AIGIS_GATEWAY_URL: "https://gw.example" }), { kind: "diff", file: "a.json", where });
  });

  test("invalid JSON: the message names the file, line and column", async () => {
    const missingComma = await checkDocument('{\n  "schema_version": 1\n  "version": "x"\n}', "a.json");
    assert.equal(missingComma.ok, false);
    assert.deepEqual(!missingComma.ok && missingComma.errors, ["a.json: invalid JSON at line 3, column 3: Expected ',' or '}' after property value"]);
    // V8 gives no position for this one: it is found from the longest viable prefix.
    const badToken = await checkDocument('{\n  "a": tru}', "b.json");
    assert.deepEqual(!badToken.ok && badToken.errors, ["b.json: invalid JSON at line 2, column 11: Unexpected token '}'"]);
    assert.equal(jsonErrorOffset("[1, 2] x", "no position here"), 7);
    const empty = await checkDocument("", "c.json");
    assert.match(!empty.ok ? (empty.errors[0] ?? "") : "", /^c\.json: invalid JSON at line 1, column 1: Unexpected end of JSON input$/);
  });

  test("schema errors name the JSON path; valid documents get the Worker's hash", async () => {
    const text = JSON.stringify({ schema_version: 1, version: "bad version!", plans: { partner: { unknown_fields: "maybe" } } });
    const bad = await checkDocument(text, "p.json");
    assert.equal(bad.ok, false);
    const errors = bad.ok ? [] : bad.errors;
    assert.ok(errors.some((e) => e.startsWith("p.json: version: ")), errors.join("\n"));
    assert.ok(errors.some((e) => /^p\.json: plans\.partner\.unknown_fields: Invalid option/.test(e)), errors.join("\n"));
    const extra = await checkDocument(JSON.stringify({ schema_version: 1, version: "v", default_plan: { firewall: { nope: 1 } } }), "q.json");
    assert.ok(!extra.ok && extra.errors.some((e) => e.startsWith("q.json: default_plan.firewall: ")), JSON.stringify(extra));

    const good = docText("2026-11-28.1");
    const ok = await checkDocument(good, "r.json");
    assert.ok(ok.ok);
    assert.equal(ok.version, "2026-11-28.1");
    assert.equal(ok.hash, await hashText(good));
    assert.match(ok.hash, /^[0-9a-f]{16}$/);
    assert.equal(formatPath(["tenants", "acme corp", "models", 0]), 'tenants["acme corp"].models[0]');
    assert.equal(formatPath([]), "(root)");
  });

  test("diff: nested changes as paths, in a stable order", () => {
    const a = { version: "v1", plans: { partner: { unknown_fields: "strip", models: ["gpt-4o", "o4-mini"], firewall: { rules: [{ id: "r1", action: "block" }] } }, old: {} }, default_plan: {} };
    const b = { default_plan: { unknown_fields: "strip" }, plans: { partner: { firewall: { rules: [{ id: "r1", action: "flag" }] }, models: ["gpt-4o"], unknown_fields: "strip" }, new: { unknown_fields: "pass" } }, version: "v2" };
    const changes = diffJson(a, b);
    assert.deepEqual(changes, [
      { path: "default_plan.unknown_fields", kind: "added", new: "strip" },
      { path: "plans.new", kind: "added", new: { unknown_fields: "pass" } },
      { path: "plans.old", kind: "removed", old: {} },
      { path: "plans.partner.firewall.rules[0].action", kind: "changed", old: "block", new: "flag" },
      { path: "plans.partner.models[1]", kind: "removed", old: "o4-mini" },
      { path: "version", kind: "changed", old: "v1", new: "v2" },
    ]);
    assert.deepEqual(diffJson(b, structuredClone(b)), [], "key order does not matter");
    assert.deepEqual(diffJson({ a: [1] }, { a: { 0: 1 } }), [{ path: "a", kind: "changed", old: [1], new: { 0: 1 } }]);
    assert.equal(
      formatDiff(changes.slice(2, 4)),
      ['- plans.old: {}', '~ plans.partner.firewall.rules[0].action: "block" → "flag"'].join("\n"),
    );
    assert.ok(!formatDiff([{ path: "x", kind: "added", new: "\u001b[31m" }]).includes("\u001b"));
  });

  test("history: newest last, capped at ten, rollback walks back in order", () => {
    /** @type {import("../scripts/lib/rules-cli.ts").HistoryEntry[]} */
    let history = [];
    for (let i = 1; i <= 12; i++) history = appendHistory(history, entry(i));
    assert.equal(HISTORY_MAX, 10);
    assert.deepEqual(history.map((h) => h.version), ["v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12"], "the two oldest were dropped");
    const walked = [];
    for (let step = takeLatest(history); step !== undefined; step = takeLatest(step.rest)) walked.push(step.entry.version);
    assert.deepEqual(walked, ["v12", "v11", "v10", "v9", "v8", "v7", "v6", "v5", "v4", "v3"]);
    assert.equal(takeLatest([]), undefined);

    assert.deepEqual(parseHistory(null), []);
    assert.deepEqual(parseHistory(JSON.stringify([entry(1)])), [entry(1)]);
    for (const bad of ["{", "{}", '[{"version":"v1"}]']) assert.throws(() => parseHistory(bad), CliError, bad);
  });

  test("push plan: keeps the replaced document, refuses a reused version id, skips an unchanged push", async () => {
    const a = docText("v-a");
    const b = docText("v-b", { description: "b" });
    const bundled = await currentFrom(null, null, BUNDLED);
    assert.deepEqual([bundled.source, bundled.version, bundled.hash], ["bundled", "bundled-default", await hashText(BUNDLED)]);
    const docA = { version: "v-a", hash: await hashText(a) };
    const first = planPush(bundled, [], docA, NOW);
    assert.ok(first.action === "write");
    assert.deepEqual(first.history, [], "the bundled defaults are not history");
    assert.deepEqual(first.meta, { version: "v-a", hash: docA.hash, pushed_at: "2026-11-29T12:00:00.000Z", seq: 1 });

    const currentA = await currentFrom(a, JSON.stringify(first.meta), BUNDLED);
    assert.ok(currentA.source === "kv" && currentA.valid && currentA.pushed_at === first.meta.pushed_at);
    const second = planPush(currentA, [entry(1)], { version: "v-b", hash: await hashText(b) }, NOW + 1000);
    assert.ok(second.action === "write");
    assert.deepEqual(second.history, [entry(1), { version: "v-a", hash: docA.hash, pushed_at: "2026-11-29T12:00:00.000Z", text: a }]);
    assert.equal(second.meta.seq, 2, "seq grows by one per push");

    assert.deepEqual(planPush(currentA, [], docA, NOW), { action: "unchanged" });
    assert.throws(() => planPush(currentA, [], { version: "v-a", hash: "0".repeat(16) }, NOW), (err) => err instanceof CliError && /version v-a is already pushed \(in force\) with other content/.test(err.message));
    assert.throws(() => planPush(currentA, [entry(1)], { version: "v1", hash: "0".repeat(16) }, NOW), /in the history/);

    // Meta that describes another text (KV written by hand since): push time unknown.
    const byHand = await currentFrom(b, JSON.stringify(first.meta), BUNDLED);
    assert.ok(byHand.source === "kv" && byHand.pushed_at === null);
    // ...but its seq still counts: the sequence only grows.
    assert.equal(byHand.seq, 1);
    const after = planPush(byHand, [], { version: "v-c", hash: "c".repeat(16) }, NOW);
    assert.ok(after.action === "write" && after.meta.seq === 2);
    assert.deepEqual([seqOf(null), seqOf("{"), seqOf('{"version":"x"}'), seqOf('{"seq":0}'), seqOf('{"seq":1.5}'), seqOf('{"seq":7}')], [0, 0, 0, 0, 0, 7]);
    // An invalid document in KV was never in force: not kept.
    const invalid = await currentFrom('{"schema_version": 2, "version": "x"}', null, BUNDLED);
    assert.ok(invalid.source === "kv" && !invalid.valid && invalid.version === "x");
    const over = planPush(invalid, [], docA, NOW);
    assert.ok(over.action === "write" && over.history.length === 0 && /invalid/.test(over.skipped ?? ""));
  });
});

describe("rules: the gateway signal", () => {
  const gateway = { url: "https://gw.example", adminKey: "admin-key" };
  /** @param {number} status @param {unknown} body @param {Request[]} seen @returns {typeof fetch} */
  const fakeFetch = (status, body, seen) => async (input, init) => {
    seen.push(new Request(input, init));
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };

  test("posts the seq and text with the admin key, and reports whether the gateway took it", async () => {
    /** @type {Request[]} */
    const seen = [];
    assert.deepEqual(await sendSignal(gateway, 3, "{}", fakeFetch(200, { stored: true, seq: 3, version: "v", hash: "h" }, seen)), { ok: true, stored: true, seq: 3 });
    assert.equal(seen[0]?.url, "https://gw.example/admin/v1/rules/signal");
    assert.equal(seen[0]?.method, "POST");
    assert.equal(seen[0]?.headers.get("authorization"), "Bearer admin-key");
    assert.deepEqual(await seen[0]?.json(), { seq: 3, text: "{}" });
    assert.deepEqual(await sendSignal(gateway, 3, "{}", fakeFetch(200, { stored: false, seq: 5 }, seen)), { ok: true, stored: false, seq: 5 });
  });

  test("failures are reported, never thrown", async () => {
    const refused = await sendSignal(gateway, 1, "{}", fakeFetch(403, { error: { code: "insufficient_scope", message: "no" } }, []));
    assert.ok(!refused.ok && /HTTP 403 insufficient_scope/.test(refused.why) && /admin scope/.test(refused.why));
    const down = await sendSignal(gateway, 1, "{}", async () => {
      throw new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") });
    });
    assert.ok(!down.ok && /could not reach the gateway at https:\/\/gw.example: ECONNREFUSED/.test(down.why));
  });
});

describe("rules: the CLI", { concurrency: true }, () => {
  test("--help, bad usage and validate (no wrangler call)", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "aigis-rules-test-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const broken = join(dir, "broken.json");
    const invalid = join(dir, "invalid.json");
    await writeFile(broken, '{"schema_version": 1,,}');
    await writeFile(invalid, JSON.stringify({ schema_version: 1, version: "v", default_plan: { unknown_fields: "maybe" } }));
    const [help, usage, all, some] = await Promise.all([rules(["--help"]), rules(["push"]), rules(["validate"]), rules(["validate", "rules/default.json", broken, invalid])]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run rules -- <command>/);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /push needs exactly one FILE[\s\S]*Usage:/);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^ok {2}rules\/default\.json {2}bundled-default@[0-9a-f]{16}$/m);
    assert.ok(!all.stdout.includes("schema.json"));
    assert.equal(some.code, 1);
    assert.match(some.stdout, /^ok {2}rules\/default\.json/m);
    assert.match(some.stderr, /broken\.json: invalid JSON at line 1, column 22: /);
    assert.match(some.stderr, /invalid\.json: default_plan\.unknown_fields: Invalid option/);
    assert.match(some.stderr, /2 of 3 document\(s\) invalid/);
  });

  test("push, diff and rollback against local KV", { timeout: 90_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "aigis-rules-test-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const state = join(dir, "state");
    const where = ["--persist-to", state];
    const fileA = join(dir, "a.json");
    const fileB = join(dir, "b.json");
    const fileBad = join(dir, "bad.json");
    const textA = docText("v-a");
    const textB = docText("v-b", { default_plan: { unknown_fields: "pass" } });
    await writeFile(fileA, textA);
    await writeFile(fileB, textB);
    await writeFile(fileBad, docText("v-c", { plans: { "Not A Plan": {} } }));
    const [hashA, hashB] = await Promise.all([hashText(textA), hashText(textB)]);
    const kv = targetFor({ remote: false, config: join(ROOT, "wrangler.toml"), persistTo: state });
    const stored = async () => kvBulkGet(kv, [RULES_KEY, HISTORY_KEY]);

    const pushA = await rules(["push", fileA, ...where]);
    assert.equal(pushA.code, 0, pushA.stderr);
    assert.match(pushA.stdout, new RegExp(`^version {2}v-a$[\\s\\S]*^hash {5}${hashA}$`, "m"));
    assert.match(pushA.stdout, /within about 45 s/);
    assert.match(pushA.stdout, /^seq {6}1$/m);
    assert.match(pushA.stdout, /No --gateway/);
    const pushB = await rules(["push", fileB, ...where]);
    assert.equal(pushB.code, 0, pushB.stderr);
    assert.match(pushB.stdout, new RegExp(`Replaced v-a@${hashA}, kept in the history \\(1 of 10`));
    assert.match(pushB.stdout, /^seq {6}2$/m);
    let kvNow = await stored();
    assert.equal(kvNow.get(RULES_KEY), textB, "the text is stored exactly as pushed");
    assert.equal(await hashText(kvNow.get(RULES_KEY) ?? ""), hashB);

    const diff = await rules(["diff", fileA, ...where]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, new RegExp(`^current {2}v-b@${hashB}, pushed \\S+ in local CONFIG_KV`, "m"));
    assert.match(diff.stdout, new RegExp(`^file {5}v-a@${hashA} `, "m"));
    assert.match(diff.stdout, /^- default_plan: \{"unknown_fields":"pass"\}$/m);
    assert.match(diff.stdout, /^~ version: "v-b" → "v-a"$/m);

    const back = await rules(["rollback", ...where]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, new RegExp(`Rolled back .* from v-b@${hashB} to v-a@${hashA}`));
    assert.match(back.stdout, /^seq {6}3$/m, "a rollback is a push too");
    kvNow = await stored();
    assert.equal(kvNow.get(RULES_KEY), textA, "A is in force again");
    assert.deepEqual(JSON.parse(kvNow.get(HISTORY_KEY) ?? "null"), []);

    const empty = await rules(["rollback", ...where]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /history .* is empty: nothing to roll back to/);

    const bad = await rules(["push", fileBad, ...where]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.json: plans\["Not A Plan"\]: Invalid key in record/);
    assert.match(bad.stderr, /is invalid; nothing was pushed/);
    assert.equal((await stored()).get(RULES_KEY), textA, "nothing changed");
  });
});
