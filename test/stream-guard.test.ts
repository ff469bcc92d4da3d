import { describe, expect, it } from "vitest";
import { SseSplitter } from "../src/upstream/sse";
import { guardStream, type StreamKind } from "../src/upstream/stream-guard";

const enc = new TextEncoder();

function source(chunks: (string | Error)[], opts: { delayMs?: number; hangAtEnd?: boolean } = {}): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      const next = chunks[i++];
      if (next === undefined) {
        if (opts.hangAtEnd) await new Promise(() => {});
        controller.close();
      } else if (next instanceof Error) controller.error(next);
      else controller.enqueue(enc.encode(next));
    },
  });
}

function guard(chunks: (string | Error)[], kind: StreamKind = "chat", extra: { idleTimeoutMs?: number; maxBytes?: number; hangAtEnd?: boolean } = {}) {
  const aborts: string[] = [];
  const g = guardStream(source(chunks, { hangAtEnd: extra.hangAtEnd }), {
    kind,
    idleTimeoutMs: extra.idleTimeoutMs ?? 1000,
    maxBytes: extra.maxBytes ?? 1 << 20,
    abort: (r) => aborts.push(r),
  });
  return { ...g, aborts };
}

const ev = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;

describe("SseSplitter", () => {
  const text = ev({ a: 1 }) + "event: x\ndata: two\ndata: lines\n\n" + "data: [DONE]\n\n";
  it("yields the same events for every split point of the input", () => {
    const whole = new SseSplitter().push(enc.encode(text)).map((e) => e.raw);
    for (let cut = 0; cut <= text.length; cut++) {
      const s = new SseSplitter();
      const got = [...s.push(enc.encode(text.slice(0, cut))), ...s.push(enc.encode(text.slice(cut)))].map((e) => e.raw);
      expect(got).toEqual(whole);
    }
    expect(whole).toHaveLength(3);
  });

  it("parses event names and multi-line data", () => {
    const events = new SseSplitter().push(enc.encode(text));
    expect(events[1]?.event).toBe("x");
    expect(events[1]?.data).toBe("two\nlines");
  });

  it("handles CRLF framing and multi-byte characters split across chunks", () => {
    const bytes = enc.encode("data: héllo €\r\n\r\n");
    const s = new SseSplitter();
    const out = [...s.push(bytes.subarray(0, 9)), ...s.push(bytes.subarray(9))];
    expect(out).toHaveLength(1);
    expect(out[0]?.data).toBe("héllo €");
  });
});

describe("guardStream", () => {
  it("complete stream passes through byte-identical and reports usage", async () => {
    const chunks = [ev({ choices: [{ delta: { content: "a" } }] }), ev({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }), "data: [DONE]\n\n"];
    const g = guard(chunks);
    expect(await new Response(g.stream).text()).toBe(chunks.join(""));
    const s = await g.done;
    expect(s.outcome).toBe("complete");
    expect(s.usage).toEqual({ promptTokens: 3, completionTokens: 1, totalTokens: 4 });
  });

  it("an upstream that ends without [DONE] gets an error event and [DONE]", async () => {
    const g = guard([ev({ n: 1 }), "data: {\"partial"]);
    const out = await new Response(g.stream).text();
    expect(out).toBe(ev({ n: 1 }) + ev({ error: { message: "The response stream was interrupted.", type: "server_error", code: "stream_interrupted", param: null } }) + "data: [DONE]\n\n");
    expect((await g.done).outcome).toBe("cut");
  });

  it("an upstream read error is a cut as well", async () => {
    const g = guard([ev({ n: 1 }), new Error("reset")]);
    const out = await new Response(g.stream).text();
    expect(out).toContain('"code":"stream_interrupted"');
    expect(out.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("idle upstream: cut with upstream_timeout and the upstream aborted", async () => {
    const g = guard([ev({ n: 1 })], "chat", { idleTimeoutMs: 50, hangAtEnd: true });
    const out = await new Response(g.stream).text();
    expect(out).toContain('"code":"upstream_timeout"');
    expect(g.aborts).toContain("idle timeout");
  });

  it("a stream over the byte cap is cut and the upstream aborted", async () => {
    const g = guard([ev({ x: "a".repeat(100) }), ev({ x: "b".repeat(100) }), "data: [DONE]\n\n"], "chat", { maxBytes: 150 });
    const out = await new Response(g.stream).text();
    expect(out).toContain('"code":"upstream_response_too_large"');
    expect(out).not.toContain("bbbb");
    expect(g.aborts.length).toBe(1);
  });

  it("client cancel aborts the upstream", async () => {
    const g = guard([ev({ n: 1 }), ev({ n: 2 })], "chat", { hangAtEnd: true });
    const reader = g.stream.getReader();
    await reader.read();
    await reader.cancel("bye");
    expect(g.aborts).toEqual(["client disconnected"]);
    expect((await g.done).outcome).toBe("cancelled");
  });

  it("responses streams end at response.completed and report usage from it", async () => {
    const done = `event: response.completed\ndata: ${JSON.stringify({ type: "response.completed", response: { usage: { input_tokens: 2, output_tokens: 5, total_tokens: 7 } } })}\n\n`;
    const g = guard([`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hi"}\n\n`, done], "responses", { hangAtEnd: true });
    const out = await new Response(g.stream).text();
    expect(out.endsWith(done)).toBe(true);
    const s = await g.done;
    expect(s.outcome).toBe("complete");
    expect(s.usage?.totalTokens).toBe(7);
  });

  it("nothing after the end marker is forwarded", async () => {
    const g = guard(["data: [DONE]\n\n" + ev({ late: true })]);
    expect(await new Response(g.stream).text()).toBe("data: [DONE]\n\n");
  });
});

describe("mid-stream budget", () => {
  it("cuts with insufficient_quota before the event that would pass the budget", async () => {
    const chunk = (text: string) => ev({ choices: [{ index: 0, delta: { content: text } }] });
    const aborts: string[] = [];
    const g = guardStream(source([chunk("one two three"), chunk(" four five six seven eight nine ten"), "data: [DONE]\n\n"]), {
      kind: "chat",
      idleTimeoutMs: 1000,
      maxBytes: 1 << 20,
      abort: (r) => aborts.push(r),
      maxOutputTokens: 4,
    });
    const out = await new Response(g.stream).text();
    expect(out).toContain("one two three");
    expect(out).not.toContain("four");
    expect(out).toContain('"code":"insufficient_quota"');
    expect(out.endsWith("data: [DONE]\n\n")).toBe(true);
    const s = await g.done;
    expect(s.countedOutputTokens).toBeLessThanOrEqual(4);
    expect(aborts).toHaveLength(1);
  });

  it("hides the usage-only chunk it asked for, but still reads it", async () => {
    const usage = ev({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } });
    const g = guardStream(source([ev({ choices: [{ delta: { content: "hi" } }] }), usage, "data: [DONE]\n\n"]), { kind: "chat", idleTimeoutMs: 1000, maxBytes: 1 << 20, abort: () => {}, hideUsageChunk: true });
    const out = await new Response(g.stream).text();
    expect(out).not.toContain("usage");
    expect((await g.done).usage?.totalTokens).toBe(5);
  });
});
