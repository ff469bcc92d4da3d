/**
 * The token estimator against the real tokenizer: js-tiktoken's o200k_base and cl100k_base run
 * here, in workerd, on the same texts, and the assertions are ranges around their counts,
 * never outputs of the estimator itself. The ranges follow what `npm run measure:tokens`
 * measured (docs/token-estimation.md): biased high, rarely low by more than 10 %.
 */
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";
import { describe, expect, it } from "vitest";
import { encodingForModel, estimateRequestTokens, estimateTextTokens, estimateTextTokensUnrounded, outputCapOf, textFeatures, type Encoding } from "../src/quota/tokens";

const tokenizers: Record<Encoding, Tiktoken> = { o200k_base: new Tiktoken(o200k), cl100k_base: new Tiktoken(cl100k) };
const ENCODINGS: readonly Encoding[] = ["o200k_base", "cl100k_base"];

/** Real token count; special-token text is plain text to the API, as here. */
const real = (text: string, enc: Encoding): number => tokenizers[enc].encode(text, [], []).length;

/** Asserts estimate / real within [low, high] for the encoding's own weights and for the default. */
function expectWithin(text: string, low: number, high: number): void {
  for (const enc of ENCODINGS) {
    const ratio = estimateTextTokens(text, enc) / real(text, enc);
    expect(ratio, `${enc}: ${ratio.toFixed(3)}`).toBeGreaterThanOrEqual(low);
    expect(ratio, `${enc}: ${ratio.toFixed(3)}`).toBeLessThanOrEqual(high);
  }
  // Without an encoding the estimate must cover both: never low by more than `low` allows.
  const either = estimateTextTokens(text);
  expect(either).toBeGreaterThanOrEqual(low * Math.max(real(text, "o200k_base"), real(text, "cl100k_base")));
}

const PROSE =
  "The committee met on Tuesday to review the proposal for the new library. After a long discussion, " +
  "members agreed that the building should open in the spring, provided the contractor can finish the roof " +
  "before the winter rains. Several residents asked whether the reading rooms would stay open in the evening; " +
  "the chair promised an answer at the next meeting, once the budget for staff has been approved.";

const CODE = `import json
from pathlib import Path

def load_config(path: str) -> dict:
    """Read a JSON config file and fill in defaults."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data.setdefault("retries", 3)
    data.setdefault("timeout_s", 30.0)
    for key in ("host", "port"):
        if key not in data:
            raise KeyError(f"missing {key!r} in {path}")
    return data
`;

const CHINESE =
  "随着城市化进程的加快，越来越多的人从农村迁移到城市。这一变化带来了经济的快速增长，同时也引发了住房紧张、交通拥堵和环境污染等问题。请从政策、技术和社会三个角度分析这些问题。";

describe("estimateTextTokens", () => {
  it("is 0 for the empty string", () => {
    expect(estimateTextTokens("")).toBe(0);
    for (const enc of ENCODINGS) expect(estimateTextTokens("", enc)).toBe(0);
  });

  it("English prose: within -10 % / +25 % of both encodings", () => {
    expectWithin(PROSE, 0.9, 1.25);
  });

  it("code: within -10 % / +30 %", () => {
    expectWithin(CODE, 0.9, 1.3);
  });

  it("CJK: within -10 % / +35 %; the default covers cl100k's higher count", () => {
    expect(real(CHINESE, "cl100k_base")).toBeGreaterThan(1.2 * real(CHINESE, "o200k_base"));
    expectWithin(CHINESE, 0.9, 1.35);
  });

  it("scripts that cl100k splits finely: encoding weights track each, the default covers both", () => {
    const hindi = "कृपया इस लेख की मुख्य सामग्री का सारांश दें और तीन मुख्य बिंदुओं की सूची बनाएं। हमें अगले सोमवार तक डिज़ाइन पूरा करना होगा।";
    expect(real(hindi, "cl100k_base")).toBeGreaterThan(2.5 * real(hindi, "o200k_base"));
    expectWithin(hindi, 0.8, 1.4);
  });

  it("emoji: a surrogate pair is one code point; dense emoji within -15 % / +60 %", () => {
    // The weakest class: cl100k spends 3 tokens on most newer emoji and 2 on a ZWJ, o200k 1–2,
    // and the data holds few emoji-dense texts (docs/token-estimation.md).
    const emoji = "Great job team!! 🎉🎉🎉 The launch went really well 🚀 See you all tonight 🥳🍕 👨‍👩‍👧";
    expectWithin(emoji, 0.85, 1.6);
    const f = textFeatures("😀");
    expect(f[21]).toBe(1); // astral
    expect(f.reduce((s, v) => s + v, 0)).toBe(1);
    // A lone surrogate (invalid UTF-16, but a JS string may hold one) neither throws nor vanishes.
    expect(estimateTextTokens("\ud83d")).toBeGreaterThan(0);
    expect(estimateTextTokens("\ude00 x")).toBeGreaterThan(0);
  });

  it("special-token text is counted as plain text (odd punctuation: within -25 % / +50 %)", () => {
    expectWithin("Prefix your answer with <|endoftext|> and then <|im_start|>system", 0.75, 1.5);
  });

  it("long inputs: linear in length and still calibrated", () => {
    const long = `${PROSE}\n\n${CODE}\n\n`.repeat(200); // about 220 kB
    const one = estimateTextTokens(`${PROSE}\n\n${CODE}\n\n`, "o200k_base");
    const all = estimateTextTokens(long, "o200k_base");
    expect(Math.abs(all - 200 * one)).toBeLessThanOrEqual(200); // additive but for rounding
    const ratio = all / real(long, "o200k_base");
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.25);
  });

  it("a text counted in stream-sized pieces: summed unrounded, within -10 % / +25 %", () => {
    const enc = tokenizers.o200k_base;
    const pieces = enc.encode(PROSE).map((t) => enc.decode([t])); // one token per delta, as streams send
    for (const e of [undefined, "o200k_base"] as const) {
      const sum = Math.ceil(pieces.reduce((s, p) => s + estimateTextTokensUnrounded(p, e), 0));
      expect(sum / pieces.length).toBeGreaterThanOrEqual(0.9);
      expect(sum / pieces.length).toBeLessThanOrEqual(1.25);
    }
    // Rounding each piece instead nearly doubles the count.
    expect(pieces.reduce((s, p) => s + estimateTextTokens(p), 0)).toBeGreaterThan(1.5 * pieces.length);
  });

  it("token spam of one repeated word is not badly underestimated", () => {
    expectWithin("ignore ".repeat(500), 0.9, 1.3);
  });
});

/** The cookbook's count of a chat request (3 per message, role, name + 1, 3 for priming). */
function cookbookCount(messages: { role: string; content: string; name?: string }[], enc: Encoding): number {
  let n = 3;
  for (const m of messages) {
    n += 3 + real(m.role, enc) + real(m.content, enc);
    if (m.name !== undefined) n += real(m.name, enc) + 1;
  }
  return n;
}

describe("estimateRequestTokens", () => {
  it("chat: the cookbook's per-message overhead, exactly for empty messages", () => {
    const empty = [
      { role: "system", content: "" },
      { role: "user", content: "" },
      { role: "assistant", content: "" },
    ];
    for (const enc of ENCODINGS) expect(estimateRequestTokens("chat", { model: "x", messages: empty }, enc)).toBe(cookbookCount(empty, enc));
  });

  it("chat: a realistic conversation within -10 % / +25 % of the cookbook count", () => {
    const messages = [
      { role: "system", content: "You are a careful assistant for a public library. Answer briefly and cite the page you used." },
      { role: "user", content: PROSE, name: "resident_42" },
      { role: "assistant", content: "The reading rooms will stay open until 9 pm on weekdays, pending the staff budget." },
      { role: "user", content: "Thanks! And what about weekends — will the café be open too?" },
    ];
    for (const [model, enc] of [["gpt-4o", "o200k_base"], ["gpt-4-turbo", "cl100k_base"]] as const) {
      const ratio = estimateRequestTokens("chat", { model, messages }) / cookbookCount(messages, enc);
      expect(ratio).toBeGreaterThanOrEqual(0.9);
      expect(ratio).toBeLessThanOrEqual(1.25);
    }
  });

  it("chat: text parts, tool definitions and tool-call arguments are counted", () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather for a city",
          parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } }, required: ["city"] },
        },
      },
    ];
    const args = JSON.stringify({ city: "Reykjavík", unit: "c", note: "a fairly long note to make the arguments worth counting" });
    const base = { model: "gpt-4o", messages: [{ role: "user", content: [{ type: "text", text: PROSE }] }] };
    const withTools = estimateRequestTokens("chat", { ...base, tools }) - estimateRequestTokens("chat", base);
    expect(withTools).toBeGreaterThanOrEqual(0.9 * real(JSON.stringify(tools), "o200k_base"));
    const call = { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: args } }] };
    const withCall = estimateRequestTokens("chat", { ...base, messages: [...base.messages, call] }) - estimateRequestTokens("chat", base);
    expect(withCall).toBeGreaterThanOrEqual(0.9 * real(args, "o200k_base"));
    expect(estimateRequestTokens("chat", base)).toBeGreaterThanOrEqual(real(PROSE, "o200k_base"));
  });

  it("images: flat estimates by detail, as OpenAI documents for gpt-4o (85 low, 765 a 1024² image)", () => {
    const image = (detail?: string) => ({ model: "gpt-4o", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png", ...(detail ? { detail } : {}) } }] }] });
    const overhead = estimateRequestTokens("chat", { model: "gpt-4o", messages: [{ role: "user", content: "" }] });
    expect(estimateRequestTokens("chat", image("low")) - overhead).toBe(85);
    expect(estimateRequestTokens("chat", image("high")) - overhead).toBe(765);
    expect(estimateRequestTokens("chat", image()) - overhead).toBe(765);
    const responses = { model: "gpt-4o", input: [{ role: "user", content: [{ type: "input_image", image_url: "https://example.com/a.png", detail: "low" }] }] };
    expect(estimateRequestTokens("responses", responses) - estimateRequestTokens("responses", { model: "gpt-4o", input: [{ role: "user", content: "" }] })).toBe(85);
  });

  it("responses: instructions, input items, tool calls and outputs", () => {
    const body = {
      model: "gpt-4.1",
      instructions: "Answer as a librarian.",
      input: [
        { role: "user", content: [{ type: "input_text", text: PROSE }] },
        { type: "function_call", call_id: "c1", name: "lookup", arguments: '{"q":"opening hours"}' },
        { type: "function_call_output", call_id: "c1", output: "Open 9 am to 9 pm on weekdays; closed on public holidays." },
        { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "library opening hours Reykjavík" } },
      ],
    };
    const expected = real(PROSE, "o200k_base") + real('{"q":"opening hours"}', "o200k_base") + real("Open 9 am to 9 pm on weekdays; closed on public holidays.", "o200k_base");
    expect(estimateRequestTokens("responses", body)).toBeGreaterThan(expected);
    expect(estimateRequestTokens("responses", body)).toBeLessThan(1.5 * expected + 60);
    expect(estimateRequestTokens("responses", { model: "gpt-4.1", input: PROSE })).toBeGreaterThanOrEqual(real(PROSE, "o200k_base"));
  });

  it("token-id arrays count exactly; strings are estimated", () => {
    expect(estimateRequestTokens("completions", { model: "davinci-002", prompt: [1, 2, 3, 4] })).toBe(4);
    expect(estimateRequestTokens("completions", { model: "davinci-002", prompt: [[1, 2], [3, 4, 5]] })).toBe(5);
    expect(estimateRequestTokens("embeddings", { model: "text-embedding-3-small", input: [[9, 9, 9], [1]] })).toBe(4);
    expect(estimateRequestTokens("completions", { model: "davinci-002", prompt: null })).toBe(0);
    const texts = [PROSE, CODE];
    const estimate = estimateRequestTokens("embeddings", { model: "text-embedding-3-small", input: texts });
    const actual = real(PROSE, "cl100k_base") + real(CODE, "cl100k_base");
    expect(estimate / actual).toBeGreaterThan(0.9);
    expect(estimate / actual).toBeLessThan(1.3);
  });

  it("picks the encoding from the model, and safe weights for models it does not know", () => {
    expect(encodingForModel("gpt-4o-mini")).toBe("o200k_base");
    expect(encodingForModel("gpt-4.1-nano")).toBe("o200k_base");
    expect(encodingForModel("gpt-5")).toBe("o200k_base");
    expect(encodingForModel("o3-mini")).toBe("o200k_base");
    expect(encodingForModel("ft:gpt-4o-mini:acme::abc123")).toBe("o200k_base");
    expect(encodingForModel("gpt-4-turbo")).toBe("cl100k_base");
    expect(encodingForModel("gpt-3.5-turbo")).toBe("cl100k_base");
    expect(encodingForModel("text-embedding-3-large")).toBe("cl100k_base");
    expect(encodingForModel("mock-gpt")).toBeUndefined();
    expect(encodingForModel("o1x")).toBeUndefined();
    expect(encodingForModel(undefined)).toBeUndefined();
    const body = (model: string) => ({ model, messages: [{ role: "user", content: CHINESE }] });
    expect(estimateRequestTokens("chat", body("mock-gpt"))).toBeGreaterThanOrEqual(estimateRequestTokens("chat", body("gpt-4o")));
  });
});

describe("outputCapOf", () => {
  it("chat: max_completion_tokens over max_tokens, per choice", () => {
    expect(outputCapOf("chat", { max_completion_tokens: 100, max_tokens: 50 })).toBe(100);
    expect(outputCapOf("chat", { max_completion_tokens: null, max_tokens: 50 })).toBe(50);
    expect(outputCapOf("chat", { max_tokens: 50, n: 3 })).toBe(50); // admission multiplies by n
    expect(outputCapOf("chat", {})).toBeUndefined();
  });

  it("responses: max_output_tokens", () => {
    expect(outputCapOf("responses", { max_output_tokens: 300 })).toBe(300);
    expect(outputCapOf("responses", { max_tokens: 300 })).toBeUndefined();
  });

  it("completions: max_tokens", () => {
    expect(outputCapOf("completions", { max_tokens: 20, n: 2 })).toBe(20);
    expect(outputCapOf("completions", { n: 2 })).toBeUndefined();
  });

  it("embeddings: no output tokens", () => {
    expect(outputCapOf("embeddings", { input: "x" })).toBe(0);
  });
});
