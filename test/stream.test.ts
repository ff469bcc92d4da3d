import { SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { chat, post, seedKey, sseData } from "./helpers";

beforeEach(async () => {
  await seedKey();
});

async function readAll(res: Response): Promise<string> {
  return await res.text();
}

describe("SSE passthrough", () => {
  it("chat stream arrives as SSE, ends with [DONE], content reassembles", async () => {
    const res = await chat("one two three four", { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const data = sseData(await readAll(res));
    expect(data.at(-1)).toBe("[DONE]");
    const text = data
      .slice(0, -1)
      .map((d) => JSON.parse(d) as { choices: { delta: { content?: string } }[] })
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    expect(text.trim()).toBe("one two three four");
  });

  it("chunk timing is preserved: events arrive as the provider sends them, not at the end", async () => {
    const res = await chat("a b c d e f", { model: "mock-slow-stream", stream: true });
    const reader = res.body!.getReader();
    const arrivals: number[] = [];
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push(Date.now());
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain("[DONE]");
    // The mock waits 150 ms between events: a buffering gateway would deliver everything in one burst.
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    const spread = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
    expect(spread).toBeGreaterThanOrEqual(500);
  });

  it("usage chunk passes through when the client asks for it", async () => {
    const res = await chat("x y", { stream: true, stream_options: { include_usage: true } });
    const data = sseData(await readAll(res));
    const usage = data.filter((d) => d.startsWith("{")).map((d) => JSON.parse(d) as { usage?: { total_tokens: number } }).find((c) => c.usage);
    expect(usage?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("responses stream: typed events pass through, ending at response.completed", async () => {
    const res = await post("/v1/responses", { model: "mock-gpt", input: "stream this", stream: true });
    expect(res.status).toBe(200);
    const text = await readAll(res);
    expect(text).toContain("event: response.output_text.delta");
    expect(text).toContain("event: response.completed");
    expect(text).not.toContain("stream_interrupted");
    expect(text).not.toContain("[DONE]");
  });

  it("legacy completions stream", async () => {
    const res = await post("/v1/completions", { model: "mock-instruct", prompt: "p q", stream: true });
    const data = sseData(await readAll(res));
    expect(data.at(-1)).toBe("[DONE]");
  });
});

describe("streams that end badly still end visibly", () => {
  for (const [model, code] of [
    ["mock-cut-stream", "stream_interrupted"],
    ["mock-error-stream", "stream_interrupted"],
    ["mock-stall-stream", "upstream_timeout"],
  ] as const) {
    it(`${model}: final error event, then [DONE]`, async () => {
      const res = await chat("a b c d e f g h", { model, stream: true });
      expect(res.status).toBe(200);
      const data = sseData(await readAll(res));
      expect(data.at(-1)).toBe("[DONE]");
      const last = JSON.parse(data.at(-2) ?? "{}") as { error?: { code: string; type: string } };
      expect(last.error?.code).toBe(code);
      expect(data.length).toBeGreaterThan(2); // the chunks before the cut were delivered
    });
  }

  it("a cut responses stream ends with an error event and [DONE] too", async () => {
    const res = await post("/v1/responses", { model: "mock-cut-stream", input: "a b c d e", stream: true });
    const data = sseData(await readAll(res));
    expect(data.at(-1)).toBe("[DONE]");
    expect((JSON.parse(data.at(-2) ?? "{}") as { error?: { code: string } }).error?.code).toBe("stream_interrupted");
  });

  it("a client that goes away cancels the stream without errors", async () => {
    const res = await chat("a b c d e f g h i j", { model: "mock-slow-stream", stream: true });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    // The gateway stays healthy for the next request.
    const next = await SELF.fetch("https://gateway.test/healthz");
    expect(next.status).toBe(200);
  });
});
