// The analytics CLI (issue 8): every report's SQL, and what the SQL API answers, read from
// fixtures shaped as its documentation describes (no account is reachable from tests).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { runAnalytics } from "../scripts/analytics.ts";
import { buildQuery, formatTable, parseCommand, parseSqlResponse, REPORTS } from "../scripts/lib/analytics-reports.ts";

const FIXTURE = readFileSync(new URL("./fixtures/analytics-top-clients.json", import.meta.url), "utf8");
const ACCOUNT = "0123456789abcdef0123456789abcdef";

/** Runs the CLI with a fake SQL API; returns what it printed and what it sent. */
async function run(argv, answer = { status: 200, body: FIXTURE }, env = { CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_API_TOKEN: "tok" }) {
  const sent = [];
  const out = [];
  const err = [];
  const code = await runAnalytics(argv, {
    env,
    fetch: async (url, init) => {
      sent.push({ url: String(url), init });
      return new Response(answer.body, { status: answer.status });
    },
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { code, sent, out: out.join("\n"), err: err.join("\n") };
}

describe("report SQL", () => {
  const o = { hours: 24, limit: 20, dataset: "aigis_requests" };
  for (const id of Object.keys(REPORTS)) {
    test(`${id}: one dataset, a time bound, sample-weighted counts, JSON out`, () => {
      const sql = buildQuery(id, o);
      assert.match(sql, /FROM aigis_requests WHERE timestamp > NOW\(\) - INTERVAL '24' HOUR/);
      assert.match(sql, /_sample_interval/);
      assert.match(sql, /\nFORMAT JSON$/);
      assert.doesNotMatch(sql, /count\(\)/i, "unweighted counts undercount sampled clients");
    });
  }

  test("the top-N reports take the limit, and long windows bucket by day", () => {
    assert.match(buildQuery("top-clients", { ...o, limit: 5 }), /LIMIT 5\n/);
    assert.match(buildQuery("traffic", o), /toStartOfHour/);
    assert.match(buildQuery("traffic", { ...o, hours: 24 * 7 }), /toStartOfDay/);
    assert.match(buildQuery("probing", o), /blob17 NOT IN \('', 'allow'\)/);
  });
});

describe("command line", () => {
  test("parses options and refuses what would reach the SQL text", () => {
    assert.deepEqual(parseCommand(["latency", "--hours", "6"]), { report: "latency", options: { hours: 6, limit: 20, dataset: "aigis_requests" }, json: false, sqlOnly: false });
    assert.equal(parseCommand([]), "help");
    assert.throws(() => parseCommand(["nope"]), /unknown report/);
    assert.throws(() => parseCommand(["traffic", "--hours", "1; DROP"]), /--hours/);
    assert.throws(() => parseCommand(["traffic", "--dataset", "x WHERE 1=1"]), /--dataset/);
  });

  test("--sql prints the query without credentials", async () => {
    const r = await run(["usage", "--sql"], undefined, {});
    assert.equal(r.code, 0);
    assert.equal(r.sent.length, 0);
    assert.match(r.out, /SUM\(double5 \* _sample_interval\)/);
  });

  test("without credentials: exit 2 and says which variables", async () => {
    const r = await run(["traffic"], undefined, {});
    assert.equal(r.code, 2);
    assert.match(r.err, /CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN/);
  });
});

describe("talking to the SQL API", () => {
  test("POSTs the query with the bearer token to the account's endpoint, prints a table", async () => {
    const r = await run(["top-clients"]);
    assert.equal(r.code, 0);
    assert.equal(r.sent[0].url, `https://api.cloudflare.com/client/v4/accounts/${ACCOUNT}/analytics_engine/sql`);
    assert.equal(r.sent[0].init.method, "POST");
    assert.equal(r.sent[0].init.headers.authorization, "Bearer tok");
    assert.equal(r.sent[0].init.body, buildQuery("top-clients", { hours: 24, limit: 20, dataset: "aigis_requests" }));
    const lines = r.out.split("\n");
    assert.equal(lines[0], REPORTS["top-clients"].title);
    assert.deepEqual(lines.slice(2), [
      "client     requests  errors  blocked",
      "---------  --------  ------  -------",
      "acme-prod     18230      41        3",
      "partner-7       920       0        0",
    ]);
  });

  test("--json prints the rows as one line", async () => {
    const r = await run(["top-clients", "--json"]);
    assert.deepEqual(JSON.parse(r.out), JSON.parse(FIXTURE).data);
  });

  test("an API error or an odd answer is exit 1 with what came back", async () => {
    const denied = await run(["traffic"], { status: 403, body: '{"errors":[{"code":10000,"message":"Authentication error"}]}' });
    assert.equal(denied.code, 1);
    assert.match(denied.err, /403.*Authentication error/);
    const odd = await run(["traffic"], { status: 200, body: "<html>" });
    assert.equal(odd.code, 1);
    assert.match(odd.err, /not JSON/);
    assert.throws(() => parseSqlResponse(200, '{"rows":1}'), /no meta\/data/);
  });

  test("an empty result says so", () => {
    assert.match(formatTable("t", { meta: [{ name: "a", type: "String" }], data: [] }), /\(no rows\)/);
  });
});
