/**
 * The Grafana dashboard over the Analytics Engine data of docs/analytics.md, and the alert
 * queries (docs/grafana.md). Pure: `dashboardJson()` is exactly what `npm run grafana` writes to
 * docs/grafana/aigis-dashboard.json, and test-node/grafana.test.mjs keeps the two equal.
 *
 * The datasource is the Altinity plugin for ClickHouse pointed at the SQL API, as Cloudflare
 * documents (developers.cloudflare.com/analytics/analytics-engine/grafana/). Time series use the
 * plugin's `$timeSeries` and `$timeFilter` macros with Column:DateTime set to `timestamp`; for a
 * DATETIME column they expand to `(intDiv(toUInt32(timestamp), N) * N) * 1000` and
 * `timestamp >= toDateTime(from) AND timestamp <= toDateTime(to)`, functions the SQL reference lists.
 * Only functions of that reference are used: SUM, IF, MAX and `quantileExactWeighted(q)(x, w)`
 * (the reference documents `quantileWeighted` only in its three-argument form).
 *
 * Every count is weighted by `_sample_interval`, as in the reports: Analytics Engine samples at
 * high volume, and an unweighted count undercounts exactly the busiest clients.
 */
import { bucket, DATASET, DATASET_NAME, REPORTS, since, type ReportOptions } from "./analytics-reports";

export const PLUGIN_ID = "vertamedia-clickhouse-datasource";
/** The dashboard's dataset variable: a textbox that defaults to `aigis_requests`. */
export const DATASET_VAR = "$dataset";
/** `__inputs` name: Grafana's import form asks which datasource to put here. */
const DATASOURCE = { type: PLUGIN_ID, uid: "${DS_AIGIS}" } as const;

/** Sample-weighted count of the rows where `cond` holds. */
const weightedCount = (cond: string) => `SUM(IF(${cond}, _sample_interval, 0))`;
const quantile = (q: number, col: string) => `quantileExactWeighted(${q})(${col}, _sample_interval)`;
/** Share of the rows where `cond` holds; 0 under `minRequests`, where one request is a large share. */
const share = (cond: string, minRequests: number) =>
  `IF(SUM(_sample_interval) < ${minRequests}, 0, ${weightedCount(cond)} / SUM(_sample_interval))`;

/**
 * A time series over the dashboard's range; with `by`, one series per value (the plugin makes a
 * series of each GROUP BY column other than the time column).
 */
function series(select: string, o: { where: string; by?: { col: string; as: string } }): string {
  const by = o.by === undefined ? "" : `${o.by.col} AS ${o.by.as}, `;
  const groupBy = o.by === undefined ? "t" : `t, ${o.by.as}`;
  return `SELECT $timeSeries AS t, ${by}${select}\nFROM ${DATASET_VAR} WHERE $timeFilter AND ${o.where}\nGROUP BY ${groupBy} ORDER BY t`;
}

const REPORT_OPTIONS: ReportOptions = { hours: 24, limit: 20, dataset: DATASET_VAR };

/**
 * A report of `npm run analytics` as a panel query: the same SQL with its fixed window swapped
 * for the dashboard's range, so the dashboard and the CLI never disagree on what a number means.
 */
export function reportQuery(id: string): string {
  const report = REPORTS[id];
  if (report === undefined) throw new Error(`no report "${id}"`);
  const sql = report.sql(REPORT_OPTIONS).replace(since(REPORT_OPTIONS), "$timeFilter").replace(`${bucket(REPORT_OPTIONS)} AS t`, "$timeSeries AS t");
  if (/NOW\(\)|toStartOf/.test(sql)) throw new Error(`report "${id}": its time bound changed shape, update reportQuery`);
  return sql;
}

export type PanelKind = "timeseries" | "table" | "stat";

export interface Panel {
  title: string;
  description: string;
  kind: PanelKind;
  sql: string;
  /** Grafana unit id. */
  unit?: string;
  /** Grid columns, of 24. */
  width: number;
  /** For a stat panel: the alert it shows. */
  alert?: Alert;
}

export interface Section {
  title: string;
  panels: Panel[];
}

const API_ROUTE = "blob1 != ''";

export const SECTIONS: Section[] = [
  {
    title: "Traffic",
    panels: [
      { title: "Requests by decision", kind: "timeseries", width: 12, unit: "short", sql: reportQuery("traffic"), description: "Every request, rejected ones included, by firewall/gateway decision (blob4): allow, error, block, flag, redact, shadow, throttle." },
      { title: "Errors by code", kind: "timeseries", width: 12, unit: "short", sql: series("SUM(_sample_interval) AS requests", { where: "blob5 != ''", by: { col: "blob5", as: "code" } }), description: "Answers with an error code (blob5, docs/errors.md), streams cut mid-way included." },
      { title: "Top clients", kind: "table", width: 24, sql: reportQuery("top-clients"), description: "Clients (index1) by requests, with their errors (status >= 400) and blocks: the `top-clients` report." },
    ],
  },
  {
    title: "Firewall",
    panels: [
      { title: "Blocked, flagged, redacted, throttled and shadowed", kind: "timeseries", width: 12, unit: "short", sql: series("SUM(_sample_interval) AS requests", { where: "blob4 IN ('block', 'flag', 'redact', 'throttle', 'shadow')", by: { col: "blob4", as: "decision" } }), description: "The decisions that changed or refused a request, without the allow traffic that would flatten them." },
      { title: "Blocked and flagged requests by rule", kind: "table", width: 12, sql: reportQuery("blocks-by-rule"), description: "The rule ids that fired (blob6) per decision: the `blocks-by-rule` report." },
    ],
  },
  {
    title: "Latency",
    panels: [
      { title: "Latency percentiles", kind: "timeseries", width: 8, unit: "ms", sql: series(`${quantile(0.5, "double2")} AS p50, ${quantile(0.95, "double2")} AS p95, ${quantile(0.99, "double2")} AS p99`, { where: API_ROUTE }), description: "From arrival to the response's end (double2; the stream's end for streams), known routes only." },
      { title: "p95 latency by route", kind: "timeseries", width: 8, unit: "ms", sql: series(`${quantile(0.95, "double2")} AS p95`, { where: API_ROUTE, by: { col: "blob1", as: "route" } }), description: "p95 of double2 per route (blob1)." },
      { title: "Provider time to headers", kind: "timeseries", width: 8, unit: "ms", sql: series(`${quantile(0.5, "double3")} AS p50, ${quantile(0.95, "double3")} AS p95`, { where: "double3 > 0" }), description: "Upstream latency (double3) of the requests that reached a provider." },
    ],
  },
  {
    title: "Usage",
    panels: [
      { title: "Tokens", kind: "timeseries", width: 12, unit: "short", sql: series("SUM(double4 * _sample_interval) AS prompt_tokens, SUM(double5 * _sample_interval) AS completion_tokens", { where: "double6 > 0" }), description: "Prompt and completion tokens from the providers' usage (double4, double5). Sampled: the budgets and spend a client is held to are in the Durable Objects (GET /v1/usage)." },
      { title: "Tokens by model", kind: "timeseries", width: 12, unit: "short", sql: series("SUM(double6 * _sample_interval) AS tokens", { where: "double6 > 0", by: { col: "blob2", as: "model" } }), description: "Total tokens (double6) per requested model (blob2). Spend is not in Analytics Engine: multiply by the price table, or read GET /v1/usage." },
      { title: "Token usage by client and model", kind: "table", width: 24, sql: reportQuery("usage"), description: "The `usage` report: prompt and completion tokens per client and model." },
    ],
  },
  {
    title: "Extraction defence",
    panels: [
      { title: "Probing score", kind: "timeseries", width: 12, unit: "none", sql: series("MAX(double20) AS max_score, SUM(double20 * _sample_interval) / SUM(_sample_interval) AS mean_score", { where: "blob17 != ''" }), description: "The clients' probing score after each scored request (double20, in [0, 1]; extraction-defence.md). The maximum is over sampled rows, so a lower bound." },
      { title: "Extraction defence actions", kind: "timeseries", width: 12, unit: "short", sql: series("SUM(_sample_interval) AS requests", { where: "blob17 NOT IN ('', 'allow')", by: { col: "blob17", as: "action" } }), description: "degrade, slow and deny (blob17), with `:shadow` where the plan's probing runs in shadow mode and nothing was applied." },
      { title: "Clients the probing score throttled", kind: "table", width: 24, sql: reportQuery("probing"), description: "The `probing` report: clients by their highest score, per action." },
    ],
  },
  {
    title: "Fail-closed",
    panels: [
      { title: "Fail-closed answers (503) by code", kind: "timeseries", width: 24, unit: "short", sql: reportQuery("fail-closed"), description: "Every 503 is the gateway refusing rather than running unchecked: config_invalid, rules_unavailable, auth_unavailable, admission_unavailable, provider_not_configured (docs/errors.md). The `fail-closed` report." },
    ],
  },
];

export interface Alert {
  /** Rule uid and the value's column name. */
  uid: string;
  title: string;
  severity: "critical" | "warning";
  /** One aggregate over the window: a sample-weighted count or share. */
  value: string;
  /** Rows the value is computed over, besides the window. */
  where?: string;
  unit: "short" | "percentunit";
  /** The alert fires when the value is above this. */
  threshold: number;
  windowMinutes: number;
  /** Grafana's pending period: how long the condition holds before the alert fires. */
  pendingFor: string;
  why: string;
}

const UPSTREAM_FAILURES = "blob5 IN ('upstream_error', 'upstream_unavailable', 'upstream_timeout', 'stream_interrupted')";

export const ALERTS: Alert[] = [
  {
    uid: "fail_closed",
    title: "Fail-closed answers (503)",
    severity: "critical",
    value: weightedCount("double1 = 503"),
    unit: "short",
    threshold: 0,
    windowMinutes: 5,
    pendingFor: "0s",
    why: "Every 503 is the gateway refusing rather than running unchecked, and none happens in a healthy deployment: config_invalid or rules_unavailable refuse every request of a plan, auth_unavailable means the key store cannot be read, admission_unavailable that Durable Objects are failing, provider_not_configured that a provider secret is missing.",
  },
  {
    uid: "block_share",
    title: "Blocked share rising",
    severity: "warning",
    value: share("blob4 = 'block'", 100),
    unit: "percentunit",
    threshold: 0.05,
    windowMinutes: 15,
    pendingFor: "5m",
    why: "A rules push that blocks legitimate traffic, or an attack wave, shows here first. 5% is a starting point: set it to about three times the usual share of block in 'Requests by decision'. Under 100 requests in the window the value is 0, so one blocked request at night does not page.",
  },
  {
    uid: "auth_failures",
    title: "Authentication failures spike",
    severity: "warning",
    value: weightedCount("blob5 IN ('invalid_api_key', 'auth_rate_limited')"),
    unit: "short",
    threshold: 50,
    windowMinutes: 5,
    pendingFor: "0s",
    why: "Credential guessing, or a revoked or expired key still deployed somewhere. auth_rate_limited means an address already reached the per-minute cap on failed authentications. Size the threshold to your clients: 50 in 5 minutes is quiet for a handful of integrations.",
  },
  {
    uid: "probing_denials",
    title: "Extraction defence denials",
    severity: "warning",
    value: weightedCount("blob17 = 'deny'"),
    unit: "short",
    threshold: 0,
    windowMinutes: 15,
    pendingFor: "0s",
    why: "deny is the extraction defence's last step: a client's probing score or probe budget is exhausted (extraction-defence.md), so someone is worth a look. Shadow denials (deny:shadow) are not counted, since nothing was refused; they show in 'Extraction defence actions'.",
  },
  {
    uid: "upstream_errors",
    title: "Upstream error share",
    severity: "warning",
    value: share(UPSTREAM_FAILURES, 50),
    where: "blob3 != ''",
    unit: "percentunit",
    threshold: 0.05,
    windowMinutes: 10,
    pendingFor: "5m",
    why: "Of the requests that reached a provider, the share that failed after fallbacks: upstream_error, upstream_unavailable, upstream_timeout, stream_interrupted. upstream_rejected (the caller's request) and upstream_rate_limited (the provider account's quota; it shows in 'Errors by code') are left out.",
  },
];

/**
 * The alert's query: one point, the value over the last `windowMinutes`. The window is in the
 * SQL because Grafana alert rules do not expand dashboard variables or follow a time picker;
 * the time column (now, in ms) is what the plugin needs to read the row as a time series.
 */
export function alertQuery(a: Alert, dataset: string): string {
  if (dataset !== DATASET_VAR && !DATASET_NAME.test(dataset)) throw new Error(`not a dataset name: ${JSON.stringify(dataset)}`);
  const where = a.where === undefined ? "" : ` AND ${a.where}`;
  return `SELECT toUInt32(NOW()) * 1000 AS t, ${a.value} AS ${a.uid}\nFROM ${dataset} WHERE timestamp > NOW() - INTERVAL '${a.windowMinutes}' MINUTE${where}`;
}

const alertPanel = (a: Alert): Panel => ({
  title: a.title,
  kind: "stat",
  width: 8,
  unit: a.unit,
  sql: alertQuery(a, DATASET_VAR),
  alert: a,
  description: `${a.severity}: fires above ${a.threshold} over the last ${a.windowMinutes} minutes (pending ${a.pendingFor}). ${a.why}`,
});

/** Every section with its panels, the alert row last. */
export function sections(): Section[] {
  return [...SECTIONS, { title: "Alerts (fixed windows, red above the threshold)", panels: ALERTS.map(alertPanel) }];
}

const target = (sql: string, format: "time_series" | "table", extrapolate: boolean) => ({
  refId: "A",
  datasource: DATASOURCE,
  editorMode: "sql",
  format,
  query: sql,
  dateTimeType: "DATETIME",
  dateTimeColDataType: "timestamp",
  dateColDataType: "",
  round: "0s",
  intervalFactor: 1,
  extrapolate,
  skip_comments: true,
  // The plugin would prepend a /* grafana ... */ comment; the SQL API's grammar is kept to what it documents.
  add_metadata: false,
});

/** The panel's type-specific part: its query's format, field config and options. */
function shape(p: Panel) {
  if (p.kind === "table") return { targets: [target(p.sql, "table", false)], fieldConfig: { defaults: {}, overrides: [] }, options: { showHeader: true } };
  if (p.kind === "timeseries") {
    return {
      targets: [target(p.sql, "time_series", true)],
      fieldConfig: { defaults: { unit: p.unit, custom: { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never", spanNulls: false } }, overrides: [] },
      options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
    };
  }
  const alert = p.alert;
  if (alert === undefined) throw new Error(`stat panel "${p.title}" has no alert`);
  // Grafana colours from a step up (>=); weighted counts are whole numbers, so "above n" starts at n + 1.
  const red = alert.unit === "short" ? alert.threshold + 1 : alert.threshold;
  return {
    timeFrom: `${alert.windowMinutes}m`,
    targets: [target(p.sql, "time_series", false)],
    fieldConfig: { defaults: { unit: p.unit, thresholds: { mode: "absolute", steps: [{ color: "green", value: null }, { color: "red", value: red }] } }, overrides: [] },
    options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "none", textMode: "value", justifyMode: "auto", orientation: "auto" },
  };
}

const GRID = 24;
const HEIGHT: Record<PanelKind, number> = { timeseries: 8, table: 8, stat: 4 };

/** Rows and panels laid out left to right, wrapping at the grid's width; ids count from 1. */
function layout(all: Section[]): unknown[] {
  const out: unknown[] = [];
  let id = 0;
  let y = 0;
  for (const section of all) {
    out.push({ type: "row", id: ++id, title: section.title, collapsed: false, gridPos: { h: 1, w: GRID, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const p of section.panels) {
      if (x + p.width > GRID) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      const h = HEIGHT[p.kind];
      out.push({ type: p.kind, id: ++id, title: p.title, description: p.description, datasource: DATASOURCE, gridPos: { h, w: p.width, x, y }, ...shape(p) });
      x += p.width;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return out;
}

/** The dashboard as Grafana's "Export for sharing externally" writes it: import asks for the datasource. */
export function buildDashboard() {
  return {
    __inputs: [{ name: "DS_AIGIS", label: "Analytics Engine SQL API", description: "Altinity plugin for ClickHouse pointed at https://api.cloudflare.com/client/v4/accounts/<account_id>/analytics_engine/sql (docs/grafana.md)", type: "datasource", pluginId: PLUGIN_ID, pluginName: "Altinity plugin for ClickHouse" }],
    __requires: [
      { type: "grafana", id: "grafana", name: "Grafana", version: "10.0.0" },
      { type: "datasource", id: PLUGIN_ID, name: "Altinity plugin for ClickHouse", version: "3.0.0" },
      { type: "panel", id: "stat", name: "Stat", version: "" },
      { type: "panel", id: "table", name: "Table", version: "" },
      { type: "panel", id: "timeseries", name: "Time series", version: "" },
    ],
    annotations: { list: [{ builtIn: 1, datasource: { type: "grafana", uid: "-- Grafana --" }, enable: true, hide: true, iconColor: "rgba(0, 211, 255, 1)", name: "Annotations & Alerts", type: "dashboard" }] },
    description: "Aigis gateway: traffic, firewall decisions, latency, tokens, extraction defence and fail-closed answers from Workers Analytics Engine. Generated by npm run grafana; see docs/grafana.md.",
    editable: true,
    graphTooltip: 1,
    id: null,
    links: [],
    panels: layout(sections()),
    refresh: "5m",
    schemaVersion: 39,
    tags: ["aigis", "cloudflare", "analytics-engine"],
    templating: {
      list: [
        {
          type: "textbox",
          name: "dataset",
          label: "Dataset",
          description: "The Analytics Engine dataset the gateway writes to (wrangler.toml, analytics_engine_datasets).",
          query: DATASET,
          current: { selected: true, text: DATASET, value: DATASET },
          options: [{ selected: true, text: DATASET, value: DATASET }],
          hide: 0,
        },
      ],
    },
    time: { from: "now-24h", to: "now" },
    timepicker: {},
    timezone: "utc",
    title: "Aigis gateway (Workers Analytics Engine)",
    uid: "aigis-gateway",
    version: 1,
  };
}

/** The file's exact text. */
export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

/** The alert rules with a literal dataset name, as Markdown for docs/grafana.md or a terminal. */
export function alertsText(dataset: string): string {
  return ALERTS.map((a) => [`${a.title} (${a.uid}, ${a.severity}): above ${a.threshold}, window ${a.windowMinutes} min, pending ${a.pendingFor}`, "", "```sql", alertQuery(a, dataset), "```"].join("\n")).join("\n\n");
}
