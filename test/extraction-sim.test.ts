/**
 * The short version of `npm run simulate:extraction` (issue 7): a subset of its attackers and
 * benign clients, at a fraction of their size, through the whole gateway in workerd, with
 * the simulator's rules and targets. The simulated clock needs the AIGIS_SIM_CLOCK binding,
 * which only this test's env carries (test/extraction.test.ts checks it is ignored without).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { ATTACKS, BENIGN, HIDDEN, runScenario, SIM_RULES, SLOW_MS, verdict, type Scenario, type ScenarioResult, type Transport } from "../scripts/lib/extraction-sim";
import { seedKey, testKey } from "./helpers";

const simEnv = { ...env, AIGIS_SIM_CLOCK: "header" };

const transport: Transport = async (path, body, headers) => {
  const ctx = createExecutionContext();
  const res = await app.request(`https://gateway.test${path}`, { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": "2001:db8::5", ...headers }, body: JSON.stringify(body) }, simEnv, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return new Response(text, { status: res.status, headers: res.headers });
};

const pick = (list: Scenario[], ids: string[]) => ids.map((id) => list.find((s) => s.id === id)!);
const SHORT: [Scenario, number][] = [
  ...pick(ATTACKS, ["sweep-logprobs", "prada-perturbation", "membership-neighbours", "prompt-extraction", "embedding-inversion"]).map((s): [Scenario, number] => [s, 0.1]),
  ...pick(BENIGN, ["templated-batch", "eval-harness", "rag-repeated-chunks", "coding-agent", "retries"]).map((s): [Scenario, number] => [s, 0.1]),
];

describe("extraction simulator, short version", () => {
  const results: ScenarioResult[] = [];

  beforeAll(async () => {
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify(SIM_RULES));
    resetRulesCache();
    for (const [i, [s, size]] of SHORT.entries()) {
      const key = await seedKey(testKey(`sim${s.id.replace(/-/g, "")}${crypto.randomUUID().slice(0, 8)}`), { client_id: `sim-${s.id}-${crypto.randomUUID()}` });
      results.push(await runScenario(s, transport, key, { size, seed: 500 + i, start: Date.UTC(2026, 0, 5, 9), slowMs: SLOW_MS }));
    }
  }, 120_000);

  afterAll(async () => {
    await env.CONFIG_KV.delete(RULES_KEY);
    resetRulesCache();
  });

  it("throttles every attack before 1% of the queries it needs; the sweep recovers nothing", () => {
    for (const r of results.filter((x) => x.kind === "attack")) {
      expect(r.errors, r.id).toEqual([]);
      expect(r.firstThrottle, r.id).not.toBeNull();
      expect(r.firstThrottle!, r.id).toBeLessThanOrEqual(0.01 * r.needed!);
    }
    const sweep = results.find((r) => r.id === "sweep-logprobs")!;
    expect(sweep.hiddenEstimate).not.toBe(HIDDEN);
    expect(sweep.goalAtEnd).toBe(0);
  });

  it("leaves the benign clients alone: nothing throttled, nothing denied", () => {
    const benign = results.filter((x) => x.kind === "benign");
    expect(benign.reduce((n, r) => n + r.requests, 0)).toBeGreaterThan(600);
    for (const r of benign) {
      expect(r.errors, r.id).toEqual([]);
      expect(r.actions, r.id).toMatchObject({ degrade: 0, slow: 0, deny: 0 });
    }
    expect(verdict(results).ok).toBe(true);
  });
});
