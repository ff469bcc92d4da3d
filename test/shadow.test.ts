/**
 * Every rule that can block can run in shadow mode: the refusal is recorded (analytics
 * decision "shadow" and a `shadow.<code>` rule id) and the request goes on unchanged.
 */
import { describe, expect, it } from "vitest";
import { chat, perTestClient } from "./helpers";

const t = perTestClient("s");
const rules = (plan: Record<string, unknown>) => t.rules({ version: "shadow-test", plans: { default: plan } });
const lastPoint = () => t.lastPoint();

describe("shadow mode", () => {
  it("policy: a forbidden model and a rejected parameter pass, recorded as shadow", async () => {
    await rules({ models: ["mock-gpt-mini"], params: { n: { max: 1 } }, mode: { policy: "shadow" } });
    const res = await chat("x", { model: "mock-gpt", n: 2 }, { key: t.key() });
    expect(res.status).toBe(200);
    await res.text();
    const p = await lastPoint();
    expect(p.blobs?.[3]).toBe("shadow");
    expect(p.blobs?.[5]).toContain("shadow.model_not_allowed:model");
    expect(p.blobs?.[5]).toContain("shadow.parameter_not_allowed:n");
  });

  it("policy: strips and clamps are recorded, not applied", async () => {
    await rules({ params: { max_output_tokens: { max: 2 } }, mode: { policy: "shadow" } });
    const res = await chat("one two three four five", { max_tokens: 50 }, { key: t.key() });
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe("one two three four five");
    expect((await lastPoint()).blobs?.[5]).toContain("shadow.policy.clamp:max_tokens");
  });

  it("limits: over the limit the request still passes, recorded as shadow", async () => {
    await rules({ limits: { requests_per_minute: 1 }, mode: { limits: "shadow" } });
    expect((await chat("x", {}, { key: t.key() })).status).toBe(200);
    t.points.length = 0;
    const second = await chat("x", {}, { key: t.key() });
    expect(second.status).toBe(200);
    await second.text();
    const p = await lastPoint();
    expect(p.blobs?.[3]).toBe("shadow");
    expect(p.blobs?.[5]).toContain("shadow.rate_limited");
  });

  it("enforce is the default", async () => {
    await rules({ limits: { requests_per_minute: 1 } });
    expect((await chat("x", {}, { key: t.key() })).status).toBe(200);
    expect((await chat("x", {}, { key: t.key() })).status).toBe(429);
  });
});
