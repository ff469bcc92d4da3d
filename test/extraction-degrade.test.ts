/** The degrade action's pure parts: what a degraded request and its answer become. */
import { describe, expect, it } from "vitest";
import { degradeRequest, roundEmbeddings, roundingRewriter, roundLogprobs } from "../src/extraction/degrade";
import { DEFAULT_PROBE_POLICY } from "../src/extraction/score";

const d = DEFAULT_PROBE_POLICY.degrade;

describe("degradeRequest", () => {
  it("caps alternatives, clamps logit_bias to a few small entries, and asks one choice", () => {
    const bias = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [String(100 - i), i % 2 === 0 ? 100 : -100]));
    const { body, changed } = degradeRequest("chat", { model: "m", messages: [], logprobs: true, top_logprobs: 20, n: 4, logit_bias: bias }, d);
    expect(body).toMatchObject({ logprobs: true, top_logprobs: 1, n: 1 });
    const kept = body.logit_bias as Record<string, number>;
    expect(Object.keys(kept).map(Number)).toEqual([81, 82, 83, 84, 85, 86, 87, 88]);
    expect(Object.values(kept).every((v) => Math.abs(v) === 5)).toBe(true);
    expect(changed.sort()).toEqual(["logit_bias", "n", "top_logprobs"]);
  });

  it("legacy completions: the integer logprobs and best_of", () => {
    const { body } = degradeRequest("completions", { model: "m", prompt: "x", logprobs: 5, best_of: 3, echo: true }, d);
    expect(body).toMatchObject({ logprobs: 1, best_of: 1, echo: true });
  });

  it("changes nothing that is already within the caps, and never the caller's object", () => {
    const input = { model: "m", messages: [], top_logprobs: 1, logit_bias: { "5": 2 } };
    const { body, changed } = degradeRequest("chat", input, d);
    expect(changed).toEqual([]);
    expect(body).toEqual(input);
    degradeRequest("chat", { ...input, top_logprobs: 9 }, d);
    expect(input.top_logprobs).toBe(1);
  });
});

describe("roundLogprobs", () => {
  it("rounds chat, responses and legacy completions logprobs alike", () => {
    const chat = { choices: [{ logprobs: { content: [{ token: "a", logprob: -0.123456, top_logprobs: [{ token: "a", logprob: -0.123456 }, { token: "b", logprob: -2.98765 }] }] } }] };
    const legacy = { choices: [{ logprobs: { tokens: ["a"], token_logprobs: [null, -1.23456], top_logprobs: [null, { a: -1.23456, b: -3.33333 }] } }] };
    expect(roundLogprobs(chat, 1)).toBe(true);
    expect(roundLogprobs(legacy, 1)).toBe(true);
    expect(chat.choices[0]!.logprobs.content[0]!.logprob).toBe(-0.1);
    expect(chat.choices[0]!.logprobs.content[0]!.top_logprobs[1]!.logprob).toBe(-3);
    expect(legacy.choices[0]!.logprobs.token_logprobs).toEqual([null, -1.2]);
    expect(legacy.choices[0]!.logprobs.top_logprobs[1]).toEqual({ a: -1.2, b: -3.3 });
  });

  it("leaves other numbers alone and says when there was nothing to round", () => {
    const body = { choices: [{ index: 0, message: { content: "hi" }, logprobs: null }], usage: { prompt_tokens: 3 } };
    expect(roundLogprobs(body, 1)).toBe(false);
    expect(body.usage.prompt_tokens).toBe(3);
  });
});

describe("roundEmbeddings", () => {
  const steps = (v: ArrayLike<number>) => {
    const step = Math.max(...Array.from(v, Math.abs)) / 127;
    return Array.from(v, (x) => Math.abs(x / step - Math.round(x / step)));
  };

  it("rounds float embeddings to 8-bit steps of their largest component", () => {
    const body = { data: [{ embedding: [0.1234567, -0.7654321, 0.5, 0.0001] }] };
    expect(roundEmbeddings(body)).toBe(1);
    for (const e of steps(body.data[0]!.embedding)) expect(e).toBeLessThan(1e-9);
  });

  it("decodes, rounds and re-encodes base64 embeddings", () => {
    const v = new Float32Array([0.1234567, -0.7654321, 0.5, 0.0001]);
    let bin = "";
    for (const b of new Uint8Array(v.buffer)) bin += String.fromCharCode(b);
    const body = { data: [{ embedding: btoa(bin) }] };
    expect(roundEmbeddings(body)).toBe(1);
    const back = Uint8Array.from(atob(body.data[0]!.embedding), (ch) => ch.charCodeAt(0));
    for (const e of steps(new Float32Array(back.buffer))) expect(e).toBeLessThan(1e-4);
  });

  it("skips what is not an embedding", () => {
    expect(roundEmbeddings({ data: [{ embedding: "not base64!" }, { embedding: ["x"] }] })).toBe(0);
    expect(roundEmbeddings({ choices: [] })).toBe(0);
  });
});

describe("roundingRewriter (streams)", () => {
  it("rounds the logprobs of each event and passes the rest on unchanged", () => {
    const json = { choices: [{ index: 0, delta: { content: "t5" }, logprobs: { content: [{ token: "t5", logprob: -0.4321, top_logprobs: [] }] } }] };
    const raw = `data: ${JSON.stringify(json)}\n\n`;
    const r = roundingRewriter(undefined, 1);
    const out = r.rewrite(raw, "", json);
    expect(out.blocked).toBe(false);
    expect(JSON.parse(out.out.slice(6))).toMatchObject({ choices: [{ logprobs: { content: [{ logprob: -0.4 }] } }] });
    expect(out.out.endsWith("\n\n")).toBe(true);
    const plain = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';
    expect(r.rewrite(plain, "", JSON.parse(plain.slice(6))).out).toBe(plain);
    // Responses events keep their event line.
    const ev = { type: "response.output_text.delta", delta: "x", logprobs: [{ token: "x", logprob: -1.26 }] };
    expect(r.rewrite(`event: response.output_text.delta\ndata: ${JSON.stringify(ev)}\n\n`, "response.output_text.delta", ev).out).toBe(`event: response.output_text.delta\ndata: ${JSON.stringify({ ...ev, logprobs: [{ token: "x", logprob: -1.3 }] })}\n\n`);
  });

  it("hands the rounded event to the protection rewriter behind it", () => {
    const seen: string[] = [];
    const inner = { rewrite: (raw: string) => (seen.push(raw), { out: raw, blocked: false }), finish: () => ({ out: "tail", blocked: false }) };
    const json = { choices: [{ logprobs: { content: [{ logprob: -2.222 }] } }] };
    roundingRewriter(inner, 1).rewrite(`data: ${JSON.stringify(json)}\n\n`, "", json);
    expect(seen[0]).toContain('"logprob":-2.2');
    expect(roundingRewriter(inner, 1).finish()).toEqual({ out: "tail", blocked: false });
  });
});
