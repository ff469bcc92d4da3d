import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { chat, errorOf, post, seedKey } from "./helpers";

beforeEach(async () => {
  await seedKey();
});
afterEach(() => vi.restoreAllMocks());

describe("upstream failures map to documented errors", () => {
  it("5xx: 502 upstream_error, provider message not relayed", async () => {
    const res = await chat("x", { model: "mock-fault-500" });
    expect(res.status).toBe(502);
    const err = await errorOf(res);
    expect(err.code).toBe("upstream_error");
    expect(res.headers.get("x-should-retry")).toBe("true");
  });

  it("429: 429 upstream_rate_limited with the provider's Retry-After", async () => {
    const res = await chat("x", { model: "mock-fault-429" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect((await errorOf(res)).code).toBe("upstream_rate_limited");
  });

  it("400 from the provider: 400 upstream_rejected keeping only a safe param", async () => {
    const res = await chat("x", { model: "mock-fault-400" });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("upstream_rejected");
    expect(err.param).toBe("messages");
  });

  it("hang: 504 upstream_timeout after the provider's timeout", async () => {
    const started = Date.now();
    const res = await chat("x", { model: "mock-hang" });
    expect(res.status).toBe(504);
    expect((await errorOf(res)).code).toBe("upstream_timeout");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("redirect: not followed, 502", async () => {
    const res = await chat("x", { model: "mock-redirect" });
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe("upstream_error");
  });

  it("oversized response: 502 upstream_response_too_large", async () => {
    const res = await chat("x", { model: "mock-huge" });
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe("upstream_response_too_large");
  });

  it("a compressed answer is not read at its Content-Length: refused, never relayed", async () => {
    // Its Content-Length (the compressed size) is far under the cap; what it decompresses to
    // is not. A deployed Worker's fetch decompresses it (the cap then counts the real bytes:
    // upstream_response_too_large); the test pool hands it over still compressed, which is
    // no JSON (upstream_error). Either way it must not come back as an answer.
    const res = await chat("x", { model: "mock-gzip-bomb" });
    expect(res.status).toBe(502);
    expect(["upstream_response_too_large", "upstream_error"]).toContain((await errorOf(res)).code);
  });

  it("unreachable provider without fallback: 502 upstream_unavailable", async () => {
    // The test pool's outbound hook turns exceptions into 500s, so a refused connection is
    // simulated where the Worker sees it: its own fetch rejecting.
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (new Request(input).url.startsWith("http://lonely.test/")) throw new TypeError("Network connection lost.");
      return real(input, init);
    });
    const res = await chat("x", { model: "lonely-gpt" });
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe("upstream_unavailable");
  });
});

describe("fallback provider", () => {
  it("a 5xx before the first byte falls back to the next provider", async () => {
    const res = await chat("fell back", { model: "flaky-gpt" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe("fell back");
  });

  it("a connection error falls back too", async () => {
    const res = await chat("still answered", { model: "down-gpt" });
    expect(res.status).toBe(200);
  });

  it("streams fall back before the first byte as well", async () => {
    const res = await chat("streamed fallback", { model: "flaky-gpt", stream: true });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data: [DONE]");
  });

  it("embeddings through the fallback", async () => {
    const res = await post("/v1/embeddings", { model: "flaky-gpt", input: "x" });
    expect(res.status).toBe(200);
  });
});
