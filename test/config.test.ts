/**
 * Deployment configuration variants, driven through `app.request` with an env of the
 * test's own (the shared worker keeps the default test configuration).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { TEST_CONFIG } from "./config";
import { DEMO_KEY, seedKey } from "./helpers";

async function call(config: unknown, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.request(`https://gateway.test${path}`, init, { ...env, AIGIS_CONFIG: config }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

beforeEach(async () => {
  await seedKey();
});

describe("CORS when configured", () => {
  const config = { ...TEST_CONFIG, cors: { origins: ["https://app.example"], max_age: 60 } };

  it("answers the preflight of an allowed origin", async () => {
    const res = await call(config, "/v1/chat/completions", { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-max-age")).toBe("60");
  });

  it("gives other origins nothing", async () => {
    const res = await call(config, "/v1/chat/completions", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("adds CORS headers to real responses, errors included", async () => {
    const res = await call(config, "/v1/models", { headers: { origin: "https://app.example", authorization: `Bearer ${DEMO_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });
});

describe("invalid deployment configuration fails closed", () => {
  it("503 config_invalid on every route but liveness", async () => {
    for (const bad of [{ providers: [] }, "not json", { providers: [{ id: "x", base_url: "ftp://x", models: ["m"] }] }, undefined]) {
      const res = await call(bad, "/v1/models", { headers: { authorization: `Bearer ${DEMO_KEY}` } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("config_invalid");
    }
  });

  it("a JSON string (wrangler dev --var) is accepted", async () => {
    const res = await call(JSON.stringify(TEST_CONFIG), "/v1/models", { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expect(res.status).toBe(200);
  });

  it("a provider whose key secret is missing: 503 provider_not_configured", async () => {
    const config = { ...TEST_CONFIG, providers: [{ id: "nokey", base_url: "http://mock.test/v1", key_secret: "NOT_SET_ANYWHERE", models: ["mock-gpt"] }] };
    const res = await call(config, "/v1/chat/completions", { method: "POST", headers: { authorization: `Bearer ${DEMO_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] }) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("provider_not_configured");
  });
});
