/**
 * `npm run simulate:extraction [-- --size 1 --only id,id --concurrency 3 --seed 1000]`
 *
 * Runs the extraction defence (issue 7) against attacker and benign clients, locally: the
 * gateway built as `npm run build` builds it, served by Miniflare, in front of the mock LLM
 * (mock-logit: a low-rank logit model, V = 8192, H = 64, that honours logit_bias, logprobs
 * and echo). Every scenario is its own API key, on a simulated clock (the gateway honours
 * `x-aigis-sim-now` only because this script sets its AIGIS_SIM_CLOCK binding).
 *
 * First, the baseline: the logit-bias sweep against the mock model directly, unthrottled,
 * must recover the hidden size, and needs over 100,000 queries to. Then each scenario runs
 * through the gateway with the default probing policy (only `slow_ms` is 0 in the gateway:
 * the simulated client is charged the default 3 s instead of waiting for real).
 *
 * Prints a table per scenario and, as its last line, the same as one JSON object. Exits 0
 * only when the targets hold (scripts/lib/extraction-sim.ts `verdict`).
 */
import { parseArgs } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { tsImport } from "tsx/esm/api";
import { createMockLlm } from "../mock/llm.mjs";
import { LOGIT_HIDDEN, LOGIT_VOCAB } from "../mock/logits.mjs";
import { startMockServer } from "../mock/server.mjs";
import { logitBiasSweep, queriesNeeded } from "./lib/carlini";
import { ATTACKS, BENIGN, HIDDEN, runScenario, SIM_RULES, SLOW_MS, TOP_K, VOCAB, verdict, type ScenarioResult, type Transport } from "./lib/extraction-sim";
import { build, serve } from "./lib/miniflare.mjs";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "1" },
    only: { type: "string", default: "" },
    concurrency: { type: "string", default: "3" },
    "skip-baseline": { type: "boolean", default: false },
    /** Base of the scenarios' random seeds: another value checks the targets are not one draw's luck. */
    seed: { type: "string", default: "1000" },
  },
});
const size = Number(values.size);
if (!(size > 0 && size <= 1)) throw new Error("--size must be in (0, 1]");
const only = values.only === "" ? null : new Set(values.only.split(","));
const concurrency = Math.max(1, Number(values.concurrency) | 0);
const seedBase = Number(values.seed);
if (!Number.isSafeInteger(seedBase)) throw new Error("--seed must be an integer");

const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** The sweep with nothing in the way: what the defence must prevent. */
async function baseline(): Promise<{ queries: number; hiddenEstimate: number | null; recovered: boolean; needed: number; ms: number }> {
  if (LOGIT_VOCAB !== VOCAB || LOGIT_HIDDEN !== HIDDEN) throw new Error("scripts/lib/extraction-sim.ts VOCAB/HIDDEN do not match mock/logits.mjs");
  const llm = createMockLlm();
  const started = Date.now();
  const result = await logitBiasSweep(
    async (prompt, bias) => {
      const res = await llm(new Request("http://mock/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "mock-logit", messages: [{ role: "user", content: prompt }], max_tokens: 1, logprobs: true, top_logprobs: TOP_K, logit_bias: bias }) }));
      const json = (await res.json()) as { choices: { logprobs: { content: { top_logprobs: { token: string; logprob: number }[] }[] } }[] };
      const top = json.choices[0]!.logprobs.content[0]!.top_logprobs.map((t) => ({ id: Number(/t(\d+)$/.exec(t.token)![1]), logprob: t.logprob }));
      return { top };
    },
    { vocab: VOCAB, topK: TOP_K, maxQueries: 400_000 },
  );
  return { queries: result.queries, hiddenEstimate: result.hiddenEstimate, recovered: result.recovered, needed: queriesNeeded(VOCAB, HIDDEN, TOP_K), ms: Date.now() - started };
}

async function main(): Promise<number> {
  let base: Awaited<ReturnType<typeof baseline>> | null = null;
  if (!values["skip-baseline"]) {
    log("baseline: the logit-bias sweep against mock-logit, unthrottled ...");
    base = await baseline();
    log(`baseline: hidden size ${base.hiddenEstimate} recovered=${base.recovered} after ${base.queries} queries (${(base.ms / 1000).toFixed(1)} s)`);
  }

  const upstreamKey = `sk-mock-${crypto.randomUUID()}`;
  const mock = await startMockServer({ expectedKey: upstreamKey });
  const outdir = await mkdtemp(path.join(os.tmpdir(), "aigis-sim-"));
  let served: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    log("building the gateway ...");
    const bundle = await build("wrangler.toml", outdir);
    const configured = (bundle.options.bindings?.AIGIS_CONFIG ?? {}) as Record<string, unknown>;
    served = await serve({ ...bundle, id: "gateway" }, {
      AIGIS_CONFIG: { ...configured, providers: [{ id: "mock", base_url: mock.url, key_secret: "MOCK_API_KEY", models: ["mock-gpt", "mock-logit", "mock-embed"] }] },
      MOCK_API_KEY: upstreamKey,
      AIGIS_PROBE_KEY: "simulator-probe-key-0123456789",
      AIGIS_AUDIT_KEY: "simulator-audit-key-0123456789abcdef",
      AIGIS_SIM_CLOCK: "header",
    });
    const kv = (await served.mf.getKVNamespace("CONFIG_KV")) as unknown as { put(key: string, value: string): Promise<void> };
    const format = (await tsImport("../src/auth/key-format.ts", import.meta.url)) as { generateApiKey: () => string };
    const keys = (await tsImport("../src/auth/api-keys.ts", import.meta.url)) as { sha256Hex: (t: string) => Promise<string>; keyStorageName: (h: string) => string };
    await kv.put("rules:current", JSON.stringify(SIM_RULES));
    const base_url = new URL(served.url).origin;
    const transport: Transport = (p, body, headers) => fetch(`${base_url}${p}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

    const scenarios = [...ATTACKS, ...BENIGN].filter((s) => only === null || only.has(s.id));
    const results: ScenarioResult[] = new Array(scenarios.length);
    let next = 0;
    const worker = async () => {
      while (next < scenarios.length) {
        const i = next++;
        const s = scenarios[i]!;
        const key = format.generateApiKey();
        await kv.put(keys.keyStorageName(await keys.sha256Hex(key)), JSON.stringify({ client_id: `sim-${s.id}`, tenant: "sim", name: s.id, plan: "default", scopes: ["chat"], created: "2026-01-01T00:00:00Z" }));
        const started = Date.now();
        results[i] = await runScenario(s, transport, key, { size, seed: seedBase + i, start: T0, slowMs: SLOW_MS });
        log(`${s.id}: ${results[i]!.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    const v = verdict(results);
    const baselineOk = base === null || (base.recovered && base.hiddenEstimate === HIDDEN && base.queries > 100_000);
    if (!baselineOk) v.failures.push("baseline: the unthrottled sweep did not recover the hidden size with > 100,000 queries");
    printTables(results, base);
    const summary = { ok: v.ok && baselineOk, size, seed: seedBase, baseline: base, benign: { requests: v.benignRequests, throttled: v.benignThrottled, denied: v.benignDenied, share: v.benignRequests === 0 ? 0 : v.benignThrottled / v.benignRequests }, failures: v.failures, scenarios: results };
    if (v.failures.length > 0) log(`targets missed:\n  ${v.failures.join("\n  ")}`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.ok ? 0 : 1;
  } finally {
    await served?.close();
    await mock.close();
    await rm(outdir, { recursive: true, force: true });
  }
}

const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(x > 0 && x < 0.001 ? 4 : 2)}%`);

function printTables(results: readonly ScenarioResult[], base: Awaited<ReturnType<typeof baseline>> | null): void {
  const out: string[] = [];
  if (base !== null) out.push(`Unthrottled logit-bias sweep (in process): hidden size ${base.hiddenEstimate ?? "none"} recovered after ${base.queries.toLocaleString("en")} queries (planned ${base.needed.toLocaleString("en")}).`, "");
  out.push("| attack | queries needed | 1% of that | queries to first degrade (or worse) | to first deny | goal reached by first degrade | by first deny | at end | recovered hidden size | requests sent | simulated hours |");
  out.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results.filter((x) => x.kind === "attack")) {
    out.push(`| ${r.id} | ${r.needed!.toLocaleString("en")} | ${Math.floor(r.needed! / 100).toLocaleString("en")} | ${r.firstThrottle ?? "never"} | ${r.firstDeny ?? "never"} | ${pct(r.goalAtThrottle)} | ${pct(r.goalAtDeny)} | ${pct(r.goalAtEnd)} | ${r.hiddenEstimate === undefined ? "-" : (r.hiddenEstimate ?? "none")} | ${r.requests} | ${r.simulatedHours.toFixed(1)} |`);
  }
  out.push("", "| benign workload | requests | degraded | slowed | denied | throttled share | simulated hours |", "|---|---|---|---|---|---|---|");
  for (const r of results.filter((x) => x.kind === "benign")) {
    out.push(`| ${r.id} | ${r.requests} | ${r.actions.degrade} | ${r.actions.slow} | ${r.actions.deny} | ${pct(r.throttledShare)} | ${r.simulatedHours.toFixed(1)} |`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`simulate:extraction: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
