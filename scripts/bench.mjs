// @ts-check
/**
 * `npm run bench`: throughput and latency of the gateway next to two bare baselines, all
 * measured in one run on this machine (docs/benchmarks.md says how to read the numbers).
 *
 *   node scripts/bench.mjs [--duration 10] [--connections 20] [--rounds 1] [--warmup 2] [--limits on|off]
 *
 * Targets, always in this order:
 *   bare     bench/bare.ts     a bare Hono passthrough: the floor for any Worker proxy
 *   bare_do  bench/bare-do.ts  the same plus one Durable Object RPC per request
 *   gateway  wrangler.toml     Aigis itself, with one API key seeded in KV
 * Each is built as it would be deployed (`wrangler deploy --dry-run`), served by Miniflare on
 * loopback without an inspector (wrangler dev's inspector proxy alone costs about 3x), in
 * front of the mock LLM (mock/server.mjs), and loaded with autocannon.
 *
 * stdout ends with exactly one line of JSON; progress goes to stderr. Exits non-zero only
 * when a target cannot be built, started or answer one request correctly.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { Miniflare, NoOpLog } from "miniflare";
import { tsImport } from "tsx/esm/api";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { startMockServer } from "../mock/server.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROMPT = "Hello from the benchmark, please echo this line.";
const BODY = JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: PROMPT }] });
/** Above this share of failed requests a target's numbers are suspect: warn, and say so in the JSON. */
const ERROR_BUDGET = 0.001;
/** Above this share of the machine's CPU used by other processes during a measurement, warn. */
const OTHER_CPU_BUDGET_PCT = 10;
/** Offline, as everywhere in this project: no cf.json download, no telemetry (shared TOOLCHAIN.md). */
const OFFLINE_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
/** The gateway's rps is divided by each of these for the `ratio_vs_<id>` keys. */
const BASELINES = ["bare", "bare_do"];

/** @param {unknown} err */
const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/** Limits of every kind, far above what the benchmark sends: the engine does all its work, nothing is refused. */
const BENCH_RULES = {
  schema_version: 1,
  version: "bench",
  plans: {
    demo: {
      limits: {
        requests_per_second: { rate: 1e5, burst: 1e5 },
        requests_per_minute: 1e9,
        tokens_per_minute: 1e10,
        concurrent_streams: 1e5,
        daily_tokens: 1e12,
        monthly_tokens: 1e12,
        daily_spend_usd: 1e6,
        monthly_spend_usd: 1e6,
      },
    },
  },
  prices: { "mock-*": { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
};

/** The seeded caller, in the shape src/auth/identity.ts validates. */
const KEY_RECORD = { client_id: "bench", tenant: "bench", name: "bench", plan: "demo", scopes: ["chat"], created: "2026-01-01T00:00:00Z" };

/**
 * @typedef {object} Running a target answering on loopback
 * @property {string} url its chat completions URL
 * @property {Record<string, string>} headers the credentials each request carries
 * @property {() => string} logs the tail of what its runtime printed, shown when it fails
 * @property {() => Promise<void>} close
 *
 * @typedef {object} Target
 * @property {string} id JSON key stem: `<id>_rps`, `p50_ms.<id>`
 * @property {string} label
 * @property {string} config wrangler config, relative to the repository root
 * @property {(worker: Built, upstream: Upstream) => Promise<Running>} start
 *
 * @typedef {{ id: string, bundle: string, options: import("wrangler").Unstable_MiniflareWorkerOptions["workerOptions"] }} Built
 * @typedef {{ url: string, key: string }} Upstream
 *
 * The fields of autocannon's result used here (autocannon ships no types). `duration` is in
 * seconds, `errors` counts connection errors and timeouts, `latency` is in ms over 2xx only.
 * @typedef {{ duration: number, "2xx": number, non2xx: number, errors: number, latency: { p50: number, p99: number }, requests: { total: number } }} AutocannonResult
 *
 * @typedef {object} Sample one autocannon measurement
 * @property {number} rps 2xx responses per second
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} requests completed responses, any status
 * @property {number} non2xx
 * @property {number} errors connection errors and timeouts
 * @property {number | undefined} otherCpu % of all cores other processes used meanwhile
 */

/** @type {Target[]} */
const TARGETS = [
  {
    id: "bare",
    label: "bare Hono passthrough",
    config: "bench/wrangler.bare.toml",
    start: startPassthrough,
  },
  {
    id: "bare_do",
    label: "bare + 1 Durable Object RPC",
    config: "bench/wrangler.bare-do.toml",
    start: startPassthrough,
  },
  {
    id: "gateway",
    label: "Aigis gateway",
    config: "wrangler.toml",
    start: startGateway,
  },
];

/** @param {string[]} argv */
function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "20" },
      rounds: { type: "string", default: "1" },
      warmup: { type: "string", default: "2" },
      // "off": the bundled default rules (no limits; admission checks revocation only).
      limits: { type: "string", default: "on" },
    },
  });
  if (values.limits !== "on" && values.limits !== "off") throw new Error(`--limits: expected on or off, got ${JSON.stringify(values.limits)}`);
  LIMITS_ON = values.limits === "on";
  /** @param {string} name @param {string} text @param {number} min */
  const int = (name, text, min) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    duration: int("duration", values.duration, 1),
    connections: int("connections", values.connections, 1),
    rounds: int("rounds", values.rounds, 1),
    warmup: int("warmup", values.warmup, 0),
    limits: values.limits,
  };
}

/** Whether the gateway runs with every kind of limit configured (set from `--limits`). */
let LIMITS_ON = true;

/**
 * Builds one Worker exactly as `npm run build` builds the gateway.
 * @param {Target} target
 * @param {string} outdir
 * @returns {Promise<Built>}
 */
async function build(target, outdir) {
  const configPath = path.join(ROOT, target.config);
  await run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "--config", configPath]);
  // Options come from the same config file, so compatibility flags, vars and bindings cannot
  // drift from what is deployed; main says which file the bundle was written to.
  const derived = unstable_getMiniflareWorkerOptions(configPath);
  return { id: target.id, bundle: path.join(outdir, `${path.parse(derived.main ?? "index").name}.js`), options: derived.workerOptions };
}

/**
 * @param {string} command
 * @param {string[]} args
 * @returns {Promise<void>}
 */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...OFFLINE_ENV, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    /** @type {Buffer[]} */
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const text = Buffer.concat(output).toString("utf8").trim().split("\n").slice(-25).join("\n");
      reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${text}`));
    });
  });
}

/**
 * Serves a built bundle with Miniflare on a free loopback port. No inspector (no
 * `inspectorPort`), no request log, runtime output kept only for error reports.
 * @param {Built} worker
 * @param {Record<string, unknown>} bindings added to, or replacing, those from the config
 */
async function serve(worker, bindings) {
  /** @type {string[]} */
  const lines = [];
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 30));
  };
  const mf = new Miniflare({
    ...worker.options,
    name: worker.id,
    modules: true,
    scriptPath: worker.bundle,
    // Module names are paths relative to this root; the default (cwd) cannot reach os.tmpdir().
    modulesRoot: path.dirname(worker.bundle),
    bindings: { ...worker.options.bindings, ...bindings },
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new NoOpLog(),
    logRequests: false,
    /** @param {import("node:stream").Readable} stdout @param {import("node:stream").Readable} stderr */
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", keep);
      stderr.on("data", keep);
    },
  });
  try {
    const base = await mf.ready;
    return { mf, url: new URL("/v1/chat/completions", base).href, logs: () => lines.join("\n"), close: () => mf.dispose() };
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw new Error(`${messageOf(err)}\nruntime output:\n${lines.join("\n")}`);
  }
}

/**
 * The baselines forward the caller's headers as they are, so requests carry the mock's key.
 * @param {Built} worker
 * @param {Upstream} upstream
 * @returns {Promise<Running>}
 */
async function startPassthrough(worker, upstream) {
  const served = await serve(worker, { UPSTREAM_URL: upstream.url });
  return { ...served, headers: { authorization: `Bearer ${upstream.key}` } };
}

/**
 * The gateway as wrangler.toml configures it, with the provider list swapped for the mock and
 * one API key seeded in KV; it sends the provider key itself.
 * @param {Built} worker
 * @param {Upstream} upstream
 * @returns {Promise<Running>}
 */
async function startGateway(worker, upstream) {
  const configured = /** @type {Record<string, unknown>} */ (worker.options.bindings?.AIGIS_CONFIG ?? {});
  const served = await serve(worker, {
    AIGIS_CONFIG: { ...configured, providers: [{ id: "mock", base_url: upstream.url, key_secret: "MOCK_API_KEY", models: ["mock-gpt"] }] },
    MOCK_API_KEY: upstream.key,
  });
  try {
    // The gateway's own key format and KV naming, so the seeded key cannot drift from what it accepts.
    /** @type {{ generateApiKey: () => string }} */
    const format = await tsImport("../src/auth/key-format.ts", import.meta.url);
    /** @type {{ sha256Hex: (text: string) => Promise<string>, keyStorageName: (hash: string) => string }} */
    const keys = await tsImport("../src/auth/api-keys.ts", import.meta.url);
    const key = format.generateApiKey();
    // Typed by hand: without workers-types in scope Miniflare's KVNamespace type collapses.
    const kv = /** @type {{ put(key: string, value: string): Promise<void> }} */ (/** @type {unknown} */ (await served.mf.getKVNamespace("CONFIG_KV")));
    await kv.put(keys.keyStorageName(await keys.sha256Hex(key)), JSON.stringify(KEY_RECORD));
    // Every stage on: a rules document whose plan has a limit and a budget of every kind
    // (generous, so the load is never refused), so admission runs the whole quota engine.
    if (LIMITS_ON) await kv.put("rules:current", JSON.stringify(BENCH_RULES));
    return { ...served, headers: { authorization: `Bearer ${key}` } };
  } catch (err) {
    await served.close();
    throw err;
  }
}

/** @param {Running} target */
function requestHeaders(target) {
  return { "content-type": "application/json", ...target.headers };
}

/**
 * One request through the whole path before any load: a target that answers with an error
 * would otherwise be benchmarked at the speed of its error page.
 * @param {Running} target
 */
async function checkAnswers(target) {
  const res = await fetch(target.url, { method: "POST", headers: requestHeaders(target), body: BODY, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  if (!res.ok || !text.includes(PROMPT)) throw new Error(`answered ${res.status}: ${text.slice(0, 400)}`);
}

/**
 * CPU time (in ticks of 1/100 s) used by the whole machine, and by this process with its
 * children (the workerd processes). The difference is other processes competing for the same
 * cores, which skews even ratios measured in one run. Undefined without Linux's /proc.
 * @returns {{ at: number, busy: number, ours: number } | undefined}
 */
function cpuTicks() {
  try {
    // cpu user nice system idle iowait irq softirq steal ...: all but idle and iowait is busy.
    const total = (readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = total.reduce((a, b) => a + b, 0) - (total[3] ?? 0) - (total[4] ?? 0);
    /** @type {Map<number, number[]>} */
    const children = new Map();
    /** @type {Map<number, number>} */
    const ticks = new Map();
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // Fields after the command name (which may hold spaces): state, ppid, ... utime, stime.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(name);
      const ppid = Number(fields[1]);
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
    let ours = 0;
    for (const queue = [process.pid]; queue.length > 0; ) {
      const pid = /** @type {number} */ (queue.pop());
      ours += ticks.get(pid) ?? 0;
      queue.push(...(children.get(pid) ?? []));
    }
    return { at: performance.now(), busy, ours };
  } catch {
    return undefined;
  }
}

/**
 * @param {ReturnType<typeof cpuTicks>} before
 * @param {ReturnType<typeof cpuTicks>} after
 * @returns {number | undefined} % of all cores
 */
function otherCpuPct(before, after) {
  if (before === undefined || after === undefined) return undefined;
  const available = ((after.at - before.at) / 1000) * 100 * os.availableParallelism();
  const other = after.busy - before.busy - (after.ours - before.ours);
  return Math.max(0, (100 * other) / available);
}

/**
 * @param {Running} target
 * @param {number} seconds
 * @param {number} connections
 * @returns {Promise<Sample>}
 */
async function measure(target, seconds, connections) {
  const before = cpuTicks();
  const result = /** @type {AutocannonResult} */ (
    await autocannon({
      url: target.url,
      method: "POST",
      headers: requestHeaders(target),
      body: BODY,
      connections,
      duration: seconds,
    })
  );
  const otherCpu = otherCpuPct(before, cpuTicks());
  return {
    // Only successes count: an error page is cheaper than a real answer.
    rps: result["2xx"] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    otherCpu,
  };
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
}

/** @param {number} value @param {number} digits */
const round = (value, digits) => Number(value.toFixed(digits));

/**
 * Medians per target over the rounds; failure counts are summed, other processes' CPU is the worst seen.
 * @param {Sample[]} samples
 */
function combine(samples) {
  /** @param {(s: Sample) => number} pick */
  const sum = (pick) => samples.reduce((acc, s) => acc + pick(s), 0);
  return {
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    requests: sum((s) => s.requests),
    non2xx: sum((s) => s.non2xx),
    errors: sum((s) => s.errors),
    otherCpu: samples.some((s) => s.otherCpu === undefined) ? undefined : Math.max(...samples.map((s) => s.otherCpu ?? 0)),
  };
}

/** @typedef {ReturnType<typeof combine>} Stats */

/** @param {Stats} s */
const failureShare = (s) => (s.requests + s.errors === 0 ? 1 : (s.non2xx + s.errors) / (s.requests + s.errors));

/**
 * @param {Map<string, Stats>} stats
 * @param {{ raw: number, gzip: number }} bundle
 * @param {ReturnType<typeof parseOptions>} options
 */
function printTable(stats, bundle, options) {
  const rows = [["target", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx", "errors", "other CPU %"]];
  for (const target of TARGETS) {
    const s = /** @type {Stats} */ (stats.get(target.id));
    rows.push([target.label, String(Math.round(s.rps)), String(round(s.p50, 1)), String(round(s.p99, 1)), String(s.requests), String(s.non2xx), String(s.errors), s.otherCpu === undefined ? "-" : String(round(s.otherCpu, 1))]);
  }
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  const line = (/** @type {string[]} */ row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join("  ");
  const rounds = options.rounds > 1 ? `, median of ${options.rounds} rounds` : "";
  console.log(`\n${options.connections} connections, ${options.duration} s per target${rounds}, loopback, ${os.availableParallelism()} cores`);
  console.log(line(rows[0] ?? []));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows.slice(1)) console.log(line(row));
  const gateway = /** @type {Stats} */ (stats.get("gateway"));
  const ratios = BASELINES.map((id) => `gateway / ${id}: ${round(gateway.rps / (stats.get(id)?.rps ?? NaN), 3)}`);
  console.log(`\n${ratios.join("   ")}`);
  console.log(`gateway bundle: ${bundle.raw} bytes, ${bundle.gzip} gzipped\n`);
}

/**
 * The machine-readable summary: one flat-ish object, so later keys (a peer gateway, more
 * baselines) are added here without changing the existing ones.
 * @param {Map<string, Stats>} stats
 * @param {{ raw: number, gzip: number }} bundle
 * @param {ReturnType<typeof parseOptions>} options
 */
function summarise(stats, bundle, options) {
  const gateway = /** @type {Stats} */ (stats.get("gateway"));
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [id, s] of stats) out[`${id}_rps`] = Math.round(s.rps);
  for (const id of BASELINES) out[`ratio_vs_${id}`] = round(gateway.rps / (stats.get(id)?.rps ?? NaN), 3);
  out.p50_ms = Object.fromEntries([...stats].map(([id, s]) => [id, round(s.p50, 1)]));
  out.p99_ms = Object.fromEntries([...stats].map(([id, s]) => [id, round(s.p99, 1)]));
  out.bundle_bytes = bundle.raw;
  out.bundle_gzip_bytes = bundle.gzip;
  out.connections = options.connections;
  out.duration_s = options.duration;
  out.rounds = options.rounds;
  out.limits = options.limits;
  const other = [...stats.values()].map((s) => s.otherCpu);
  if (other.every((v) => v !== undefined)) out.other_cpu_pct = round(Math.max(...other), 1);
  const failing = [...stats].filter(([, s]) => failureShare(s) > ERROR_BUDGET);
  if (failing.length > 0) {
    out.errors = Object.fromEntries(failing.map(([id, s]) => [id, { requests: s.requests, non2xx: s.non2xx, errors: s.errors }]));
  }
  return out;
}

/** @param {string} message */
const progress = (message) => process.stderr.write(`bench: ${message}\n`);

/**
 * Starts every target and checks each answers once; `cleanup` gets each one's close.
 * @param {Built[]} built in TARGETS order
 * @param {Upstream} upstream
 * @param {Array<() => Promise<void>>} cleanup
 * @returns {Promise<Running[]>}
 */
async function startTargets(built, upstream, cleanup) {
  /** @type {Running[]} */
  const running = [];
  for (const [i, target] of TARGETS.entries()) {
    progress(`starting ${target.label}`);
    let served;
    try {
      served = await target.start(/** @type {Built} */ (built[i]), upstream);
    } catch (err) {
      throw new Error(`${target.label} did not start: ${messageOf(err)}`);
    }
    cleanup.push(served.close);
    try {
      await checkAnswers(served);
    } catch (err) {
      const logs = served.logs();
      throw new Error(`${target.label} ${messageOf(err)}${logs ? `\nruntime output:\n${logs}` : ""}`);
    }
    running.push(served);
  }
  return running;
}

/**
 * Measures the targets in turn, `rounds` times, so a slow phase of the machine hits all of
 * them rather than one; returns the samples per target id.
 * @param {Running[]} running in TARGETS order
 * @param {ReturnType<typeof parseOptions>} options
 */
async function runRounds(running, options) {
  /** @type {Map<string, Sample[]>} */
  const samples = new Map(TARGETS.map((t) => [t.id, []]));
  for (let r = 1; r <= options.rounds; r++) {
    for (const [i, target] of TARGETS.entries()) {
      const served = /** @type {Running} */ (running[i]);
      if (options.warmup > 0) await measure(served, options.warmup, options.connections);
      const sample = await measure(served, options.duration, options.connections);
      samples.get(target.id)?.push(sample);
      progress(`round ${r}/${options.rounds} ${target.id}: ${Math.round(sample.rps)} req/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms`);
    }
  }
  return samples;
}

/**
 * Table, warnings, then the JSON line, which must stay the last line of stdout.
 * @param {Map<string, Stats>} stats
 * @param {{ raw: number, gzip: number }} bundle
 * @param {ReturnType<typeof parseOptions>} options
 * @param {Record<string, number>} stages CPU microseconds per request of each pure stage
 */
function report(stats, bundle, options, stages) {
  printTable(stats, bundle, options);
  for (const [id, s] of stats) {
    if (failureShare(s) > ERROR_BUDGET) {
      console.log(`WARNING: ${id}: ${s.non2xx} non-2xx and ${s.errors} errors in ${s.requests} requests (over ${ERROR_BUDGET * 100}%); its numbers are not comparable`);
    }
  }
  const busiest = Math.max(...[...stats.values()].map((s) => s.otherCpu ?? 0));
  if (busiest > OTHER_CPU_BUDGET_PCT) {
    console.log(`WARNING: other processes used up to ${round(busiest, 1)}% of the CPU during measurement; rerun on a quiet machine before trusting the ratios`);
  }
  console.log(`stage CPU (us/request): ${Object.entries(stages).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(JSON.stringify({ ...summarise(stats, bundle, options), stage_us: stages }));
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  // Ctrl-C leaves through process.exit, as Miniflare's own signal handler does: its exit hook
  // stops workerd, the one below removes the build directory, the mock dies with the process.
  // Prepended because importing wrangler installs a SIGINT handler that exits with status 0.
  process.prependOnceListener("SIGINT", () => process.exit(130));
  process.prependOnceListener("SIGTERM", () => process.exit(143));
  const outdir = await mkdtemp(path.join(os.tmpdir(), "aigis-bench-"));
  process.once("exit", () => rmSync(outdir, { recursive: true, force: true }));

  /** @type {Array<() => Promise<void>>} closed in reverse order once the run ends or fails */
  const cleanup = [];
  try {
    progress(`building ${TARGETS.map((t) => t.config).join(", ")}`);
    const built = await Promise.all(TARGETS.map((t) => build(t, path.join(outdir, t.id))));
    const gatewayBundle = await readFile(/** @type {Built} */ (built[TARGETS.findIndex((t) => t.id === "gateway")]).bundle);
    const bundle = { raw: gatewayBundle.length, gzip: gzipSync(gatewayBundle).length };

    const key = `sk-bench-${randomBytes(12).toString("hex")}`;
    const mock = await startMockServer({ expectedKey: key });
    cleanup.push(() => mock.close());

    const running = await startTargets(built, { url: mock.url, key }, cleanup);
    const samples = await runRounds(running, options);
    // Per-stage CPU, measured after the load so the two never compete for the cores.
    progress("measuring per-stage CPU (scripts/bench-stages.ts)");
    const { stageCosts } = await tsImport("./bench-stages.ts", import.meta.url);
    const stages = await stageCosts();
    report(new Map([...samples].map(([id, list]) => [id, combine(list)])), bundle, options, stages);
  } finally {
    for (const close of cleanup.reverse()) await close().catch(() => {});
  }
}

main().catch((err) => {
  console.error(`bench: ${messageOf(err)}`);
  process.exitCode = 1;
});
