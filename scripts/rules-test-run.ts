/**
 * The gateways behind `npm run rules -- test`: the Worker built as `npm run build` builds
 * it, served twice by Miniflare (A and B, each with its own in-memory KV and Durable
 * Objects) in front of one mock LLM (mock/server.mjs). Each gateway gets its rules document
 * at `rules:current` (none for the bundled defaults) and one API key per plan before its
 * first request, so the 15 s rules cache never holds another document.
 *
 * Every sample goes to both gateways at once; the samples go one after another, in file
 * order, so per-client state (limits, the probing score) evolves alike on both sides.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startMockServer } from "../mock/server.mjs";
import { generateApiKey } from "../src/auth/key-format";
import { keyStorageName, sha256Hex } from "../src/auth/api-keys";
import { RULES_KEY } from "../src/rules/store";
import { CliError } from "./lib/rules-cli";
import { compareOutcomes, outcomeOf, type Outcome, type Sample, type SampleResult } from "./lib/rules-test";
import { build, messageOf, serve } from "./lib/miniflare.mjs";

/** What the echo model is called (mock/llm.mjs): its answer is the request the provider got. */
export const ECHO_MODEL = "mock-echo-request";
const TENANT = "rules-test";

/** A document for one gateway: its exact text, or undefined for the bundled defaults. */
export interface GatewayRules {
  text: string | undefined;
}

type Served = Awaited<ReturnType<typeof serve>>;
interface Gateway {
  served: Served;
  origin: string;
}

async function send(g: Gateway, sample: Sample, key: string): Promise<Outcome> {
  const res = await fetch(`${g.origin}${sample.path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(sample.body),
  });
  const text = await res.text();
  return outcomeOf(res.status, res.headers, text, sample.body.model === ECHO_MODEL && sample.body.stream !== true);
}

/**
 * Runs every sample through gateway A (`a`) and gateway B (`b`). Throws `CliError` when the
 * build or a gateway fails to start. `log` gets progress lines (stderr).
 */
export async function runRulesTest(a: GatewayRules, b: GatewayRules, samples: readonly Sample[], log: (line: string) => void): Promise<SampleResult[]> {
  const upstreamKey = `sk-mock-${crypto.randomUUID()}`;
  const mock = await startMockServer({ expectedKey: upstreamKey });
  const outdir = await mkdtemp(path.join(os.tmpdir(), "aigis-rules-test-"));
  const gateways: Gateway[] = [];
  try {
    log("building the gateway ...");
    const started = Date.now();
    let bundle: Awaited<ReturnType<typeof build>>;
    try {
      bundle = await build("wrangler.toml", outdir);
    } catch (err) {
      throw new CliError(`the gateway did not build: ${messageOf(err)}`);
    }
    const configured = (bundle.options.bindings?.AIGIS_CONFIG ?? {}) as Record<string, unknown>;
    const bindings = {
      // The deployment's settings with the mock as the only provider (no tier 2: none is configured).
      AIGIS_CONFIG: { ...configured, providers: [{ id: "mock", base_url: mock.url, key_secret: "MOCK_API_KEY", models: ["mock-*"] }] },
      MOCK_API_KEY: upstreamKey,
      AIGIS_PROBE_KEY: `rules-test-probe-key-${crypto.randomUUID()}`,
      AIGIS_AUDIT_KEY: `rules-test-audit-key-${crypto.randomUUID()}`,
    };
    const plans = [...new Set(samples.map((s) => s.plan))].sort();
    const keys = new Map(plans.map((p) => [p, generateApiKey()]));
    for (const [name, rules] of [
      ["a", a],
      ["b", b],
    ] as const) {
      let served: Served;
      try {
        served = await serve({ ...bundle, id: `rules-test-${name}` }, bindings);
      } catch (err) {
        throw new CliError(`gateway ${name.toUpperCase()} did not start: ${messageOf(err)}`);
      }
      gateways.push({ served, origin: new URL(served.url).origin });
      const kv = (await served.mf.getKVNamespace("CONFIG_KV")) as unknown as { put(key: string, value: string): Promise<void> };
      if (rules.text !== undefined) await kv.put(RULES_KEY, rules.text);
      for (const [plan, key] of keys) {
        const record = { client_id: `rules-test-${plan}`, tenant: TENANT, name: `npm run rules -- test (${plan})`, plan, scopes: ["chat"], created: new Date().toISOString() };
        await kv.put(keyStorageName(await sha256Hex(key)), JSON.stringify(record));
      }
    }
    log(`gateways ready in ${((Date.now() - started) / 1000).toFixed(1)} s; sending ${samples.length} sample(s) ...`);
    const [ga, gb] = gateways as [Gateway, Gateway];
    const results: SampleResult[] = [];
    for (const s of samples) {
      const key = keys.get(s.plan) as string;
      let outcomes: [Outcome, Outcome];
      try {
        outcomes = await Promise.all([send(ga, s, key), send(gb, s, key)]);
      } catch (err) {
        throw new CliError(`sample ${s.id} (line ${s.line}): no answer from a gateway: ${messageOf(err)}\nA:\n${ga.served.logs()}\nB:\n${gb.served.logs()}`);
      }
      const [oa, ob] = outcomes;
      results.push({ id: s.id, line: s.line, path: s.path, plan: s.plan, a: oa, b: ob, diff: compareOutcomes(oa, ob) });
    }
    return results;
  } finally {
    for (const g of gateways) await g.served.close().catch(() => {});
    await mock.close();
    await rm(outdir, { recursive: true, force: true });
  }
}
