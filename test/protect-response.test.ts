/**
 * The SSE rewriters of response protection on hand-made event sequences: the shapes the
 * mock provider does not produce (no finish_reason, interleaved choices, text arriving only
 * in `done` events).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OutputPolicySchema } from "../src/protect/policy";
import { ResponseProtection } from "../src/protect/response";
import { itFuzz } from "./fuzz/run";

const EMAIL = "jane.doe@example.com";
const protection = (policy: Record<string, unknown> = {}) =>
  new ResponseProtection({ policy: OutputPolicySchema.parse(policy), originals: new Map([["[EMAIL_1]", EMAIL]]), canary: undefined, systemPrompt: "" });

const chunk = (choices: unknown[]) => ({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices });
const raw = (json: unknown) => `data: ${JSON.stringify(json)}\n\n`;

/** Feeds events through a chat rewriter; returns the text per choice the client would assemble. */
function feed(p: ResponseProtection, events: unknown[]): { texts: Map<number, string>; out: string } {
  const rw = p.rewriter("chat");
  let out = "";
  for (const ev of events) out += rw.rewrite(raw(ev), "", ev).out;
  out += rw.finish().out;
  const texts = new Map<number, string>();
  for (const block of out.split("\n\n")) {
    if (!block.startsWith("data: ")) continue;
    const j = JSON.parse(block.slice(6)) as { choices: { index: number; delta?: { content?: string } }[] };
    for (const ch of j.choices) texts.set(ch.index, (texts.get(ch.index) ?? "") + (ch.delta?.content ?? ""));
  }
  return { texts, out };
}

describe("chat stream rewriter", () => {
  it("flushes held text in a chunk of its own when the provider never sends finish_reason", () => {
    const { texts, out } = feed(protection(), [
      chunk([{ index: 0, delta: { content: "mail [EMA" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: "IL_1]" }, finish_reason: null }]),
    ]);
    expect(texts.get(0)).toBe(`mail ${EMAIL}`);
    // The added chunk keeps the provider's envelope.
    expect(out.split("\n\n").filter((b) => b.startsWith("data:")).every((b) => b.includes('"id":"c1"'))).toBe(true);
  });

  it("keeps interleaved choices apart: one choice's held tail never delays or mixes with another's", () => {
    const { texts } = feed(protection(), [
      chunk([{ index: 0, delta: { content: "a [EMAI" }, finish_reason: null }]),
      chunk([{ index: 1, delta: { content: "b plain" }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: "L_1] x" }, finish_reason: null }]),
      chunk([{ index: 1, delta: { content: " text" }, finish_reason: "stop" }]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
    ]);
    expect(texts.get(0)).toBe(`a ${EMAIL} x`);
    expect(texts.get(1)).toBe("b plain text");
  });

  it("puts a tool call's held arguments into the finishing chunk with the call's index", () => {
    const p = protection();
    const rw = p.rewriter("chat");
    const calls = (args: string) => [{ index: 0, delta: { tool_calls: [{ index: 2, function: { arguments: args } }] }, finish_reason: null }];
    let args = "";
    for (const ev of [chunk(calls('{"to":"[EMA')), chunk(calls('IL_1]"}')), chunk([{ index: 0, delta: {}, finish_reason: "tool_calls" }])]) {
      const out = rw.rewrite(raw(ev), "", ev).out;
      const j = JSON.parse(out.slice(6)) as { choices: { delta: { tool_calls?: { index: number; function: { arguments: string } }[] } }[] };
      for (const c of j.choices[0]?.delta.tool_calls ?? []) {
        expect(c.index).toBe(2);
        args += c.function.arguments;
      }
    }
    expect(JSON.parse(args)).toEqual({ to: EMAIL });
  });

  it("forwards an unchanged event byte for byte", () => {
    const rw = protection().rewriter("chat");
    const ev = chunk([{ index: 0, delta: { content: "sure thing. " }, finish_reason: null }]);
    const text = `data:${JSON.stringify(ev)}\n\n`; // no space after "data:": kept as the provider wrote it
    expect(rw.rewrite(text, "", ev).out).toBe(text);
  });

  it("rewrites a changed content in place, keeping the rest of the event as the provider wrote it", () => {
    const rw = protection().rewriter("chat");
    const ev = chunk([{ index: 0, delta: { content: "mail [EMA" }, finish_reason: null }]);
    const text = `id: 7\ndata:${JSON.stringify(ev)}\n\n`;
    // "[EMA" may still become a placeholder: the event waits for the next one.
    expect(rw.rewrite(text, "", ev).out).toBe("");
    const next = chunk([{ index: 0, delta: { content: "IL_1] now" }, finish_reason: null }]);
    expect(rw.rewrite(raw(next), "", next).out).toBe(text.replace('"content":"mail [EMA"', `"content":"mail ${EMAIL} "`));
    // The same value twice in one event: not certain which to change, so the event is re-encoded.
    const twice = chunk([
      { index: 0, delta: { content: "x [EMA" }, finish_reason: null },
      { index: 1, delta: { content: "x [EMA" }, finish_reason: null },
    ]);
    const out2 = protection().rewriter("chat").rewrite(raw(twice), "", twice).out;
    expect(JSON.parse(out2.slice(6)).choices.map((c: { delta: { content: string } }) => c.delta.content)).toEqual(["x ", "x "]);
  });

  it("sends each common event as the provider wrote it, once the guard has released its text", () => {
    const rw = protection().rewriter("chat");
    const words = ["Quarterly", " support", " review", " for", " the", " north."];
    const events = words.map((w, i) => chunk([{ index: 0, delta: i === 0 ? { role: "assistant", content: w } : { content: w }, finish_reason: null }]));
    const outs = events.map((ev) => rw.rewrite(raw(ev), "", ev).out);
    // A word may still grow into an entity until the next delta begins: its event goes out one event later, unchanged.
    expect(outs).toEqual(["", ...events.slice(0, 5).map(raw)]);
    // The last word ("north." could still go on) is released at the end, before the finishing chunk's own text.
    const last = chunk([{ index: 0, delta: {}, finish_reason: "stop" }]);
    const tail = rw.rewrite(raw(last), "", last).out.split("\n\n").filter((b) => b !== "");
    expect(tail.map((b) => JSON.parse(b.slice(6)).choices[0].delta.content)).toEqual([" ", "north."]);
    expect(JSON.parse(tail[1]!.slice(6)).choices[0].finish_reason).toBe("stop");
  });

  it("reports a block and stops, after the text cleared before it", () => {
    const p = protection({ entities: { secrets: "block" } });
    const rw = p.rewriter("chat");
    const key = "AKIA" + "Q3EGRT7WXZ4PLM2N";
    const r1 = rw.rewrite("", "", chunk([{ index: 0, delta: { content: `key ${key}` }, finish_reason: null }]));
    const r2 = r1.blocked ? r1 : rw.rewrite("", "", chunk([{ index: 0, delta: { content: " ok" }, finish_reason: "stop" }]));
    expect(r2.blocked).toBe(true);
    const sent = r1.out + r2.out;
    expect(sent).not.toContain(key);
    expect(JSON.parse(sent.slice(6)).choices[0].delta.content).toBe("key ");
    expect(p.summary()).toBe("AWS_ACCESS_KEY_ID:block:1");
  });
});

describe("responses stream rewriter", () => {
  it("protects text that arrives only in done events, and sends a held tail before the done event", () => {
    const p = protection();
    const rw = p.rewriter("responses");
    const delta = (d: string) => ({ type: "response.output_text.delta", output_index: 0, content_index: 0, item_id: "m1", delta: d });
    let out = rw.rewrite("", "response.output_text.delta", delta("to [EMAIL_1")).out;
    out += rw.rewrite("", "response.output_text.delta", delta("] and [EMA")).out;
    const done = { type: "response.output_text.done", output_index: 0, content_index: 0, item_id: "m1", text: "to [EMAIL_1] and [EMA" };
    out += rw.rewrite("", "response.output_text.done", done).out;
    const events = out
      .split("\n\n")
      .filter((b) => b.includes("data: "))
      .map((b) => JSON.parse(b.slice(b.indexOf("data: ") + 6)) as { type: string; delta?: string; text?: string });
    // The last delta is the gateway's: "[EMA" was held as a possible placeholder until the part ended.
    expect(events.map((e) => e.type)).toEqual(["response.output_text.delta", "response.output_text.delta", "response.output_text.delta", "response.output_text.done"]);
    expect(events[2]?.delta).toBe("[EMA");
    expect(events.slice(0, 3).map((e) => e.delta).join("")).toBe(`to ${EMAIL} and [EMA`);
    expect(events[3]?.text).toBe(`to ${EMAIL} and [EMA`);

    // A part that was never streamed as deltas is protected from its done event alone.
    const other = { type: "response.output_text.done", output_index: 1, content_index: 0, item_id: "m2", text: "reach [EMAIL_1]" };
    const r = rw.rewrite("", "response.output_text.done", other).out;
    expect(JSON.parse(r.slice(r.indexOf("data: ") + 6)).text).toBe(`reach ${EMAIL}`);
  });
});

describe("plain bodies", () => {
  it("protects chat content, refusals, tool arguments and Responses output alike", () => {
    const p = protection();
    const body = {
      choices: [{ index: 0, message: { content: "hi [EMAIL_1]", refusal: null, tool_calls: [{ function: { arguments: '{"a":"[EMAIL_1]"}' } }] } }],
      output: [{ type: "message", content: [{ type: "output_text", text: "[EMAIL_1]!" }] }, { type: "function_call", arguments: '{"b":"[EMAIL_1]"}' }],
    };
    expect(p.protectBody(body)).toBe(true);
    expect(body.choices[0]!.message.content).toBe(`hi ${EMAIL}`);
    expect(JSON.parse(body.choices[0]!.message.tool_calls[0]!.function.arguments)).toEqual({ a: EMAIL });
    expect(body.output[0]!.content![0]!.text).toBe(`${EMAIL}!`);
    expect(JSON.parse(body.output[1]!.arguments!)).toEqual({ b: EMAIL });
  });
});

describe("chat stream rewriter, any split of any text", () => {
  const pieces = ["word", " ", "  ", ". ", "Maria", " [EMAIL_1]", "[EMA", "IL_1]", "[EMAIL_2]", EMAIL, "4111 1111 1111 1111", "AKIA" + "Q3EGRT7WXZ4PLM2N", "sk-", "\n", "é", "👍", "\"q\"", "\\", "![x](https://evil.test/p?q=1)"];
  const textArb = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((xs) => xs.join(""));
  const splitArb = (text: string) => fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }).map((cuts) => {
    const at = [...new Set([0, ...cuts, text.length])].sort((a, b) => a - b);
    return at.slice(1).map((end, i) => text.slice(at[i], end));
  });

  itFuzz("the client reads the one-shot protected text, events in order, each unchanged event byte for byte", 200, () =>
    fc.property(textArb.chain((text) => fc.tuple(fc.constant(text), splitArb(text))), ([text, deltas]) => {
      const events = deltas.map((d, i) => ({ id: `e${i}`, object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: d }, finish_reason: null }] }));
      const rawOf = events.map((ev) => raw(ev));
      const p = protection();
      const rw = p.rewriter("chat");
      let out = "";
      for (const [i, ev] of events.entries()) out += rw.rewrite(rawOf[i]!, "", structuredClone(ev)).out;
      out += rw.finish().out;
      const blocks = out.split("\n\n").filter((b) => b !== "");
      const got = blocks.map((b) => JSON.parse(b.slice(6)) as { id: string; choices: { delta: { content?: string } }[] });
      expect(got.map((j) => j.choices[0]?.delta.content ?? "").join("")).toBe(protection().once(text, false));
      // Events keep their order; an event whose text is unchanged is the provider's bytes.
      const ids = got.map((j) => Number(j.id.slice(1)));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      for (const [k, b] of blocks.entries()) {
        const i = ids[k]!;
        if (got[k]!.choices[0]?.delta.content === deltas[i]) expect(`${b}\n\n`).toBe(rawOf[i]);
      }
    }),
  );
});
