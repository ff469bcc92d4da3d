// The Grafana dashboard and alert queries (issue 8): the checked-in JSON is the generator's
// output, and every query in it keeps to the documented schema and SQL of the Analytics Engine.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runGrafana } from "../scripts/grafana.ts";
import { buildQuery } from "../scripts/lib/analytics-reports.ts";
import { ALERTS, alertQuery, dashboardJson, reportQuery } from "../scripts/lib/grafana.ts";
import { ERRORS } from "../src/errors.ts";

const read = (path) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
const ON_DISK = read("docs/grafana/aigis-dashboard.json");
const dashboard = JSON.parse(ON_DISK);
const panels = dashboard.panels.filter((p) => p.type !== "row");
const queries = panels.flatMap((p) => p.targets.map((t) => ({ panel: p, target: t, sql: t.query })));
const GUIDE = read("docs/grafana.md");

/** The columns docs/analytics.md documents: the first cell of its schema table's rows. */
const DOCUMENTED_COLUMNS = new Set([...read("docs/analytics.md").matchAll(/^\| (index\d+|blob\d+|double\d+) \|/gm)].map((m) => m[1]));

/**
 * Functions of Cloudflare's Analytics Engine SQL reference (sql-reference/aggregate-functions,
 * conditional-functions, date-time-functions, type-conversion-functions) that the queries may call,
 * plus the IN operator, which the pattern below also catches. Not `quantileWeighted`: the
 * reference lists it only in a three-argument form.
 */
const DOCUMENTED_FUNCTIONS = new Set(["sum", "if", "max", "quantileexactweighted", "touint32", "now", "in"]);

/** The argument text of every `SUM(...)`, parentheses balanced. */
function sumArguments(sql) {
  const out = [];
  for (const m of sql.matchAll(/\bSUM\(/gi)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; depth > 0 && i < sql.length; i++) depth += sql[i] === "(" ? 1 : sql[i] === ")" ? -1 : 0;
    out.push(sql.slice(start, i - 1));
  }
  return out;
}

describe("the checked-in dashboard", () => {
  test("is exactly what the generator writes", () => {
    assert.equal(ON_DISK, dashboardJson(), "run npm run grafana");
  });

  test("import asks for the datasource; the dataset is a variable defaulting to aigis_requests", () => {
    assert.deepEqual(dashboard.__inputs.map((i) => [i.name, i.type, i.pluginId]), [["DS_AIGIS", "datasource", "vertamedia-clickhouse-datasource"]]);
    for (const { panel, target } of queries) {
      assert.deepEqual(panel.datasource, { type: "vertamedia-clickhouse-datasource", uid: "${DS_AIGIS}" }, panel.title);
      assert.deepEqual(target.datasource, panel.datasource, panel.title);
    }
    const dataset = dashboard.templating.list.find((v) => v.name === "dataset");
    assert.equal(dataset.type, "textbox");
    assert.equal(dataset.query, "aigis_requests");
    assert.equal(dataset.current.value, "aigis_requests");
  });

  test("panel ids and the dashboard uid are unique; panels sit on the grid without overlapping", () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.match(dashboard.uid, /^[a-z0-9-]{1,40}$/);
    for (const p of panels) assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length, p.title);
    const boxes = dashboard.panels.map((p) => p.gridPos);
    boxes.forEach((a, i) => {
      assert.ok(a.x >= 0 && a.x + a.w <= 24, `panel ${ids[i]} leaves the grid`);
      boxes.slice(i + 1).forEach((b, j) => {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        assert.ok(!overlap, `panels ${ids[i]} and ${ids[i + j + 1]} overlap`);
      });
    });
  });

  test("the panels cover traffic, clients, rules, latency, tokens, probing, fail-closed and the alerts", () => {
    const titles = panels.map((p) => p.title).join("\n");
    for (const t of [/decision/, /Top clients/, /by rule/, /[Ll]atency/, /Tokens/, /Probing score/, /Fail-closed answers \(503\) by code/]) assert.match(titles, t);
    assert.equal(panels.filter((p) => p.type === "stat").length, ALERTS.length);
  });
});

describe("every query", () => {
  test("reads the dataset variable, never a literal dataset", () => {
    assert.ok(queries.length >= 20);
    for (const { panel, sql } of queries) {
      assert.match(sql, /\bFROM \$dataset\b/, panel.title);
      assert.doesNotMatch(sql, /aigis_requests/, panel.title);
    }
  });

  test("uses only columns docs/analytics.md documents", () => {
    assert.ok(DOCUMENTED_COLUMNS.has("blob18") && DOCUMENTED_COLUMNS.has("double20"), "the schema table was not read");
    for (const { panel, sql } of queries) {
      for (const [col] of sql.matchAll(/\b(?:index|blob|double)\d+\b/g)) assert.ok(DOCUMENTED_COLUMNS.has(col), `${panel.title}: ${col} is not in docs/analytics.md`);
    }
  });

  test("weights every count and sum by _sample_interval", () => {
    for (const { panel, sql } of queries) {
      assert.doesNotMatch(sql, /count\(/i, `${panel.title}: unweighted counts undercount sampled clients`);
      assert.match(sql, /_sample_interval/, panel.title);
      for (const arg of sumArguments(sql)) assert.match(arg, /_sample_interval/, `${panel.title}: SUM(${arg})`);
    }
  });

  test("calls only functions the Analytics Engine SQL reference documents", () => {
    for (const { panel, sql } of queries) {
      for (const [, fn] of sql.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) assert.ok(DOCUMENTED_FUNCTIONS.has(fn.toLowerCase()), `${panel.title}: ${fn}()`);
    }
  });

  test("time series bucket with $timeSeries and the dashboard's range; tables take the range; alerts a fixed window", () => {
    for (const { panel, target, sql } of queries) {
      assert.equal(target.dateTimeColDataType, "timestamp", panel.title);
      assert.equal(target.dateTimeType, "DATETIME", panel.title);
      if (panel.type === "timeseries") {
        assert.match(sql, /^SELECT \$timeSeries AS t,/, panel.title);
        assert.match(sql, /WHERE \$timeFilter\b/, panel.title);
        assert.match(sql, /GROUP BY t\b.*ORDER BY t\b/, panel.title);
        assert.equal(target.format, "time_series", panel.title);
      } else if (panel.type === "table") {
        assert.match(sql, /WHERE \$timeFilter\b/, panel.title);
        assert.equal(target.format, "table", panel.title);
      } else {
        assert.equal(panel.type, "stat");
        assert.match(sql, /WHERE timestamp > NOW\(\) - INTERVAL '\d+' MINUTE/, panel.title);
      }
    }
  });
});

describe("panels from the CLI reports", () => {
  test("are the report's SQL with the dashboard's range in place of the fixed window", () => {
    const o = { hours: 24, limit: 20, dataset: "$dataset" };
    for (const id of ["top-clients", "blocks-by-rule", "usage", "probing"]) {
      const cli = buildQuery(id, o).replace(/\nFORMAT JSON$/, "");
      assert.equal(reportQuery(id).replace("$timeFilter", "timestamp > NOW() - INTERVAL '24' HOUR"), cli, id);
      assert.ok(queries.some((q) => q.sql === reportQuery(id)), `${id} is on the dashboard`);
    }
    assert.equal(reportQuery("fail-closed").replace("$timeSeries", "toStartOfHour(timestamp)").replace("$timeFilter", "timestamp > NOW() - INTERVAL '24' HOUR"), buildQuery("fail-closed", o).replace(/\nFORMAT JSON$/, ""));
    assert.throws(() => reportQuery("nope"), /no report/);
  });
});

describe("alerts", () => {
  test("each has a threshold, a window and a pending period, and is on the dashboard coloured at its threshold", () => {
    assert.deepEqual(ALERTS.map((a) => a.uid), ["fail_closed", "block_share", "auth_failures", "probing_denials", "upstream_errors"]);
    for (const a of ALERTS) {
      assert.ok(Number.isFinite(a.threshold) && a.windowMinutes > 0 && /^\d+[sm]$/.test(a.pendingFor), a.uid);
      const panel = panels.find((p) => p.type === "stat" && p.targets[0].query === alertQuery(a, "$dataset"));
      assert.ok(panel, `${a.uid} has a panel`);
      assert.equal(panel.timeFrom, `${a.windowMinutes}m`);
      const red = panel.fieldConfig.defaults.thresholds.steps.at(-1);
      assert.equal(red.color, "red");
      // Counts are whole numbers: "above 0" turns red at 1; a share turns red at the threshold.
      assert.equal(red.value, a.unit === "short" ? a.threshold + 1 : a.threshold, a.uid);
    }
  });

  test("the fail-closed alert counts every 503, and the others what their names say", () => {
    const sql = (uid) => alertQuery(ALERTS.find((a) => a.uid === uid), "aigis_requests");
    assert.match(sql("fail_closed"), /SUM\(IF\(double1 = 503, _sample_interval, 0\)\)/);
    assert.match(sql("auth_failures"), /blob5 IN \('invalid_api_key', 'auth_rate_limited'\)/);
    assert.match(sql("probing_denials"), /blob17 = 'deny'/);
    assert.match(sql("block_share"), /IF\(SUM\(_sample_interval\) < 100, 0, /);
    assert.match(sql("upstream_errors"), /AND blob3 != ''$/);
  });

  test("docs/grafana.md shows each rule's SQL as generated", () => {
    for (const a of ALERTS) assert.ok(GUIDE.includes(alertQuery(a, "aigis_requests")), `${a.uid}: regenerate with npm run grafana -- --alerts`);
  });

  test("the codes the guide calls fail-closed are 503s of the error table, and the alert counts by status", () => {
    const section = GUIDE.slice(GUIDE.indexOf("### Fail-closed answers (503)"), GUIDE.indexOf("### Blocked share rising"));
    const named = [...section.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((w) => w !== "fail_closed");
    assert.deepEqual(named.sort(), ["admission_unavailable", "auth_unavailable", "config_invalid", "provider_not_configured", "rules_unavailable"]);
    for (const code of named) assert.equal(ERRORS[code]?.status, 503, code);
    // By status rather than by code: a 503 code added to src/errors.ts is counted without a change here.
    assert.match(ALERTS[0].value, /double1 = 503/);
  });

  test("a literal dataset name must be an identifier: it goes into the SQL text", () => {
    assert.throws(() => alertQuery(ALERTS[0], "x WHERE 1=1 --"), /not a dataset name/);
    assert.match(alertQuery(ALERTS[0], "my_dataset"), /FROM my_dataset WHERE/);
  });
});

describe("npm run grafana", () => {
  const dir = mkdtempSync(join(tmpdir(), "aigis-grafana-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (argv) => {
    const out = [];
    const err = [];
    const code = runGrafana(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  test("writes the dashboard, and --check tells a stale file from a current one", () => {
    const path = join(dir, "dashboard.json");
    assert.equal(run(["--check", "--out", path]).code, 1, "a missing file is out of date");
    assert.equal(run(["--out", path]).code, 0);
    assert.equal(readFileSync(path, "utf8"), dashboardJson());
    assert.equal(run(["--check", "--out", path]).code, 0);
    writeFileSync(path, dashboardJson().replace("aigis_requests", "other"));
    const stale = run(["--check", "--out", path]);
    assert.equal(stale.code, 1);
    assert.match(stale.err, /out of date: run npm run grafana/);
    assert.equal(run(["--check"]).code, 0, "docs/grafana/aigis-dashboard.json is current");
  });

  test("--alerts prints the rules' SQL for a dataset name, and refuses one that is not a name", () => {
    const r = run(["--alerts", "--dataset", "staging_requests"]);
    assert.equal(r.code, 0);
    for (const a of ALERTS) assert.ok(r.out.includes(alertQuery(a, "staging_requests")), a.uid);
    assert.equal(run(["--alerts", "--dataset", "x; DROP"]).code, 2);
    assert.equal(run(["--nope"]).code, 2);
  });
});
