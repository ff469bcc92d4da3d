import { abortAllDurableObjects, env, runInDurableObject, SELF } from "cloudflare:test";
import { FLUSH_MS, type ClientState } from "../src/admission/client-state";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { estimateRequestTokens } from "../src/quota/tokens";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { chat, DEMO_KEY, errorOf, seedKey, sseData, testKey } from "./helpers";

async function pushRules(plans: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "limits-test", plans, ...extra }));
  resetRulesCache();
}

async function usageOf(key = KEY): Promise<{ day: { tokens: { used: number; reserved: number; remaining: number | null } }; client_id: string }> {
  const res = await SELF.fetch("https://gateway.test/v1/usage", { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

/** Settlement runs after the response (waitUntil): wait until nothing is reserved any more. */
async function settled(key = KEY): Promise<Awaited<ReturnType<typeof usageOf>>> {
  for (let i = 0; i < 100; i++) {
    const u = await usageOf(key);
    if (u.day.tokens.reserved === 0) return u;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("reservation never settled");
}

/** Durable Object storage outlives a test here, so every test gets clients of its own. */
let KEY = DEMO_KEY;
let CLIENT = "";
async function freshClient(): Promise<{ key: string; client: string }> {
  const client = `c${crypto.randomUUID().replace(/-/g, "")}`;
  return { key: await seedKey(testKey(client), { client_id: client }), client };
}

beforeEach(async () => {
  ({ key: KEY, client: CLIENT } = await freshClient());
});
afterEach(async () => {
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
  vi.restoreAllMocks();
});

describe("exact limits through the gateway", () => {
  it("2N concurrent requests against a limit of N admit exactly N", async () => {
    const client = `burst-${crypto.randomUUID()}`;
    const key = await seedKey(testKey(client.replace(/-/g, "")), { client_id: client });
    await pushRules({ default: { limits: { requests_per_minute: 10 } } });
    const results = await Promise.all(Array.from({ length: 20 }, () => chat("x", {}, { key })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });

  it("200 and 429 carry RateLimit headers; 429 has Retry-After and retry-after-ms never early", async () => {
    await pushRules({ default: { limits: { requests_per_minute: 2, tokens_per_minute: 100_000 } } });
    const ok = await chat("x", {}, { key: KEY });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ratelimit-policy")).toContain('"rpm";q=2;w=60');
    expect(ok.headers.get("ratelimit-policy")).toContain('"tpm"');
    expect(ok.headers.get("ratelimit")).toMatch(/"rpm";r=1;t=\d+/);
    await chat("x", {}, { key: KEY });
    const refused = await chat("x", {}, { key: KEY });
    expect(refused.status).toBe(429);
    const err = await errorOf(refused);
    expect(err.code).toBe("rate_limited");
    const retryAfter = Number(refused.headers.get("retry-after"));
    const retryMs = Number(refused.headers.get("retry-after-ms"));
    // One request refills every 30 s at 2 per minute.
    expect(retryMs).toBeGreaterThan(29_000);
    expect(retryMs).toBeLessThanOrEqual(30_000);
    expect(retryAfter * 1000).toBeGreaterThanOrEqual(retryMs);
    expect(refused.headers.get("ratelimit")).toContain('"rpm";r=0');
  });

  it("two keys of one client share its limits; another client is untouched", async () => {
    await pushRules({ default: { limits: { requests_per_minute: 2 } } });
    const second = await seedKey(testKey(`second${CLIENT}`), { client_id: CLIENT });
    const other = (await freshClient()).key;
    expect((await chat("x", {}, { key: KEY })).status).toBe(200);
    expect((await chat("x", {}, { key: second })).status).toBe(200);
    expect((await chat("x", {}, { key: KEY })).status).toBe(429);
    expect((await chat("x", {}, { key: second })).status).toBe(429);
    expect((await chat("x", {}, { key: other })).status).toBe(200);
  });

  it("an exhausted budget: 429 insufficient_quota with x-should-retry false", async () => {
    await pushRules({ default: { limits: { daily_tokens: 30 } } });
    expect((await chat("a b c", { max_tokens: 5 }, { key: KEY })).status).toBe(200);
    await settled();
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await chat("one two three four five six seven eight", { max_tokens: 20 }, { key: KEY });
      if (last.status !== 200) break;
      await settled();
    }
    expect(last?.status).toBe(429);
    expect(last?.headers.get("x-should-retry")).toBe("false");
    const err = await errorOf(last!);
    expect(err.code).toBe("insufficient_quota");
    expect(err.type).toBe("insufficient_quota");
  });

  it("settles actual usage: the day's tokens equal what the provider reported", async () => {
    await pushRules({ default: { limits: { daily_tokens: 100_000 } } });
    const res = await chat("count these words please", { max_tokens: 50 }, { key: KEY });
    const body = (await res.json()) as { usage: { total_tokens: number } };
    const u = await settled();
    expect(u.day.tokens.used).toBe(body.usage.total_tokens);
  });

  it("a request the provider refuses releases its token reservation", async () => {
    await pushRules({ default: { limits: { daily_tokens: 100_000 } } });
    expect((await chat("x", { model: "mock-fault-400" }, { key: KEY })).status).toBe(400);
    const u = await settled();
    expect(u.day.tokens.used).toBe(0);
  });

  it("streams: usage is asked for and charged, but not shown to a client that did not ask", async () => {
    await pushRules({ default: { limits: { daily_tokens: 100_000 } } });
    const res = await chat("stream me please", { stream: true }, { key: KEY });
    const data = sseData(await res.text());
    expect(data.some((d) => d.includes('"usage":{'))).toBe(false);
    const u = await settled();
    expect(u.day.tokens.used).toBeGreaterThan(0);
  });

  it("mid-stream: a stream that would pass the budget ends with insufficient_quota and [DONE]", async () => {
    // The mock echoes the prompt: the budget covers the prompt and 50 tokens of output.
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    const input = estimateRequestTokens("chat", { model: "mock-gpt", messages: [{ role: "user", content: words }], stream: true });
    await pushRules({ default: { limits: { daily_tokens: input + 50 } } });
    const res = await chat(words, { stream: true }, { key: KEY });
    expect(res.status).toBe(200);
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe("[DONE]");
    const last = JSON.parse(data.at(-2)!) as { error?: { code: string } };
    expect(last.error?.code).toBe("insufficient_quota");
    expect(data.length).toBeGreaterThan(3);
    // Charged for what was generated, and the budget holds.
    const u = await settled();
    expect(u.day.tokens.used).toBeLessThanOrEqual(input + 50);
    expect(u.day.tokens.used).toBeGreaterThan(input);
  });

  it("GET /v1/usage shows the caller's own usage and nothing of any other client", async () => {
    await pushRules({ default: { limits: { daily_tokens: 1000 } } });
    const { key: other, client: otherClient } = await freshClient();
    await chat("spend some tokens", { max_tokens: 10 }, { key: other });
    await settled(other);
    const mine = await usageOf();
    expect(mine.client_id).toBe(CLIENT);
    expect(mine.day.tokens.used).toBe(0);
    expect(JSON.stringify(mine)).not.toContain(otherClient);
  });

  it("concurrent streams are limited", async () => {
    await pushRules({ default: { limits: { concurrent_streams: 1 } } });
    const first = await chat("a b c d e f", { model: "mock-slow-stream", stream: true }, { key: KEY });
    const second = await chat("x", { stream: true }, { key: KEY });
    expect(second.status).toBe(429);
    expect((await errorOf(second)).code).toBe("concurrency_limited");
    await first.text();
  });
});

describe("state survives an object restart", () => {
  it("counts and reservations persist in SQLite across abortAllDurableObjects()", async () => {
    await pushRules({ default: { limits: { requests_per_minute: 2, daily_tokens: 100_000 } } });
    expect((await chat("x", {}, { key: KEY })).status).toBe(200);
    const before = await settled();
    // Quota state is written at most FLUSH_MS after a change (client-state.ts): a reset
    // after that loses nothing.
    await new Promise((r) => setTimeout(r, FLUSH_MS + 50));
    await abortAllDurableObjects();
    expect((await chat("x", {}, { key: KEY })).status).toBe(200);
    expect((await chat("x", {}, { key: KEY })).status).toBe(429);
    const after = await settled();
    expect(after.day.tokens.used).toBeGreaterThan(before.day.tokens.used);
    const bytes = await runInDurableObject(env.CLIENT_STATE.get(env.CLIENT_STATE.idFromName(CLIENT)), (obj: ClientState) => obj.stateBytes());
    expect(bytes).toBeLessThan(4096);
  });
});

describe("when the Durable Object fails", () => {
  it("default: fail closed with 503", async () => {
    await pushRules({ default: { limits: { requests_per_minute: 100 } } });
    vi.spyOn(env.CLIENT_STATE, "get").mockImplementation(() => ({ admit: () => Promise.reject(new Error("down")) }) as never);
    const res = await chat("x", {}, { key: KEY });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-should-retry")).toBe("true");
  });

  it("quota_failure_mode open: admitted, and recorded", async () => {
    await pushRules({ default: { limits: { requests_per_minute: 100 } } }, { quota_failure_mode: "open" });
    vi.spyOn(env.CLIENT_STATE, "get").mockImplementation(() => ({ admit: () => Promise.reject(new Error("down")), settleMany: () => Promise.resolve() }) as never);
    expect((await chat("x", {}, { key: KEY })).status).toBe(200);
  });
});

describe("openai SDK and the limits", () => {
  const sdk = (maxRetries: number) => new OpenAI({ apiKey: KEY, baseURL: "https://gateway.test/v1", maxRetries, fetch: (i, init) => SELF.fetch(i as string, init as RequestInit) });

  it("maxRetries 0: RateLimitError", async () => {
    await pushRules({ default: { limits: { requests_per_minute: 1 } } });
    await sdk(0).chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] });
    await expect(sdk(0).chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("with retries, the SDK waits as the headers say and then succeeds", async () => {
    await pushRules({ default: { limits: { requests_per_second: { rate: 2, burst: 1 } } } });
    await sdk(0).chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] });
    const started = Date.now();
    const r = await sdk(3).chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "retried" }] });
    expect(r.choices[0]?.message.content).toBe("retried");
    // One token refills in 500 ms: the SDK honoured retry-after-ms rather than retrying at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
