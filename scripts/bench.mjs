// @ts-check
/**
 * `npm run bench`: throughput and latency of the gateway next to bare baselines, all
 * measured in one run on this machine (docs/benchmarks.md says how to read the numbers).
 *
 *   node scripts/bench.mjs [--scenario plain|stream] [--duration 10] [--connections 20] [--rounds 1]
 *                          [--warmup 2] [--limits on|off] [--sequential 200] [--peer]
 *
 * `--scenario plain` (the default): a small chat completion answered as one JSON body, to
 * these targets, always in this order:
 *   bare     bench/bare.ts     a bare Hono passthrough: the floor for any Worker proxy
 *   bare_do  bench/bare-do.ts  the same plus one Durable Object RPC per request
 *   gateway  wrangler.toml     Aigis itself, with one API key seeded in KV and every stage on
 *   peer     (`--peer` only)   @portkey-ai/gateway as a Node process (scripts/lib/peer.mjs)
 * `--scenario stream`: a streamed chat completion of about 350 SSE events, to `bare`, the
 * gateway with response protection off (`gateway_off`) and at its defaults (`gateway`):
 * time to first content byte and whole-stream time over `--sequential` one-at-a-time
 * requests, then streams per second under load.
 * Each Worker target is built as it would be deployed (`wrangler deploy --dry-run`), served by
 * Miniflare on loopback without an inspector (wrangler dev's inspector proxy alone costs
 * about 3x), in front of the mock LLM (mock/server.mjs), and loaded with autocannon; the
 * peer runs in front of the same mock instance and is loaded the same way.
 *
 * stdout ends with exactly one line of JSON; progress goes to stderr. Exits non-zero only
 * when a target cannot be built, started or answer one request correctly.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { tsImport } from "tsx/esm/api";
import { startMockServer } from "../mock/server.mjs";
import { ERROR_BUDGET, failureShare, ratioChecks, ratios, round, runFacts, summarise } from "./lib/bench-summary.mjs";
import { build, messageOf, serve } from "./lib/miniflare.mjs";
import { PEER_PACKAGE, peerInstall, startPeer } from "./lib/peer.mjs";
import { freePort, profileWhile, topSelf } from "./lib/profile.mjs";

const PROMPT = "Hello from the benchmark, please echo this line.";
/**
 * A system prompt, as most real requests carry one: without it the output side's system
 * prompt checks (the canary planted in it, the verbatim-overlap check) would have nothing to act on.
 */
const SYSTEM_PROMPT = "You are the support assistant of a small online shop. Answer politely and briefly, in the customer's language.";
const BODY = JSON.stringify({
  model: "mock-gpt",
  messages: [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: PROMPT },
  ],
});
/**
 * The stream scenario's message: about 2 KB (356 words) of ordinary prose, echoed by the mock
 * one SSE event per word. Its two e-mail addresses are redacted to placeholders by the input
 * firewall on the way in, and put back by response protection on the way out.
 */
const STREAM_PROMPT = [
  "Quarterly support review for the northern region. Between July and September the team handled 4,812 tickets, up from 4,105 in the previous quarter,",
  "while the median first response time fell from 3.4 hours to 2.1 hours. Most of the growth came from the new billing portal: customers who moved to",
  "monthly invoicing had questions about proration, about why the first invoice covered eleven days instead of a full month, and about how to download",
  "receipts for their accountants. We answered the common cases with three new help articles and a short video, and the share of billing tickets dropped",
  "from 31 percent in July to 19 percent in September. Escalations remained rare. Only 62 tickets needed an engineer, and 41 of those were traced to a",
  "single release on August 14 that broke address validation for postal codes with a space in them. The fix shipped two days later, and every affected",
  "customer received a follow-up message with a credit of 15 dollars. Two customers asked to be contacted directly about the outage, Maria Lindqvist at",
  "maria.lindqvist@example.com and the operations desk at ops-desk@example.org, and both confirmed that the credit had been applied. Staffing was stable.",
  "We hired two agents in August, both of whom finished onboarding within three weeks, and we moved the weekend shift from two people to three after",
  "Saturday queues regularly exceeded forty waiting conversations. Satisfaction scores held steady at 4.6 out of 5, with the lowest ratings concentrated",
  "in tickets that were reassigned more than once. For the next quarter we plan to route tickets by product area rather than by language, to publish a",
  "status page that customers can subscribe to, and to review every ticket that waits longer than eight hours without an answer. We also want to shorten",
  "the refund process, which still requires approval from a team lead for amounts above 200 dollars, and to measure how often customers reopen a ticket",
  "within a week of it being closed. Please send comments on this summary before the planning meeting on October 9, and include any figures from your",
  "own teams that should be added to the final version.",
].join(" ");
const STREAM_BODY = JSON.stringify({ model: "mock-gpt", stream: true, messages: [{ role: "user", content: STREAM_PROMPT }] });
/** A chat chunk whose delta carries text: the first one a client can show. */
const CONTENT_DELTA = /"content":"[^"]/;
/** Sequential streams run and discarded before the timed ones (unless `--warmup 0`). */
const SEQUENTIAL_WARMUP = 20;
/** Above this share of the machine's CPU used by other processes during a measurement, warn. */
const OTHER_CPU_BUDGET_PCT = 10;

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

/**
 * The plain scenario's response protection: the defaults, plus the one check they leave off,
 * the per-client canary in the system prompt (it needs the AIGIS_CANARY_SECRET secret).
 */
const EVERY_OUTPUT_CHECK = { canary: { enabled: true } };

/** The seeded caller, in the shape src/auth/identity.ts validates. */
const KEY_RECORD = { client_id: "bench", tenant: "bench", name: "bench", plan: "demo", scopes: ["chat"], created: "2026-01-01T00:00:00Z" };

/**
 * @typedef {object} Running a target answering on loopback
 * @property {string} url its chat completions URL
 * @property {Record<string, string>} headers the credentials each request carries
 * @property {() => string} logs the tail of what its runtime printed, shown when it fails
 * @property {() => Promise<void>} close
 * @property {(<T>(work: () => Promise<T>) => Promise<T>) | undefined} [profile] `--profile`: runs `work` under the CPU profiler
 *
 * @typedef {object} Target
 * @property {string} id JSON key stem: `<id>_rps`, `p50_ms.<id>`
 * @property {string} label
 * @property {string | undefined} config wrangler config, relative to the repository root; none for the peer
 * @property {(worker: Built | undefined, upstream: Upstream) => Promise<Running>} start gets the build of `config`
 *
 * @typedef {import("./lib/miniflare.mjs").Bundle} Bundle
 * @typedef {import("./lib/miniflare.mjs").Built} Built a bundle for one target (targets may share a bundle)
 * @typedef {{ url: string, key: string }} Upstream
 *
 * The fields of autocannon's result used here (autocannon ships no types). `duration` is in
 * seconds, `errors` counts connection errors and timeouts, `mismatches` 2xx responses whose
 * body failed `verifyBody`, `latency` is in ms over 2xx only.
 * @typedef {{ duration: number, "2xx": number, non2xx: number, errors: number, mismatches: number, latency: { p50: number, p99: number }, requests: { total: number } }} AutocannonResult
 *
 * @typedef {object} Sample one autocannon measurement
 * @property {number} rps correct 2xx responses per second
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} requests completed responses, any status
 * @property {number} non2xx
 * @property {number} errors connection errors, timeouts and 2xx bodies that failed the scenario's check
 * @property {number | undefined} otherCpu % of all cores other processes used meanwhile
 * @property {number | undefined} serverCpuUs CPU of the server under test per completed request, in µs
 *
 * @typedef {object} Load what autocannon sends, and how it checks each answer
 * @property {string} body
 * @property {(body: string) => boolean} [verifyBody]
 *
 * @typedef {Sample & { ttfb: number, ttfbP90: number, streamMs: number, events: number }} StreamSample
 *   with the medians (ttfb also p90) of `--sequential` one-at-a-time streams, in ms, and
 *   the content events a stream carried
 */

/** @param {Built | undefined} worker @returns {Built} */
function built(worker) {
  if (worker === undefined) throw new Error("this target needs a built Worker");
  return worker;
}

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
    start: (worker, upstream) => startGateway(built(worker), upstream, EVERY_OUTPUT_CHECK),
  },
];

/** @type {Target} `--peer`: measured after the others, in the same rounds. */
const PEER_TARGET = {
  id: "peer",
  label: `peer: ${PEER_PACKAGE}`,
  config: undefined,
  start: (_worker, upstream) => startPeer(upstream),
};

/** @type {Target[]} The stream scenario's: the gateway with response protection off, then at its defaults. */
const STREAM_TARGETS = [
  /** @type {Target} */ (TARGETS[0]),
  {
    id: "gateway_off",
    label: "Aigis, output protection off",
    config: "wrangler.toml",
    start: (worker, upstream) => startGateway(built(worker), upstream, { mode: "off" }),
  },
  {
    id: "gateway",
    label: "Aigis, output protection on",
    config: "wrangler.toml",
    // An empty section is every default: seeded like gateway_off's, so the two differ only there.
    start: (worker, upstream) => startGateway(built(worker), upstream, {}),
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
      // "off": no limits (admission checks revocation and runs the extraction defence only).
      limits: { type: "string", default: "on" },
      scenario: { type: "string", default: "plain" },
      // Stream scenario: timed one-at-a-time streams per target and round.
      sequential: { type: "string", default: "200" },
      peer: { type: "boolean", default: false },
      profile: { type: "string" },
    },
  });
  if (values.limits !== "on" && values.limits !== "off") throw new Error(`--limits: expected on or off, got ${JSON.stringify(values.limits)}`);
  if (values.scenario !== "plain" && values.scenario !== "stream") throw new Error(`--scenario: expected plain or stream, got ${JSON.stringify(values.scenario)}`);
  if (values.peer && values.scenario === "stream") {
    throw new Error(
      `--peer runs with the plain scenario only: ${PEER_PACKAGE} as installed answers streamed chat completions with 500 ("TypeError: immutable" as it adds its headers to the upstream response; Portkey-AI/gateway issues 1389 and 1550)`,
    );
  }
  if (values.peer && values.limits === "off") throw new Error("--peer compares the gateway with every protection on, limits included: drop --limits off");
  LIMITS_ON = values.limits === "on";
  PROFILE_DIR = values.profile === undefined ? undefined : path.resolve(values.profile);
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
    scenario: values.scenario,
    sequential: int("sequential", values.sequential, 1),
    peer: values.peer,
    profile: values.profile,
  };
}

/** Whether the gateway runs with every kind of limit configured (set from `--limits`). */
let LIMITS_ON = true;
/** `--profile DIR`: where the gateways' CPU profiles go; undefined: no inspector at all. */
/** @type {string | undefined} */
let PROFILE_DIR;
let profiles = 0;

/**
 * Profiles each timed load of one gateway: writes `<DIR>/<n>-gateway[-off].cpuprofile` (open it
 * in Chrome DevTools' Performance panel or speedscope) and prints the top self-time functions.
 * @param {number} port @param {string} name @param {Record<string, unknown> | undefined} output
 * @returns {<T>(work: () => Promise<T>) => Promise<T>}
 */
function profiler(port, name, output) {
  const label = output?.mode === "off" ? "gateway-off" : "gateway";
  return async (work) => {
    const { result, profile } = await profileWhile(port, name, work);
    const file = path.join(/** @type {string} */ (PROFILE_DIR), `${++profiles}-${label}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    progress(`profile of ${label}: ${file}; top self time (share of all samples, idle included):`);
    for (const { share, name: fn } of topSelf(profile, 25)) progress(`  ${(100 * share).toFixed(1).padStart(5)}%  ${fn}`);
    return result;
  };
}

/** @param {Target[]} targets the distinct wrangler configs they need */
const configsOf = (targets) => [...new Set(targets.flatMap((t) => (t.config === undefined ? [] : [t.config])))];

/**
 * Builds each distinct config of `targets` once, in parallel.
 * @param {Target[]} targets
 * @param {string} outdir
 * @returns {Promise<Array<Built | undefined>>} in `targets` order; undefined for a target with no config
 */
async function buildAll(targets, outdir) {
  const configs = configsOf(targets);
  const bundles = await Promise.all(configs.map((config, i) => build(config, path.join(outdir, String(i)))));
  return targets.map((t) => (t.config === undefined ? undefined : { ...(/** @type {Bundle} */ (bundles[configs.indexOf(t.config)])), id: t.id }));
}

/**
 * The baselines forward the caller's headers as they are, so requests carry the mock's key.
 * @param {Built | undefined} worker
 * @param {Upstream} upstream
 * @returns {Promise<Running>}
 */
async function startPassthrough(worker, upstream) {
  const served = await serve(built(worker), { UPSTREAM_URL: upstream.url });
  return { ...served, headers: { authorization: `Bearer ${upstream.key}` } };
}

/**
 * The rules document seeded for a gateway, or undefined to leave it on the bundled defaults.
 * With `--limits on`, every stage on: a plan with a limit and a budget of every kind
 * (generous, so the load is never refused), so admission runs the whole quota engine.
 * @param {Record<string, unknown> | undefined} output the plan's `output` section, if any
 */
function benchRules(output) {
  if (!LIMITS_ON && output === undefined) return undefined;
  /** @type {{ plans: { demo: Record<string, unknown> } } & Record<string, unknown>} */
  const base = LIMITS_ON ? BENCH_RULES : { schema_version: 1, version: "bench", plans: { demo: {} } };
  return output === undefined ? base : { ...base, plans: { demo: { ...base.plans.demo, output } } };
}

/**
 * The gateway as wrangler.toml configures it, with the provider list swapped for the mock and
 * one API key seeded in KV; it sends the provider key itself.
 * @param {Built} worker
 * @param {Upstream} upstream
 * @param {Record<string, unknown> | undefined} output the plan's response protection section (rules schema `output`)
 * @returns {Promise<Running>}
 */
async function startGateway(worker, upstream, output) {
  const configured = /** @type {Record<string, unknown>} */ (worker.options.bindings?.AIGIS_CONFIG ?? {});
  const inspectorPort = PROFILE_DIR === undefined ? undefined : await freePort();
  const served = await serve(worker, {
    AIGIS_CONFIG: { ...configured, providers: [{ id: "mock", base_url: upstream.url, key_secret: "MOCK_API_KEY", models: ["mock-gpt"] }] },
    MOCK_API_KEY: upstream.key,
    AIGIS_PROBE_KEY: "bench-probe-key-0123456789",
    AIGIS_AUDIT_KEY: "bench-audit-key-0123456789abcdef",
    AIGIS_CANARY_SECRET: "bench-canary-secret-0123456789abcdef",
  }, { inspectorPort });
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
    const rules = benchRules(output);
    if (rules !== undefined) await kv.put("rules:current", JSON.stringify(rules));
    const profile = inspectorPort === undefined ? undefined : profiler(inspectorPort, worker.id, output);
    return { ...served, headers: { authorization: `Bearer ${key}` }, profile };
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

/** Whether a streamed body ends as a whole chat stream does. @param {string} body */
const streamEnded = (body) => body.trimEnd().endsWith("data: [DONE]");

/** How many SSE events of a chat stream carry text. @param {string} body */
const contentEvents = (body) => body.split("\n\n").filter((event) => CONTENT_DELTA.test(event)).length;

/**
 * One streamed chat completion, read to its end: ms from sending until the first chunk that
 * completes a content delta (`ttfb`) and until the last one (`total`). Throws unless the answer
 * is a whole event stream, so it is also the stream scenario's check before any load.
 * @param {Running} target
 */
async function fetchStream(target) {
  const start = performance.now();
  const res = await fetch(target.url, { method: "POST", headers: requestHeaders(target), body: STREAM_BODY, signal: AbortSignal.timeout(15_000) });
  const decoder = new TextDecoder();
  let ttfb = NaN;
  let head = "";
  /** @type {Uint8Array[]} */
  const chunks = [];
  for await (const chunk of res.body ?? []) {
    chunks.push(chunk);
    // Only the beginning is decoded while timing: the rest is read as bytes.
    if (!Number.isNaN(ttfb)) continue;
    head += decoder.decode(chunk, { stream: true });
    if (CONTENT_DELTA.test(head)) ttfb = performance.now() - start;
  }
  const total = performance.now() - start;
  const text = Buffer.concat(chunks).toString("utf8");
  const type = res.headers.get("content-type") ?? "";
  if (!res.ok || !type.startsWith("text/event-stream") || Number.isNaN(ttfb) || !streamEnded(text)) {
    throw new Error(`answered ${res.status} ${type}, not a whole chat stream: ${text.slice(0, 300)} ... ${text.slice(-200)}`);
  }
  return { ttfb, total, events: contentEvents(text) };
}

/**
 * CPU time (in ticks of 1/100 s) used by the whole machine, by this process with its
 * children (the workerd processes), and by the children alone (the servers under test: this
 * process runs the load generator and the mock). The whole machine minus ours is other
 * processes competing for the same cores, which skews even ratios measured in one run.
 * Undefined without Linux's /proc.
 * @returns {{ at: number, busy: number, ours: number, servers: number } | undefined}
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
    return { at: performance.now(), busy, ours, servers: ours - (ticks.get(process.pid) ?? 0) };
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
 * CPU the servers under test used per completed request, in microseconds: unlike requests
 * per second it barely moves when other processes compete for the cores, so it compares
 * two builds measured on a busy machine. Undefined without /proc or without requests.
 * @param {ReturnType<typeof cpuTicks>} before
 * @param {ReturnType<typeof cpuTicks>} after
 * @param {number} requests
 */
function serverCpuUs(before, after, requests) {
  if (before === undefined || after === undefined || requests === 0) return undefined;
  return ((after.servers - before.servers) * 10_000) / requests;
}

/**
 * @param {Running} target
 * @param {number} seconds
 * @param {number} connections
 * @param {Load} load
 * @param {boolean} [timed] false for a warm-up (never profiled)
 * @returns {Promise<Sample>}
 */
async function measure(target, seconds, connections, load, timed = true) {
  const before = cpuTicks();
  const run = () =>
    autocannon({
      url: target.url,
      method: "POST",
      headers: requestHeaders(target),
      body: load.body,
      verifyBody: load.verifyBody,
      connections,
      duration: seconds,
    });
  const result = /** @type {AutocannonResult} */ (timed && target.profile !== undefined ? await target.profile(run) : await run());
  const after = cpuTicks();
  const otherCpu = otherCpuPct(before, after);
  return {
    // Only successes count: an error page (or a cut stream) is cheaper than a real answer.
    rps: (result["2xx"] - result.mismatches) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.mismatches,
    otherCpu,
    serverCpuUs: serverCpuUs(before, after, result.requests.total),
  };
}

/** @type {Load} */
const PLAIN_LOAD = { body: BODY };
/** @type {Load} */
const STREAM_LOAD = { body: STREAM_BODY, verifyBody: streamEnded };

/**
 * The stream scenario for one target: `--sequential` streams one at a time (after a warm-up),
 * then the load; other processes' CPU is the worse of the two phases.
 * @param {Running} served
 * @param {ReturnType<typeof parseOptions>} options
 * @returns {Promise<StreamSample>}
 */
async function measureStream(served, options) {
  const before = cpuTicks();
  for (let i = 0; i < (options.warmup > 0 ? SEQUENTIAL_WARMUP : 0); i++) await fetchStream(served);
  /** @type {Array<Awaited<ReturnType<typeof fetchStream>>>} */
  const streams = [];
  for (let i = 0; i < options.sequential; i++) streams.push(await fetchStream(served));
  const sequentialCpu = otherCpuPct(before, cpuTicks());
  if (options.warmup > 0) await measure(served, options.warmup, options.connections, STREAM_LOAD, false);
  const load = await measure(served, options.duration, options.connections, STREAM_LOAD);
  const ttfbs = streams.map((s) => s.ttfb);
  return {
    ...load,
    otherCpu: load.otherCpu === undefined || sequentialCpu === undefined ? undefined : Math.max(load.otherCpu, sequentialCpu),
    ttfb: median(ttfbs),
    ttfbP90: quantile(ttfbs, 0.9),
    streamMs: median(streams.map((s) => s.total)),
    events: median(streams.map((s) => s.events)),
  };
}

/**
 * The `q` quantile of `values`, interpolated between the two nearest ranks.
 * @param {number[]} values @param {number} q
 */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = /** @type {number} */ (sorted[Math.floor(at)]);
  const high = /** @type {number} */ (sorted[Math.ceil(at)]);
  return low + (high - low) * (at - Math.floor(at));
}

/** @param {number[]} values */
const median = (values) => quantile(values, 0.5);

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
    serverCpuUs: samples.some((s) => s.serverCpuUs === undefined) ? undefined : median(samples.map((s) => s.serverCpuUs ?? 0)),
  };
}

/** @typedef {ReturnType<typeof combine>} Stats */

/**
 * `combine`, plus the medians over the rounds of the sequential streams' figures.
 * @param {StreamSample[]} samples
 */
function combineStream(samples) {
  /** @param {(s: StreamSample) => number} pick */
  const mid = (pick) => median(samples.map(pick));
  return { ...combine(samples), ttfb: mid((s) => s.ttfb), ttfbP90: mid((s) => s.ttfbP90), streamMs: mid((s) => s.streamMs), events: mid((s) => s.events) };
}

/** @typedef {ReturnType<typeof combineStream>} StreamStats */

/** The table cells every scenario ends its rows with. @param {Stats} s */
const healthCells = (s) => [
  s.serverCpuUs === undefined ? "-" : String(Math.round(s.serverCpuUs)),
  String(s.requests),
  String(s.non2xx),
  String(s.errors),
  s.otherCpu === undefined ? "-" : String(round(s.otherCpu, 1)),
];
const HEALTH_HEADERS = ["server CPU us/req", "requests", "non-2xx", "errors", "other CPU %"];

/**
 * Prints an aligned table under a line saying how it was measured: the first column (the
 * target) left-aligned, the figures right-aligned.
 * @param {string} caption
 * @param {string[][]} rows the header first
 */
function printRows(caption, rows) {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  const line = (/** @type {string[]} */ row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join("  ");
  console.log(`\n${caption}, loopback, ${os.availableParallelism()} cores`);
  console.log(line(rows[0] ?? []));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows.slice(1)) console.log(line(row));
}

/** @param {ReturnType<typeof parseOptions>} options */
const roundsNote = (options) => (options.rounds > 1 ? `, median of ${options.rounds} rounds` : "");

/** @param {boolean} met */
const verdict = (met) => (met ? "met" : "NOT met");

/**
 * @param {Target[]} targets
 * @param {Map<string, Stats>} stats
 * @param {{ raw: number, gzip: number }} bundle
 * @param {ReturnType<typeof parseOptions>} options
 */
function printTable(targets, stats, bundle, options) {
  const rows = [["target", "req/s", "p50 ms", "p99 ms", ...HEALTH_HEADERS]];
  for (const target of targets) {
    const s = /** @type {Stats} */ (stats.get(target.id));
    rows.push([target.label, String(Math.round(s.rps)), String(round(s.p50, 1)), String(round(s.p99, 1)), ...healthCells(s)]);
  }
  const gateway = options.limits === "on" ? "every stage on" : "every stage on but limits";
  printRows(`${options.connections} connections, ${options.duration} s per target${roundsNote(options)}, gateway with ${gateway}`, rows);
  console.log(`\n${ratios(stats).map(([id, ratio]) => `gateway / ${id}: ${ratio}`).join("   ")}`);
  for (const check of ratioChecks(stats)) console.log(`gateway / ${check.id} target >= ${check.target}: ${verdict(check.met)}`);
  console.log(`gateway bundle: ${bundle.raw} bytes, ${bundle.gzip} gzipped\n`);
}

/**
 * The stream scenario's figures, derived ones included. Per-event costs divide by the content
 * events of one stream as the upstream sends them (counted through `bare`).
 * @param {Map<string, StreamStats>} stats
 */
function streamFigures(stats) {
  const on = /** @type {StreamStats} */ (stats.get("gateway"));
  const off = /** @type {StreamStats} */ (stats.get("gateway_off"));
  const bare = /** @type {StreamStats} */ (stats.get("bare"));
  return {
    ttfbAdded: on.ttfb - off.ttfb,
    ratioVsOff: on.rps / off.rps,
    ratioVsBare: on.rps / bare.rps,
    events: bare.events,
    // Sequential wall time: the Worker's work on each event plus any waiting it adds.
    perEventWallUs: ((on.streamMs - off.streamMs) / bare.events) * 1000,
    // Under load one workerd thread is the bottleneck, so 1 / streams per second is roughly the
    // runtime time one stream costs: the difference is close to the scan's CPU per event.
    perEventLoadUs: (1e6 / on.rps - 1e6 / off.rps) / bare.events,
  };
}

/**
 * @param {Map<string, StreamStats>} stats
 * @param {ReturnType<typeof parseOptions>} options
 */
function printStreamTable(stats, options) {
  const rows = [["target", "TTFB p50 ms", "TTFB p90 ms", "stream ms", "events", "streams/s", "events/s", "load p50 ms", "load p99 ms", ...HEALTH_HEADERS]];
  const f = streamFigures(stats);
  for (const target of STREAM_TARGETS) {
    const s = /** @type {StreamStats} */ (stats.get(target.id));
    const figures = [round(s.ttfb, 2), round(s.ttfbP90, 2), round(s.streamMs, 2), s.events, round(s.rps, 1), Math.round(s.rps * f.events), s.p50, s.p99];
    rows.push([target.label, ...figures.map(String), ...healthCells(s)]);
  }
  const caption = `${options.sequential} sequential streams, then ${options.connections} connections for ${options.duration} s, per target${roundsNote(options)}`;
  printRows(caption, rows);
  console.log(`\ntime to first content byte added by output protection: ${round(f.ttfbAdded, 2)} ms (target < 2 ms: ${verdict(f.ttfbAdded < 2)})`);
  console.log(`streams/s, protection on / off: ${round(f.ratioVsOff, 3)} (target >= 0.9: ${verdict(f.ratioVsOff >= 0.9)}); on / bare: ${round(f.ratioVsBare, 3)}`);
  console.log(`per upstream event: ${round(f.perEventWallUs, 2)} us wall time (sequential), ${round(f.perEventLoadUs, 2)} us runtime time (under load)\n`);
}

/**
 * The stream scenario's JSON summary (docs/benchmarks.md, "Streaming").
 * @param {Map<string, StreamStats>} stats
 * @param {{ raw: number, gzip: number }} bundle
 * @param {ReturnType<typeof parseOptions>} options
 */
function summariseStream(stats, bundle, options) {
  const f = streamFigures(stats);
  /** @param {(s: StreamStats) => number} pick @param {number} digits */
  const perTarget = (pick, digits) => Object.fromEntries([...stats].map(([id, s]) => [id, round(pick(s), digits)]));
  return {
    scenario: "stream",
    ttfb_ms: perTarget((s) => s.ttfb, 2),
    ttfb_p90_ms: perTarget((s) => s.ttfbP90, 2),
    stream_ms: perTarget((s) => s.streamMs, 2),
    streams_per_s: perTarget((s) => s.rps, 1),
    events_per_s: perTarget((s) => s.rps * f.events, 0),
    events_per_stream: perTarget((s) => s.events, 0),
    load_p50_ms: perTarget((s) => s.p50, 1),
    load_p99_ms: perTarget((s) => s.p99, 1),
    ttfb_added_ms: round(f.ttfbAdded, 2),
    throughput_ratio_vs_off: round(f.ratioVsOff, 3),
    throughput_ratio_vs_bare: round(f.ratioVsBare, 3),
    per_event_wall_us: round(f.perEventWallUs, 2),
    per_event_load_us: round(f.perEventLoadUs, 2),
    sequential: options.sequential,
    ...runFacts(stats, bundle, options),
  };
}

/**
 * The mock LLM on a thread of its own, for the stream scenario. On the client's event loop the
 * mock writes each answer in bursts until the socket buffer is full (about 16 KB, 70 events)
 * before the client can read a byte, so the time to first byte would measure the mock.
 * @param {string} key the provider key it expects
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
async function startMockThread(key) {
  // CommonJS: an eval'd worker cannot be a module, so the mock is imported dynamically.
  const code = `const { workerData, parentPort } = require("node:worker_threads");
import(workerData.server).then(async ({ startMockServer }) => parentPort.postMessage((await startMockServer({ expectedKey: workerData.key })).url));`;
  const thread = new Worker(code, { eval: true, workerData: { server: new URL("../mock/server.mjs", import.meta.url).href, key } });
  const close = () => thread.terminate().then(() => {});
  try {
    const [url] = await once(thread, "message");
    return { url: String(url), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** @param {string} message */
const progress = (message) => process.stderr.write(`bench: ${message}\n`);

/**
 * Starts every target and checks each answers once; `cleanup` gets each one's close.
 * @param {Target[]} targets
 * @param {Array<Built | undefined>} built in `targets` order
 * @param {Upstream} upstream
 * @param {Array<() => Promise<void>>} cleanup
 * @param {(target: Running) => Promise<unknown>} check throws unless the target answered correctly
 * @returns {Promise<Running[]>}
 */
async function startTargets(targets, built, upstream, cleanup, check) {
  /** @type {Running[]} */
  const running = [];
  for (const [i, target] of targets.entries()) {
    progress(`starting ${target.label}`);
    let served;
    try {
      served = await target.start(built[i], upstream);
    } catch (err) {
      throw new Error(`${target.label} did not start: ${messageOf(err)}`);
    }
    cleanup.push(served.close);
    try {
      await check(served);
    } catch (err) {
      const logs = served.logs();
      throw new Error(`${target.label} ${messageOf(err)}${logs ? `\nruntime output:\n${logs}` : ""}`);
    }
    running.push(served);
  }
  return running;
}

/**
 * The plain scenario for one target: a warm-up, then the load.
 * @param {Running} served
 * @param {ReturnType<typeof parseOptions>} options
 */
async function measurePlain(served, options) {
  if (options.warmup > 0) await measure(served, options.warmup, options.connections, PLAIN_LOAD, false);
  return measure(served, options.duration, options.connections, PLAIN_LOAD);
}

/**
 * Measures the targets in turn, `rounds` times, so a slow phase of the machine hits all of
 * them rather than one; returns the samples per target id.
 * @template {Sample} S
 * @param {Target[]} targets
 * @param {Running[]} running in `targets` order
 * @param {number} rounds
 * @param {(served: Running) => Promise<S>} measureTarget
 * @param {(sample: S) => string} describe for the progress line
 */
async function runRounds(targets, running, rounds, measureTarget, describe) {
  /** @type {Map<string, S[]>} */
  const samples = new Map(targets.map((t) => [t.id, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const [i, target] of targets.entries()) {
      const sample = await measureTarget(/** @type {Running} */ (running[i]));
      samples.get(target.id)?.push(sample);
      progress(`round ${r}/${rounds} ${target.id}: ${describe(sample)}`);
    }
  }
  return samples;
}

/** @param {Sample} s */
const describePlain = (s) => `${Math.round(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms`;

/** @param {StreamSample} s */
const describeStream = (s) => `TTFB ${round(s.ttfb, 2)} ms (p90 ${round(s.ttfbP90, 2)}), stream ${round(s.streamMs, 2)} ms, ${round(s.rps, 1)} streams/s`;

/**
 * The warnings both scenarios print under their table.
 * @param {Map<string, Stats>} stats
 */
function warn(stats) {
  for (const [id, s] of stats) {
    if (failureShare(s) > ERROR_BUDGET) {
      console.log(`WARNING: ${id}: ${s.non2xx} non-2xx and ${s.errors} errors in ${s.requests} requests (over ${ERROR_BUDGET * 100}%); its numbers are not comparable`);
    }
  }
  const busiest = Math.max(...[...stats.values()].map((s) => s.otherCpu ?? 0));
  if (busiest > OTHER_CPU_BUDGET_PCT) {
    console.log(`WARNING: other processes used up to ${round(busiest, 1)}% of the CPU during measurement; rerun on a quiet machine before trusting the ratios`);
  }
}

/**
 * Table, warnings, then the JSON line, which must stay the last line of stdout.
 * @param {Target[]} targets
 * @param {Map<string, Stats>} stats
 * @param {{ raw: number, gzip: number }} bundle
 * @param {ReturnType<typeof parseOptions>} options
 * @param {Record<string, number>} stages CPU microseconds per request of each pure stage
 */
function report(targets, stats, bundle, options, stages) {
  printTable(targets, stats, bundle, options);
  warn(stats);
  console.log(`stage CPU (us/request): ${Object.entries(stages).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  // Which peer was measured: its numbers mean little without its version.
  const peer = options.peer ? { peer: `${PEER_PACKAGE}@${peerInstall().version}` } : {};
  console.log(JSON.stringify({ ...summarise(stats, bundle, options), ...peer, stage_us: stages }));
}

/**
 * The stream scenario's table, warnings and JSON line (the last line of stdout).
 * @param {Map<string, StreamStats>} stats
 * @param {{ raw: number, gzip: number }} bundle
 * @param {ReturnType<typeof parseOptions>} options
 */
function reportStream(stats, bundle, options) {
  printStreamTable(stats, options);
  warn(stats);
  console.log(JSON.stringify(summariseStream(stats, bundle, options)));
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  // Ctrl-C leaves through process.exit, as Miniflare's own signal handler does: its exit hook
  // stops workerd, the one below removes the build directory, the mock dies with the process.
  // Prepended because importing wrangler installs a SIGINT handler that exits with status 0.
  process.prependOnceListener("SIGINT", () => process.exit(130));
  process.prependOnceListener("SIGTERM", () => process.exit(143));
  if (PROFILE_DIR !== undefined) await mkdir(PROFILE_DIR, { recursive: true });
  const outdir = await mkdtemp(path.join(os.tmpdir(), "aigis-bench-"));
  process.once("exit", () => rmSync(outdir, { recursive: true, force: true }));
  const stream = options.scenario === "stream";
  const targets = stream ? STREAM_TARGETS : options.peer ? [...TARGETS, PEER_TARGET] : TARGETS;

  /** @type {Array<() => Promise<void>>} closed in reverse order once the run ends or fails */
  const cleanup = [];
  try {
    progress(`building ${configsOf(targets).join(", ")}`);
    const built = await buildAll(targets, outdir);
    const gatewayBundle = await readFile(/** @type {Built} */ (built[targets.findIndex((t) => t.id === "gateway")]).bundle);
    const bundle = { raw: gatewayBundle.length, gzip: gzipSync(gatewayBundle).length };

    const key = `sk-bench-${randomBytes(12).toString("hex")}`;
    const mock = stream ? await startMockThread(key) : await startMockServer({ expectedKey: key });
    cleanup.push(() => mock.close());

    const running = await startTargets(targets, built, { url: mock.url, key }, cleanup, stream ? fetchStream : checkAnswers);
    if (stream) {
      const samples = await runRounds(targets, running, options.rounds, (served) => measureStream(served, options), describeStream);
      reportStream(new Map([...samples].map(([id, list]) => [id, combineStream(list)])), bundle, options);
      return;
    }
    const samples = await runRounds(targets, running, options.rounds, (served) => measurePlain(served, options), describePlain);
    // Per-stage CPU, measured after the load so the two never compete for the cores.
    progress("measuring per-stage CPU (scripts/bench-stages.ts)");
    const { stageCosts } = await tsImport("./bench-stages.ts", import.meta.url);
    const stages = await stageCosts();
    report(targets, new Map([...samples].map(([id, list]) => [id, combine(list)])), bundle, options, stages);
  } finally {
    for (const close of cleanup.reverse()) await close().catch(() => {});
  }
}

main().catch((err) => {
  console.error(`bench: ${messageOf(err)}`);
  process.exitCode = 1;
});
