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

  it("hosted tools: every type allowed by default except remote MCP servers and unlisted vector stores", () => {
    const fn = { type: "function", name: "lookup" };
    expect(applyParamPolicy("responses", { model: "m", input: "x", tools: [fn, { type: "web_search" }, { type: "code_interpreter", container: { type: "auto" } }] }, defaults).changes).toEqual([]);
    const mcp = { type: "mcp", server_label: "docs", server_url: "https://mcp.example.com/sse" };
    expect(() => applyParamPolicy("responses", { model: "m", input: "x", tools: [fn, mcp] }, defaults)).toThrowError(
      expect.objectContaining({ code: "parameter_not_allowed", param: "tools[1].server_url" }),
    );
    const search = { type: "file_search", vector_store_ids: ["vs_public", "vs_other_client"] };
    expect(() => applyParamPolicy("responses", { model: "m", input: "x", tools: [search] }, defaults)).toThrowError(expect.objectContaining({ param: "tools[0].vector_store_ids[0]" }));
    const listed = ParamPolicySchema.parse({ vector_stores: ["vs_public"] });
    expect(() => applyParamPolicy("responses", { model: "m", input: "x", tools: [search] }, listed)).toThrowError(expect.objectContaining({ param: "tools[0].vector_store_ids[1]" }));
    expect(applyParamPolicy("responses", { model: "m", input: "x", tools: [{ ...search, vector_store_ids: ["vs_public"] }] }, listed).changes).toEqual([]);
  });

  it("mcp servers: listed https hosts and connectors only; http, other hosts and look-alike suffixes refused", () => {
    const p = ParamPolicySchema.parse({ mcp_servers: ["mcp.example.com", "*.tools.example.org", "connector:connector_gmail"] });
    const body = (tool: Record<string, unknown>) => ({ model: "m", input: "x", tools: [{ type: "mcp", server_label: "s", ...tool }] });
    for (const ok of [{ server_url: "https://mcp.example.com/sse" }, { server_url: "https://a.tools.example.org/mcp" }, { connector_id: "connector_gmail" }]) {
      expect(applyParamPolicy("responses", body(ok), p).changes).toEqual([]);
    }
    for (const [tool, param] of [
      [{ server_url: "http://mcp.example.com/sse" }, "tools[0].server_url"],
      [{ server_url: "https://mcp.example.com.evil.test/sse" }, "tools[0].server_url"],
      [{ server_url: "https://eviltools.example.org/" }, "tools[0].server_url"],
      [{ server_url: "https://tools.example.org/" }, "tools[0].server_url"],
      [{ server_url: "not a url" }, "tools[0].server_url"],
      [{}, "tools[0].server_url"],
      [{ connector_id: "connector_dropbox" }, "tools[0].connector_id"],
    ] as const) {
      expect(() => applyParamPolicy("responses", body(tool), p), JSON.stringify(tool)).toThrowError(expect.objectContaining({ param }));
    }
  });

  it("tool_types narrows hosted tools, exact or prefix*; chat web_search_options counts as web_search", () => {
    const p = ParamPolicySchema.parse({ tool_types: ["function", "custom", "web_search*"] });
    expect(applyParamPolicy("responses", { model: "m", input: "x", tools: [{ type: "web_search_preview" }, { type: "function", name: "f" }] }, p).changes).toEqual([]);
    expect(() => applyParamPolicy("responses", { model: "m", input: "x", tools: [{ type: "function", name: "f" }, { type: "shell" }] }, p)).toThrowError(expect.objectContaining({ param: "tools[1]" }));
    const fnOnly = ParamPolicySchema.parse({ tool_types: ["function"] });
    expect(() => applyParamPolicy("chat", { model: "m", messages: [], web_search_options: {} }, fnOnly)).toThrowError(expect.objectContaining({ param: "web_search_options" }));
    expect(applyParamPolicy("chat", { model: "m", messages: [], web_search_options: {} }, p).changes).toEqual([]);
  });

  it("store: allowed by default, forced off or refused by a plan", () => {
    expect(applyParamPolicy("chat", { model: "m", messages: [], store: true }, defaults).changes).toEqual([]);
    const off = ParamPolicySchema.parse({ store: "off" });
    for (const store of [true, undefined, null]) {
      const out = applyParamPolicy("responses", { model: "m", input: "x", ...(store === undefined ? {} : { store }) }, off);
      expect(out.body.store).toBe(false);
      expect(out.changes).toEqual(["set:store"]);
    }
    expect(applyParamPolicy("chat", { model: "m", messages: [], store: false }, off).changes).toEqual([]);
    expect(applyParamPolicy("embeddings", { model: "m", input: "x" }, off).body).not.toHaveProperty("store");
    const reject = ParamPolicySchema.parse({ store: "reject" });
    expect(() => applyParamPolicy("chat", { model: "m", messages: [], store: true }, reject)).toThrowError(expect.objectContaining({ param: "store" }));
    expect(applyParamPolicy("responses", { model: "m", input: "x" }, reject).changes).toEqual([]);
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

  it("store off reaches the provider as store: false; a remote MCP server is refused, and only recorded in shadow mode", async () => {
    await env.CONFIG_KV.put(
      RULES_KEY,
      JSON.stringify({ ...RULES, plans: { ...RULES.plans, nostore: { models: ["mock-*"], params: { store: "off" } }, watch: { models: ["mock-*"], mode: { policy: "shadow" } } } }),
    );
    resetRulesCache();
    const nostore = await seedKey(testKey("nostorekey"), { plan: "nostore" });
    const res = await chat("x", { model: "mock-echo-request", store: true }, { key: nostore });
    expect(res.status).toBe(200);
    const seen = JSON.parse(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content) as { body: Record<string, unknown> };
    expect(seen.body.store).toBe(false);

    const tools = [{ type: "mcp", server_label: "x", server_url: "https://mcp.attacker.test/sse", require_approval: "never" }];
    const refused = await post("/v1/responses", { model: "mock-gpt", input: "hi", tools });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ code: "parameter_not_allowed", param: "tools[0].server_url" });
    const watch = await seedKey(testKey("watchplankey"), { plan: "watch" });
    expect((await post("/v1/responses", { model: "mock-gpt", input: "hi", tools }, { key: watch })).status).toBe(200);
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
