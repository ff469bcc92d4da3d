import { env, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyParamPolicy } from "../src/policy/params";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { ParamPolicySchema } from "../src/rules/schema";
import { chat, DEMO_KEY, errorOf, post, seedKey, testKey } from "./helpers";

const defaults = ParamPolicySchema.parse({});

describe("parameter policy (pure)", () => {
  it("default: logprobs stripped when logit_bias comes with them", () => {
    const out = applyParamPolicy("chat", { model: "m", logit_bias: { "50256": -100 }, logprobs: true, top_logprobs: 3 }, defaults);
    expect(out.body).toEqual({ model: "m", logit_bias: { "50256": -100 } });
    expect(out.logprobsStripped).toBe(true);
  });

  it("default: legacy completions integer logprobs stripped with logit_bias too", () => {
    const out = applyParamPolicy("completions", { model: "m", prompt: "p", logit_bias: { "1": 5 }, logprobs: 5 }, defaults);
    expect(out.body).not.toHaveProperty("logprobs");
  });

  it("a plan may allow both together", () => {
    const p = ParamPolicySchema.parse({ logit_bias_with_logprobs: "allow" });
    const input = { model: "m", logit_bias: { "1": 1 }, logprobs: true, top_logprobs: 2 };
    expect(applyParamPolicy("chat", input, p).body).toEqual(input);
  });

  it("top_logprobs is capped by default", () => {
    const out = applyParamPolicy("chat", { model: "m", logprobs: true, top_logprobs: 20 }, defaults);
    expect(out.body.top_logprobs).toBe(5);
    expect(out.changes).toContain("clamp:top_logprobs");
  });

  it("output caps clamp every max-tokens field; n over the cap is rejected with param", () => {
    const out = applyParamPolicy("chat", { model: "m", max_tokens: 1e6, max_completion_tokens: 1e6 }, defaults);
    expect(out.body.max_tokens).toBe(16_384);
    expect(out.body.max_completion_tokens).toBe(16_384);
    expect(() => applyParamPolicy("chat", { model: "m", n: 50 }, defaults)).toThrowError(expect.objectContaining({ code: "parameter_not_allowed", param: "n" }));
  });

  it("echo rejected by default; tools stripped on request together with tool_choice", () => {
    expect(() => applyParamPolicy("completions", { model: "m", prompt: "p", echo: true }, defaults)).toThrowError(expect.objectContaining({ param: "echo" }));
    const p = ParamPolicySchema.parse({ tools: "strip" });
    const out = applyParamPolicy("chat", { model: "m", tools: [{ type: "function", function: { name: "f" } }], tool_choice: "auto" }, p);
    expect(out.body).toEqual({ model: "m" });
  });

  it("token-id arrays rejected by default, allowed by a plan", () => {
    expect(() => applyParamPolicy("embeddings", { model: "m", input: [1, 2, 3] }, defaults)).toThrowError(expect.objectContaining({ param: "input" }));
    expect(() => applyParamPolicy("completions", { model: "m", prompt: [[1, 2]] }, defaults)).toThrowError(expect.objectContaining({ param: "prompt" }));
    expect(applyParamPolicy("embeddings", { model: "m", input: ["text"] }, defaults).changes).toEqual([]);
    expect(applyParamPolicy("embeddings", { model: "m", input: [1, 2] }, ParamPolicySchema.parse({ token_arrays: "allow" })).changes).toEqual([]);
  });

  it("temperature clamp or reject; stream reject", () => {
    const p = ParamPolicySchema.parse({ temperature: { max: 1 }, stream: "reject" });
    expect(applyParamPolicy("chat", { model: "m", temperature: 1.7 }, p).body.temperature).toBe(1);
    expect(() => applyParamPolicy("chat", { model: "m", stream: true }, p)).toThrowError(expect.objectContaining({ param: "stream" }));
  });

  it("an unchanged body is returned as is", () => {
    const input = { model: "m", messages: [] };
    expect(applyParamPolicy("chat", input, defaults).body).toBe(input);
  });
});

const RULES = {
  schema_version: 1,
  version: "policy-test",
  plans: {
    default: { models: ["mock-*"] },
    small: { models: ["mock-gpt-mini"], routes: ["chat", "models"], params: { logit_bias_with_logprobs: "reject" } },
  },
  tenants: { "tenant-b": { models: ["mock-gpt"] } },
};

describe("authorisation through the gateway", () => {
  beforeEach(async () => {
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify(RULES));
    resetRulesCache();
    await seedKey();
  });
  afterEach(async () => {
    await env.CONFIG_KV.delete(RULES_KEY);
    resetRulesCache();
  });

  it("a model outside the plan: 403 model_not_allowed with param", async () => {
    const res = await chat("x", { model: "azure-gpt" });
    expect(res.status).toBe(403);
    const err = await errorOf(res);
    expect(err.code).toBe("model_not_allowed");
    expect(err.param).toBe("model");
    expect(err.type).toBe("permission_error");
  });

  it("/v1/models lists exactly the models the client may use", async () => {
    const key = await seedKey(testKey("smallplankey"), { plan: "small" });
    const res = await SELF.fetch("https://gateway.test/v1/models", { headers: { authorization: `Bearer ${key}` } });
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(["mock-gpt-mini"]);
  });

  it("routes outside the plan: 403 route_not_allowed", async () => {
    const key = await seedKey(testKey("smallplankey"), { plan: "small" });
    const res = await post("/v1/embeddings", { model: "mock-gpt-mini", input: "x" }, { key });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("route_not_allowed");
  });

  it("tenants are isolated: tenant-b reaches only its models, tenant-a is unaffected", async () => {
    const b = await seedKey(testKey("tenantbkey"), { client_id: "client-b", tenant: "tenant-b" });
    expect((await chat("x", { model: "mock-gpt-mini" }, { key: b })).status).toBe(403);
    expect((await chat("x", { model: "mock-gpt" }, { key: b })).status).toBe(200);
    expect((await chat("x", { model: "mock-gpt-mini" }, { key: DEMO_KEY })).status).toBe(200);
  });

  it("a key's own model list narrows its plan", async () => {
    const k = await seedKey(testKey("narrowkey"), { models: ["mock-gpt"] });
    expect((await chat("x", { model: "mock-gpt-mini" }, { key: k })).status).toBe(403);
  });

  it("logit_bias with logprobs: stripped with a header by default, rejected by a stricter plan", async () => {
    const res = await chat("x", { model: "mock-echo-request", logit_bias: { "42": 10 }, logprobs: true, top_logprobs: 2 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigis-logprobs-stripped")).toBe("logit_bias");
    const seen = JSON.parse(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content) as { body: Record<string, unknown> };
    expect(seen.body.logprobs).toBeUndefined();
    expect(seen.body.logit_bias).toEqual({ "42": 10 });

    const small = await seedKey(testKey("smallplankey"), { plan: "small" });
    const rej = await chat("x", { model: "mock-gpt-mini", logit_bias: { "42": 10 }, logprobs: true }, { key: small });
    expect(rej.status).toBe(403);
    expect((await errorOf(rej)).param).toBe("logit_bias");
  });

  it("admin endpoints need the admin scope", async () => {
    const normal = await SELF.fetch("https://gateway.test/admin/v1/rules", { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expect(normal.status).toBe(403);
    expect((await errorOf(normal)).code).toBe("insufficient_scope");
    const admin = await seedKey(testKey("adminkey"), { scopes: ["admin"] });
    const ok = await SELF.fetch("https://gateway.test/admin/v1/rules", { headers: { authorization: `Bearer ${admin}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { version: string }).version).toBe("policy-test");
    const anon = await SELF.fetch("https://gateway.test/admin/v1/rules");
    expect(anon.status).toBe(401);
  });
});
