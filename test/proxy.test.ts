import { SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { TEST_SECRETS } from "./config";
import { chat, DEMO_KEY, errorOf, post, seedKey, testKey } from "./helpers";

beforeEach(async () => {
  await seedKey();
});

interface ChatCompletion {
  object: string;
  model: string;
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe("proxying every route", () => {
  it("chat completions: forwards the request and returns the provider's answer", async () => {
    const res = await chat("hello gateway");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
    const body = (await res.json()) as ChatCompletion;
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]?.message.content).toBe("hello gateway");
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it("responses: plain", async () => {
    const res = await post("/v1/responses", { model: "mock-gpt", input: "echo me back" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; output: { content: { text: string }[] }[] };
    expect(body.object).toBe("response");
    expect(body.output[0]?.content[0]?.text).toBe("echo me back");
  });

  it("embeddings", async () => {
    const res = await post("/v1/embeddings", { model: "mock-embed", input: ["a", "b"] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { embedding: number[] }[] };
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(2);
    expect(body.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it("legacy completions", async () => {
    const res = await post("/v1/completions", { model: "mock-instruct", prompt: "say this" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; choices: { text: string }[] };
    expect(body.object).toBe("text_completion");
    expect(body.choices[0]?.text).toContain("say this");
  });

  it("models: lists the configured models, not the provider's account", async () => {
    const res = await SELF.fetch("https://gateway.test/v1/models", { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe("list");
    const ids = body.data.map((m) => m.id);
    expect(ids).toContain("mock-gpt");
    expect(ids).toContain("azure-gpt");
    expect(ids.some((id) => id.endsWith("*"))).toBe(false);
  });

  it("healthz answers without credentials", async () => {
    const res = await SELF.fetch("https://gateway.test/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("Azure-style provider: api-key header and api-version query", async () => {
    const res = await post("/v1/chat/completions", { model: "azure-gpt", messages: [{ role: "user", content: "via azure" }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatCompletion;
    expect(body.choices[0]?.message.content).toBe("via azure");
  });
});

describe("credentials and headers crossing the gateway", () => {
  it("the client's key never reaches the provider; the provider key is added", async () => {
    const res = await chat("x", { model: "mock-echo-headers" }, { headers: { "x-api-key": "other", cookie: "session=1", "openai-organization": "org-client", "x-forwarded-for": "1.2.3.4" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatCompletion;
    const seen = body.choices[0]?.message.content ?? "";
    expect(seen).not.toContain(DEMO_KEY);
    expect(seen).not.toContain("session=1");
    expect(seen).not.toContain("org-client");
    expect(seen).not.toContain("1.2.3.4");
    const echoed = JSON.parse(seen) as { headers: Record<string, string> };
    expect(echoed.headers.authorization).toBe(`Bearer ${TEST_SECRETS.MOCK_API_KEY}`);
    expect(echoed.headers["x-api-key"]).toBeUndefined();
  });

  it("provider keys and upstream-internal headers never reach the client", async () => {
    const res = await chat("x", { model: "mock-leaky-headers" });
    expect(res.status).toBe(200);
    for (const h of ["openai-organization", "x-upstream-internal", "set-cookie", "authorization"]) expect(res.headers.get(h)).toBeNull();
    const text = await res.text();
    for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret);
  });

  it("a caller's well-formed request id is kept separately; a malformed one is ignored", async () => {
    const ok = await chat("x", {}, { headers: { "x-request-id": "client-123" } });
    expect(ok.headers.get("x-client-request-id")).toBe("client-123");
    expect(ok.headers.get("x-request-id")).toMatch(/^req_/);
    const bad = await chat("x", {}, { headers: { "x-request-id": "a".repeat(200) } });
    expect(bad.headers.get("x-client-request-id")).toBeNull();
  });
});

describe("routes and methods", () => {
  it("unknown path: 404 in the error shape", async () => {
    const res = await SELF.fetch("https://gateway.test/v1/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("wrong method: 405 with Allow", async () => {
    const res = await SELF.fetch("https://gateway.test/v1/chat/completions", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await errorOf(res)).code).toBe("method_not_allowed");
    const put = await SELF.fetch("https://gateway.test/v1/models", { method: "PUT" });
    expect(put.status).toBe(405);
  });

  it("CORS is off by default: no CORS headers and no preflight", async () => {
    const res = await SELF.fetch("https://gateway.test/v1/chat/completions", { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a model no provider serves: 404 model_not_found with param", async () => {
    const res = await chat("x", { model: "gpt-unknown" });
    expect(res.status).toBe(404);
    const err = await errorOf(res);
    expect(err.code).toBe("model_not_found");
    expect(err.param).toBe("model");
  });
});

describe("authentication (backbone)", () => {
  it("missing, unknown and query-string keys: 401 with WWW-Authenticate", async () => {
    for (const res of [await chat("x", {}, { key: null }), await chat("x", {}, { key: testKey("wrongkey") })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect((await errorOf(res)).code).toBe("invalid_api_key");
    }
    const q = await SELF.fetch(`https://gateway.test/v1/chat/completions?api_key=${DEMO_KEY}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(q.status).toBe(401);
  });

  it("x-api-key works like Bearer", async () => {
    const res = await SELF.fetch("https://gateway.test/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": DEMO_KEY },
      body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
  });

  it("revoked and expired keys: 401", async () => {
    await seedKey(testKey("revokedkey"), { revoked: true });
    await seedKey(testKey("expiredkey"), { expires: "2020-01-01T00:00:00Z" });
    expect((await chat("x", {}, { key: testKey("revokedkey") })).status).toBe(401);
    expect((await chat("x", {}, { key: testKey("expiredkey") })).status).toBe(401);
  });
});
