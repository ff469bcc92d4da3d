/**
 * The pure half of `npm run analytics`: the reports (documented SQL over the Analytics
 * Engine schema of docs/analytics.md), the command line, and reading and printing what the
 * SQL API answers. No I/O, so everything here is tested against fixtures
 * (test-node/analytics.test.mjs); scripts/analytics.ts sends the query.
 *
 * The SQL API (developers.cloudflare.com/analytics/analytics-engine/sql-api/) takes the
 * query as the body of a POST to /accounts/<id>/analytics_engine/sql with a bearer token;
 * with `FORMAT JSON` it answers `{ meta: [{ name, type }], data: [row objects], rows }`.
 *
 * Every count is weighted by `_sample_interval`: Analytics Engine samples at high volume,
 * and an unweighted count undercounts exactly the busiest clients. Budgets and spend a user
 * is held to come from the Durable Objects (`GET /v1/usage`), never from these reports.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { UsageError } from "./cli";

export const DATASET = "aigis_requests";

export interface ReportOptions {
  /** Hours back from now. */
  hours: number;
  /** Rows for the top-N reports. */
  limit: number;
  dataset: string;
}

export interface Report {
  title: string;
  sql(o: ReportOptions): string;
}

/** A dataset name goes into the SQL text, so only a plain identifier is accepted. */
export const DATASET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The time bound of every report (exported so the Grafana panels can swap it for the dashboard's range). */
export const since = (o: ReportOptions) => `timestamp > NOW() - INTERVAL '${o.hours}' HOUR`;
/** Hourly buckets up to two days, daily beyond: a readable number of rows either way. */
export const bucket = (o: ReportOptions) => (o.hours <= 48 ? "toStartOfHour(timestamp)" : "toStartOfDay(timestamp)");

export const REPORTS: Record<string, Report> = {
  traffic: {
    title: "Requests and decisions over time",
    sql: (o) => `SELECT ${bucket(o)} AS t, blob4 AS decision, SUM(_sample_interval) AS requests
FROM ${o.dataset} WHERE ${since(o)}
GROUP BY t, decision ORDER BY t, decision`,
  },
  "top-clients": {
    title: "Top clients by requests, with their errors and blocks",
    sql: (o) => `SELECT index1 AS client, SUM(_sample_interval) AS requests,
  SUM(IF(double1 >= 400, _sample_interval, 0)) AS errors,
  SUM(IF(blob4 = 'block', _sample_interval, 0)) AS blocked
FROM ${o.dataset} WHERE ${since(o)}
GROUP BY client ORDER BY requests DESC LIMIT ${o.limit}`,
  },
  "blocks-by-rule": {
    title: "Blocked, flagged, throttled and shadowed requests by rule",
    sql: (o) => `SELECT blob6 AS rules, blob4 AS decision, SUM(_sample_interval) AS requests
FROM ${o.dataset} WHERE ${since(o)} AND blob4 IN ('block', 'flag', 'redact', 'throttle', 'shadow')
GROUP BY rules, decision ORDER BY requests DESC LIMIT ${o.limit}`,
  },
  latency: {
    title: "Latency percentiles per route (ms, from arrival to the response's end)",
    sql: (o) => `SELECT blob1 AS route, SUM(_sample_interval) AS requests,
  quantileExactWeighted(0.5)(double2, _sample_interval) AS p50_ms,
  quantileExactWeighted(0.95)(double2, _sample_interval) AS p95_ms,
  quantileExactWeighted(0.99)(double2, _sample_interval) AS p99_ms,
  quantileExactWeighted(0.5)(double3, _sample_interval) AS upstream_p50_ms
FROM ${o.dataset} WHERE ${since(o)} AND blob1 != ''
GROUP BY route ORDER BY requests DESC`,
  },
  usage: {
    title: "Token usage per client and model (sampled: budgets are in the Durable Objects)",
    sql: (o) => `SELECT index1 AS client, blob2 AS model, SUM(_sample_interval) AS requests,
  SUM(double4 * _sample_interval) AS prompt_tokens, SUM(double5 * _sample_interval) AS completion_tokens
FROM ${o.dataset} WHERE ${since(o)} AND double6 > 0
GROUP BY client, model ORDER BY completion_tokens DESC LIMIT ${o.limit}`,
  },
  probing: {
    title: "Extraction defence: clients the probing score throttled (or would have, in shadow)",
    sql: (o) => `SELECT index1 AS client, blob17 AS action, MAX(double20) AS max_score,
  SUM(_sample_interval) AS requests
FROM ${o.dataset} WHERE ${since(o)} AND blob17 NOT IN ('', 'allow')
GROUP BY client, action ORDER BY max_score DESC LIMIT ${o.limit}`,
  },
  "fail-closed": {
    title: "Fail-closed answers (503) by code over time: the alert query",
    sql: (o) => `SELECT ${bucket(o)} AS t, blob5 AS code, SUM(_sample_interval) AS requests
FROM ${o.dataset} WHERE ${since(o)} AND double1 = 503
GROUP BY t, code ORDER BY t, code`,
  },
};

/** The query as sent: the report's SQL with the JSON format the parser below reads. */
export function buildQuery(report: string, o: ReportOptions): string {
  const r = REPORTS[report];
  if (r === undefined) throw new UsageError(`unknown report "${report}" (one of: ${Object.keys(REPORTS).join(", ")})`);
  return `${r.sql(o)}\nFORMAT JSON`;
}

// One usage error for every CLI (exit 2); re-exported so callers import it from here.
export { UsageError } from "./cli";

export const USAGE = `Usage: npm run analytics -- <report> [--hours N] [--limit N] [--dataset NAME] [--json] [--sql]

Runs one documented report (docs/analytics.md) through the Workers Analytics Engine SQL API.
Needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (Account Analytics: Read) in the
environment, except with --sql, which only prints the query.

Reports: ${Object.keys(REPORTS).join(", ")}
  --hours N     how far back (default 24)
  --limit N     rows of the top-N reports (default 20)
  --dataset     the dataset name (default ${DATASET})
  --json        print the rows as one JSON line instead of a table
  --sql         print the query and exit`;

export interface Command {
  report: string;
  options: ReportOptions;
  json: boolean;
  sqlOnly: boolean;
}

export function parseCommand(argv: string[]): Command | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        hours: { type: "string", default: "24" },
        limit: { type: "string", default: "20" },
        dataset: { type: "string", default: DATASET },
        json: { type: "boolean", default: false },
        sql: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return "help";
  if (positionals.length > 1) throw new UsageError(`one report at a time (got ${positionals.join(", ")})`);
  const report = positionals[0]!;
  if (!Object.hasOwn(REPORTS, report)) throw new UsageError(`unknown report "${report}" (one of: ${Object.keys(REPORTS).join(", ")})`);
  const int = (name: string, text: string, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name}: expected an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
    return n;
  };
  if (!DATASET_NAME.test(values.dataset)) throw new UsageError(`--dataset: not a dataset name: ${JSON.stringify(values.dataset)}`);
  return { report, options: { hours: int("hours", values.hours, 24 * 92), limit: int("limit", values.limit, 10_000), dataset: values.dataset }, json: values.json, sqlOnly: values.sql };
}

const SqlResponseSchema = z.object({
  meta: z.array(z.object({ name: z.string(), type: z.string() })),
  data: z.array(z.record(z.string(), z.unknown())),
  rows: z.number().optional(),
});
export type SqlResult = z.infer<typeof SqlResponseSchema>;

/** The SQL API's answer, or an error that says what came back instead. */
export function parseSqlResponse(status: number, body: string): SqlResult {
  if (status !== 200) throw new Error(`SQL API answered ${status}: ${body.trim().slice(0, 300)}`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(`SQL API answer is not JSON: ${body.trim().slice(0, 120)}`);
  }
  const parsed = SqlResponseSchema.safeParse(json);
  if (!parsed.success) throw new Error(`SQL API answer has no meta/data: ${JSON.stringify(json).slice(0, 200)}`);
  return parsed.data;
}

/** Numbers from ClickHouse-style JSON may arrive as strings (64-bit integers): shown as numbers. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return cell(Number(v));
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A plain-text table: header, a rule, one line per row; numeric columns right-aligned. */
export function formatTable(title: string, result: SqlResult): string {
  const cols = result.meta.map((m) => m.name);
  const rows = result.data.map((r) => cols.map((c) => cell(r[c])));
  const numeric = cols.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === "" || /^-?\d/.test(r[i]!)));
  const width = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join("  ").trimEnd();
  const out = [title, "", line(cols), width.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  if (rows.length === 0) out.push("(no rows)");
  return out.join("\n");
}
