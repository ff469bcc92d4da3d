import { env, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TEST_SECRETS } from "./config";
import { chat, DEMO_KEY, seedKey, testKey } from "./helpers";

let points: AnalyticsEngineDataPoint[] = [];

beforeEach(async () => {
  await seedKey();
  points = [];
  vi.spyOn(env.ANALYTICS, "writeDataPoint").mockImplementation((p) => {
    if (p !== undefined) points.push(p);
  });
});
afterEach(() => vi.restoreAllMocks());

const PROMPT = "my secret prompt text 4111";

async function waitFor(n: number): Promise<void> {
  for (let i = 0; i < 100 && points.length < n; i++) await new Promise((r) => setTimeout(r, 10));
}

describe("one data point per request", () => {
  it("a successful request: route, model, status, tokens, latency, rules version", async () => {
    const res = await chat(PROMPT);
    await res.text();
    await waitFor(1);
    expect(points).toHaveLength(1);
    const p = points[0]!;
    expect(p.indexes).toEqual(["client-a"]);
    expect(p.blobs?.slice(0, 4)).toEqual(["chat", "mock-gpt", "mock", "allow"]);
    expect(p.blobs?.[6]).toMatch(/^bundled-default@[0-9a-f]{16}$/);
    expect(p.blobs?.[8]).toBe(res.headers.get("x-request-id"));
    expect(p.doubles?.[0]).toBe(200);
    expect(p.doubles?.[5]).toBeGreaterThan(0);
  });

  it("rejected requests are recorded with their code and internal reason", async () => {
    await chat(PROMPT, {}, { key: testKey("wrongkey") });
    await SELF.fetch("https://gateway.test/nowhere");
    await waitFor(2);
    expect(points).toHaveLength(2);
    expect(points[0]?.blobs?.[3]).toBe("error");
    expect(points[0]?.blobs?.[4]).toBe("invalid_api_key");
    expect(points[0]?.blobs?.[11]).toBe("api key unknown");
    expect(points[0]?.doubles?.[0]).toBe(401);
    expect(points[1]?.blobs?.[4]).toBe("not_found");
  });

  it("a stream is recorded when it ends, with usage and the cut flag", async () => {
    const res = await chat("a b c", { stream: true, stream_options: { include_usage: true } });
    await res.text();
    await waitFor(1);
    expect(points).toHaveLength(1);
    expect(points[0]?.blobs?.[12]).toBe("stream");
    expect(points[0]?.doubles?.[5]).toBeGreaterThan(0);
    expect(points[0]?.doubles?.[8]).toBe(0);

    points = [];
    const cut = await chat("a b c d", { model: "mock-cut-stream", stream: true });
    await cut.text();
    await waitFor(1);
    expect(points[0]?.doubles?.[8]).toBe(1);
    expect(points[0]?.blobs?.[4]).toBe("stream_interrupted");
  });

  it("never contains the prompt, the client key or provider secrets", async () => {
    await (await chat(PROMPT)).text();
    await (await chat(PROMPT, { temperature: "x" })).text();
    await (await chat(PROMPT, { model: "mock-fault-500" })).text();
    await waitFor(3);
    const all = JSON.stringify(points);
    expect(all).not.toContain("secret prompt");
    expect(all).not.toContain(DEMO_KEY);
    for (const s of Object.values(TEST_SECRETS)) expect(all).not.toContain(s);
  });

  it("an analytics failure never costs the client its response", async () => {
    vi.spyOn(env.ANALYTICS, "writeDataPoint").mockImplementation(() => {
      throw new Error("down");
    });
    const res = await chat("still fine");
    expect(res.status).toBe(200);
  });
});
