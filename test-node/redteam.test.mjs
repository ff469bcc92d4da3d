// @ts-check
/**
 * `npm run redteam` (docs/redteam.md): the pure parts directly, the offline guard on its own,
 * then the quick run end to end: the gateway built and served by Miniflare, promptfoo's static
 * strategies over the first attack of each category and four benign controls.
 *
 * Run: node --import tsx --test test-node/redteam.test.mjs
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT, runScript } from "./cli.mjs";
import { BENIGN_SKIP, CATEGORIES, DECODED_EXACT, LEFT_OUT, PLAIN, PLAIN_BLOCK_FLOOR, STATIC_STRATEGIES, outcomeOf, parseCorpus, parseStrategies, quickCorpus, summarise } from "../scripts/lib/redteam-report.ts";

const corpus = parseCorpus(JSON.parse(await readFile(join(ROOT, "redteam", "attacks.json"), "utf8")));

describe("redteam: prompts and options", () => {
  test("the prompt file: every category, a few languages, unique ids and texts, no Nunjucks", () => {
    assert.deepEqual([...new Set(corpus.attacks.map((a) => a.category))].sort(), [...CATEGORIES].sort());
    assert.ok(corpus.attacks.length >= 30 && corpus.attacks.length <= 60, `${corpus.attacks.length} attacks`);
    assert.ok(corpus.benign.length >= 10 && corpus.benign.length <= 20, `${corpus.benign.length} benign`);
    assert.ok(new Set(corpus.attacks.map((a) => a.lang)).size >= 4);
    const bad = { attacks: [{ id: "x", category: "jailbreak", lang: "en", prompt: "say {{ secret }}" }], benign: [{ id: "y", lang: "en", prompt: "hello" }] };
    assert.throws(() => parseCorpus(bad), /Nunjucks/);
    const dup = { attacks: [{ id: "x", category: "jailbreak", lang: "en", prompt: "same" }], benign: [{ id: "y", lang: "en", prompt: "same" }] };
    assert.throws(() => parseCorpus(dup), /duplicate prompt/);
  });

  test("quick mode: the first attack of each category, four benign controls", () => {
    const q = quickCorpus(corpus);
    assert.deepEqual(
      q.attacks.map((a) => a.id),
      CATEGORIES.map((c) => corpus.attacks.find((a) => a.category === c)?.id),
    );
    assert.deepEqual(q.benign, corpus.benign.slice(0, 4));
  });

  test("--strategies: static ones only, in canonical order; a left-out one says why", () => {
    assert.deepEqual(parseStrategies(undefined), [...STATIC_STRATEGIES]);
    assert.deepEqual(parseStrategies("rot13,base64,basic"), ["base64", "rot13"]);
    assert.throws(() => parseStrategies("base64,best-of-n"), /best-of-n cannot run offline here: .*remote/);
    assert.throws(() => parseStrategies("nonsense"), /unknown strategy "nonsense"/);
    for (const s of STATIC_STRATEGIES) assert.ok(!(s in LEFT_OUT), s);
  });
});

describe("redteam: counting", () => {
  const attack = corpus.attacks[0];
  const benign = corpus.benign[0];
  assert.ok(attack && benign);
  /** @param {Partial<import("../scripts/lib/redteam-report.ts").RunResult>} r */
  const result = (r) => ({ kind: /** @type {const} */ ("attack"), strategy: PLAIN, original: attack.prompt, sent: attack.prompt, status: 400, code: "prompt_blocked", flagged: false, echoed: false, error: null, pass: true, ...r });
  const blocked = (strategy) => result({ strategy });
  const passed = (strategy) => result({ strategy, status: 200, code: null, echoed: true, pass: false });
  const control = (strategy) => ({ ...result({ strategy, status: 200, code: null, echoed: true }), kind: /** @type {const} */ ("benign"), original: benign.prompt, sent: benign.prompt });
  const one = { attacks: [attack], benign: [benign] };

  test("outcomes", () => {
    assert.equal(outcomeOf({ status: 400, code: "prompt_blocked", error: null }), "blocked");
    assert.equal(outcomeOf({ status: 400, code: "response_blocked", error: null }), "response_blocked");
    assert.equal(outcomeOf({ status: 200, code: null, error: null }), "passed");
    assert.equal(outcomeOf({ status: 429, code: "rate_limited", error: null }), "other");
    assert.equal(outcomeOf({ status: null, code: null, error: "ECONNREFUSED" }), "no_answer");
  });

  test("a clean run has no failures", () => {
    const s = summarise(one, ["base64", "emoji"], [blocked(PLAIN), blocked("base64"), blocked("emoji"), control(PLAIN), control("base64"), control("emoji")], []);
    assert.deepEqual(s.failures, []);
    assert.equal(s.plain.rate, 1);
    assert.equal(s.strategies.base64?.benign.total, 1);
  });

  test("hard checks: decoding loses a block, a benign control refused, a 429, egress, a missing strategy", () => {
    const s = summarise(
      one,
      ["base64", "emoji", "rot13"],
      [blocked(PLAIN), passed("base64"), blocked("emoji"), { ...control(PLAIN), status: 400, code: "prompt_blocked", pass: false }, control("base64"), control("emoji"), { ...blocked("rot13"), status: 429, code: "rate_limited", pass: false }],
      ["r.promptfoo.app"],
    );
    const text = s.failures.join("\n");
    assert.match(text, /unexpected answer: 429 rate_limited/);
    assert.match(text, /strategy rot13: promptfoo produced no benign tests/);
    assert.match(text, new RegExp(`benign controls refused: ${benign.id} \\(basic\\)`));
    assert.match(text, new RegExp(`blocked plain but not when decoded exactly: ${attack.id} \\(base64\\)`));
    assert.match(text, /tried to reach r\.promptfoo\.app/);
  });

  test("below the plain floor fails; a refused benign control outside the exact decodings is only counted", () => {
    const s = summarise(one, ["rot13"], [passed(PLAIN), blocked("rot13"), control(PLAIN), { ...control("rot13"), status: 400, code: "prompt_blocked", pass: false }], []);
    assert.deepEqual(s.failures, [`plain attacks: 0.0% blocked, below the floor of ${(PLAIN_BLOCK_FLOOR * 100).toFixed(1)}%`]);
    assert.equal(s.strategies.rot13?.benign.rate, 1);
  });
});

test("the offline guard refuses and records connections off loopback, and lets loopback through", { timeout: 30_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "aigis-redteam-guard-"));
  const server = createServer((_req, res) => res.end("ok")).listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
    const log = join(dir, "egress.log");
    // Documentation addresses (RFC 5737): nothing answers there, and no name has to be resolved.
    const script = `
      const net = await import("node:net");
      const results = [];
      results.push(await fetch("http://192.0.2.10/x").then(() => "connected", (e) => "refused: " + e.cause?.message));
      results.push(await new Promise((resolve) => net.connect({ host: "198.51.100.7", port: 443 }).on("error", (e) => resolve("refused: " + e.message)).on("connect", () => resolve("connected"))));
      results.push(await fetch("http://127.0.0.1:${port}/").then((r) => r.text()));
      console.log(JSON.stringify(results));`;
    const child = spawn(process.execPath, ["--import", join(ROOT, "scripts", "lib", "redteam-offline.mjs"), "--input-type=module", "-e", script], { env: { ...process.env, AIGIS_REDTEAM_EGRESS_LOG: log }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    const [code] = await once(child, "close");
    assert.equal(code, 0);
    const [viaFetch, viaSocket, loopback] = JSON.parse(out);
    assert.match(viaFetch, /^refused: offline red-team run: refused a connection to 192\.0\.2\.10$/);
    assert.match(viaSocket, /^refused: offline red-team run: refused a connection to 198\.51\.100\.7$/);
    assert.equal(loopback, "ok");
    assert.deepEqual((await readFile(log, "utf8")).trim().split("\n"), ["192.0.2.10", "198.51.100.7"]);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("npm run redteam -- --quick: every strategy counted, plain attacks blocked, benign controls pass, nothing leaves the machine", { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "aigis-redteam-test-"));
  try {
    const out = join(dir, "redteam.json");
    const run = await runScript("scripts/redteam.ts", ["--quick", "--out", out]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr.slice(-4000)}`);
    const lines = run.stdout.trim().split("\n");
    const summary = JSON.parse(/** @type {string} */ (lines.at(-1)));
    assert.equal(summary.ok, true);
    assert.deepEqual(summary.failures, []);
    assert.equal(summary.quick, true);
    assert.equal(summary.promptfoo, "0.121.20");
    assert.equal(summary.egress_attempts, 0);

    const quick = quickCorpus(corpus);
    const strategies = [PLAIN, ...STATIC_STRATEGIES];
    assert.deepEqual(Object.keys(summary.attacks), strategies);
    // One jailbreak template in quick mode, so one test per prompt and strategy.
    for (const s of strategies) assert.equal(summary.attacks[s], quick.attacks.length, s);
    for (const s of strategies.filter((x) => !BENIGN_SKIP.includes(x))) assert.equal(summary.benign[s], quick.benign.length, s);
    assert.ok(!("jailbreak-templates" in summary.benign));
    assert.equal(summary.tests, strategies.length * quick.attacks.length + (strategies.length - BENIGN_SKIP.length) * quick.benign.length);
    assert.match(lines.join("\n"), /^\| basic \(plain\) \| \d+\/\d+ \(/m);

    // Plain attacks are blocked (at least the regression floor), plain benign controls all pass.
    assert.ok(summary.plain_block_rate > 0 && summary.plain_block_rate >= PLAIN_BLOCK_FLOOR, `plain block rate ${summary.plain_block_rate}`);
    assert.equal(summary.benign_false_block_rate[PLAIN], 0);
    // What the gateway decodes exactly is caught at least as often as plain text, benign controls still pass.
    for (const s of DECODED_EXACT) {
      assert.ok(summary.block_rate[s] >= summary.block_rate[PLAIN], `${s}: ${summary.block_rate[s]} < plain ${summary.block_rate[PLAIN]}`);
      assert.equal(summary.benign_false_block_rate[s], 0, s);
    }

    const report = JSON.parse(await readFile(out, "utf8"));
    assert.equal(report.results.length, summary.tests);
    /** @type {Map<string, Map<string, string>>} */
    const byId = new Map();
    for (const r of report.results.filter((x) => x.kind === "attack")) byId.set(r.id, (byId.get(r.id) ?? new Map()).set(r.strategy, r.outcome));
    for (const [id, outcomes] of byId) {
      if (outcomes.get(PLAIN) !== "blocked") continue;
      for (const s of DECODED_EXACT) assert.equal(outcomes.get(s), "blocked", `${id} is blocked plain but not as ${s}`);
    }
    assert.ok(report.results.every((r) => ["blocked", "passed", "response_blocked"].includes(r.outcome)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
