/**
 * Every rule that can block can run in shadow mode: the refusal is recorded (analytics
 * decision "shadow" and a `shadow.<code>` rule id) and the request goes on unchanged.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { chat, seedKey, testKey } from "./helpers";

let points: AnalyticsEngineDataPoint[] = [];
let key = "";

beforeEach(async () => {
  const client = `s${crypto.randomUUID().replace(/-/g, "")}`;
  key = await seedKey(testKey(client), { client_id: client });
  points = [];
  vi.spyOn(env.ANALYTICS, "writeDataPoint").mockImplementation((p) => {
    if (p !== undefined) points.push(p);
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
});

async function rules(plan: Record<string, unknown>): Promise<void> {
  await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "shadow-test", plans: { default: plan } }));
  resetRulesCache();
}

async function lastPoint(): Promise<AnalyticsEngineDataPoint> {
  for (let i = 0; i < 100 && points.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return points.at(-1)!;
}

describe("shadow mode", () => {
  it("policy: a forbidden model and a rejected parameter pass, recorded as shadow", async () => {
    await rules({ models: ["mock-gpt-mini"], params: { n: { max: 1 } }, mode: { policy: "shadow" } });
    const res = await chat("x", { model: "mock-gpt", n: 2 }, { key });
    expect(res.status).toBe(200);
    await res.text();
    const p = await lastPoint();
    expect(p.blobs?.[3]).toBe("shadow");
    expect(p.blobs?.[5]).toContain("shadow.model_not_allowed:model");
    expect(p.blobs?.[5]).toContain("shadow.parameter_not_allowed:n");
  });

  it("policy: strips and clamps are recorded, not applied", async () => {
    await rules({ params: { max_output_tokens: { max: 2 } }, mode: { policy: "shadow" } });
    const res = await chat("one two three four five", { max_tokens: 50 }, { key });
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe("one two three four five");
    expect((await lastPoint()).blobs?.[5]).toContain("shadow.policy.clamp:max_tokens");
  });

  it("limits: over the limit the request still passes, recorded as shadow", async () => {
    await rules({ limits: { requests_per_minute: 1 }, mode: { limits: "shadow" } });
    expect((await chat("x", {}, { key })).status).toBe(200);
    points = [];
    const second = await chat("x", {}, { key });
    expect(second.status).toBe(200);
    await second.text();
    const p = await lastPoint();
    expect(p.blobs?.[3]).toBe("shadow");
    expect(p.blobs?.[5]).toContain("shadow.rate_limited");
  });

  it("enforce is the default", async () => {
    await rules({ limits: { requests_per_minute: 1 } });
    expect((await chat("x", {}, { key })).status).toBe(200);
    expect((await chat("x", {}, { key })).status).toBe(429);
  });
});
