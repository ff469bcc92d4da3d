// @ts-check
/**
 * Smoke tests for the mock LLM, over real HTTP and through the official `openai` SDK.
 * Run: node --test mock/selftest.mjs
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";
import { createMockLlm } from "./llm.mjs";
import { startMockServer } from "./server.mjs";
import { tokenize } from "./wire.mjs";

const KEY = "sk-mock-selftest";
/** @type {Awaited<ReturnType<typeof startMockServer>>} */
let mock;
before(async () => {
  mock = await startMockServer({ expectedKey: KEY });
});
after(() => mock.close());

/** @param {string} path @param {object} body @param {RequestInit} [init] */
function post(path, body, init = {}) {
  return fetch(`${mock.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

/** @param {string} content */
const chat = (content, more = {}) => ({ model: "mock-gpt", messages: [{ role: "system", content: "be brief" }, { role: "user", content }], ...more });

/**
 * Splits an SSE body into events, checking the framing: each event ends with a blank line.
 * @param {string} text
 * @returns {Array<{ event?: string, data: string }>}
 */
function parseSse(text) {
  assert.ok(text.endsWith("\n\n"), "an SSE body ends with a blank line");
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((block) => {
      const lines = block.split("\n");
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
      assert.equal(data.length, 1, `one data line per event: ${block}`);
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      return event === undefined ? { data: /** @type {string} */ (data[0]) } : { event, data: /** @type {string} */ (data[0]) };
    });
}

/** @param {Response} res */
async function errorOf(res) {
  const body = await res.json();
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  return body.error;
}

describe("routes and keys", () => {
  test("lists the models", async () => {
    const res = await fetch(`${mock.url}/models`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.object, "list");
    assert.deepEqual(
      body.data.map((/** @type {{ id: string }} */ m) => m.id),
      ["mock-gpt", "mock-gpt-mini", "mock-embed", "mock-instruct"],
    );
    assert.deepEqual(body.data[0], { id: "mock-gpt", object: "model", created: body.data[0].created, owned_by: "aigis-mock" });
  });

  test("answers under any base path ending in /v1", async () => {
    const res = await fetch(`http://127.0.0.1:${mock.port}/some/prefix/v1/models`, { headers: { "api-key": KEY } });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  test("unknown route: 404 OpenAI-shaped", async () => {
    const res = await post("/audio/speech", {});
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).type, "invalid_request_error");
  });

  test("expectedKey is required, as Bearer or api-key", async () => {
    const missing = await fetch(`${mock.url}/models`);
    assert.equal(missing.status, 401);
    assert.equal((await errorOf(missing)).code, "invalid_api_key");
    const wrong = await post("/chat/completions", chat("hi"), { headers: { authorization: "Bearer sk-wrong" } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const azure = await post("/chat/completions", chat("hi"), { headers: { "api-key": KEY, "content-type": "application/json" } });
    assert.equal(azure.status, 200);
    await azure.body?.cancel();
  });

  test("invalid JSON and a missing model are 400s", async () => {
    const bad = await fetch(`${mock.url}/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: "{" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const noModel = await post("/embeddings", { input: "x" });
    assert.equal((await errorOf(noModel)).param, "model");
  });
});

describe("chat completions", () => {
  test("echoes the last user message with usage", async () => {
    const res = await post("/chat/completions", chat("Hello  mock\nworld"));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = await res.json();
    assert.equal(body.object, "chat.completion");
    assert.match(body.id, /^chatcmpl-/);
    assert.equal(body.model, "mock-gpt");
    assert.deepEqual(body.choices, [
      { index: 0, message: { role: "assistant", content: "Hello  mock\nworld", refusal: null, annotations: [] }, finish_reason: "stop", logprobs: null },
    ]);
    assert.deepEqual(body.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  test("concatenates text parts, n > 1 gives n choices", async () => {
    const body = await (
      await post("/chat/completions", { model: "mock-gpt", n: 3, messages: [{ role: "user", content: [{ type: "text", text: "one " }, { type: "image_url", image_url: { url: "x" } }, { type: "text", text: "two" }] }] })
    ).json();
    assert.equal(body.choices.length, 3);
    assert.deepEqual(body.choices.map((/** @type {any} */ c) => [c.index, c.message.content]), [[0, "one two"], [1, "one two"], [2, "one two"]]);
    assert.equal(body.usage.completion_tokens, 6);
  });

  test("max_tokens truncates to words, max_completion_tokens wins", async () => {
    const cut = await (await post("/chat/completions", chat("a b c d e", { max_tokens: 2 }))).json();
    assert.equal(cut.choices[0].message.content, "a b");
    assert.equal(cut.choices[0].finish_reason, "length");
    assert.equal(cut.usage.completion_tokens, 2);
    const both = await (await post("/chat/completions", chat("a b c d e", { max_tokens: 2, max_completion_tokens: 4 }))).json();
    assert.equal(both.choices[0].message.content, "a b c d");
    const invalid = await post("/chat/completions", chat("a", { max_tokens: "x" }));
    assert.equal((await errorOf(invalid)).param, "max_tokens");
  });

  test("streams one chunk per word, then finish, usage and [DONE]", async () => {
    const res = await post("/chat/completions", chat("alpha beta gamma", { stream: true, stream_options: { include_usage: true } }));
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1)?.data, "[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id));
    assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "alpha", refusal: null });
    assert.deepEqual(chunks.slice(1, 3).map((c) => c.choices[0].delta), [{ content: " beta" }, { content: " gamma" }]);
    assert.equal(chunks[3].choices[0].finish_reason, "stop");
    assert.deepEqual(chunks[4].choices, []);
    assert.deepEqual(chunks[4].usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    assert.equal(chunks.length, 5);
  });

  test("streams n choices and stops at max_tokens with finish_reason length", async () => {
    const events = parseSse(await (await post("/chat/completions", chat("a b c", { stream: true, n: 2, max_tokens: 2 }))).text());
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    assert.equal(chunks.length, 2 * 2 + 2);
    for (const index of [0, 1]) {
      const mine = chunks.filter((c) => c.choices[0].index === index);
      assert.equal(mine.map((c) => c.choices[0].delta.content ?? "").join(""), "a b");
      assert.equal(mine.at(-1).choices[0].finish_reason, "length");
    }
    assert.ok(chunks.every((c) => !("usage" in c)), "no usage without include_usage");
  });
});

describe("responses", () => {
  test("answers with a response object echoing the input", async () => {
    const body = await (await post("/responses", { model: "mock-gpt", input: [{ role: "user", content: [{ type: "input_text", text: "hi there" }] }] })).json();
    assert.match(body.id, /^resp_/);
    assert.equal(body.object, "response");
    assert.equal(body.status, "completed");
    assert.equal("output_text" in body, false, "output_text is computed by the SDK, not sent");
    assert.equal(body.output.length, 1);
    const [item] = body.output;
    assert.deepEqual({ ...item, id: undefined }, { id: undefined, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "hi there", annotations: [], logprobs: [] }] });
    assert.deepEqual(body.usage, { input_tokens: 2, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 4 });
  });

  test("max_output_tokens makes an incomplete response", async () => {
    const body = await (await post("/responses", { model: "mock-gpt", input: "a b c", max_output_tokens: 1 })).json();
    assert.equal(body.status, "incomplete");
    assert.deepEqual(body.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(body.output[0].content[0].text, "a");
  });

  test("streams the real event sequence with sequence numbers and no [DONE]", async () => {
    const events = parseSse(await (await post("/responses", { model: "mock-gpt", input: "one two", stream: true })).text());
    const data = events.map((e) => JSON.parse(e.data));
    assert.deepEqual(
      events.map((e) => e.event),
      [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
      ],
    );
    assert.deepEqual(data.map((d) => d.type), events.map((e) => e.event));
    assert.deepEqual(data.map((d) => d.sequence_number), data.map((_, i) => i));
    assert.deepEqual(data.slice(4, 6).map((d) => d.delta), ["one", " two"]);
    assert.equal(data.at(-1).response.output[0].content[0].text, "one two");
  });
});

describe("embeddings", () => {
  test("deterministic unit vectors, 8 dims by default, `dimensions` honoured", async () => {
    const a = await (await post("/embeddings", { model: "mock-embed", input: ["same", "other"] })).json();
    const b = await (await post("/embeddings", { model: "mock-embed", input: "same", dimensions: 16 })).json();
    assert.equal(a.object, "list");
    assert.deepEqual(a.data.map((/** @type {any} */ d) => [d.object, d.index, d.embedding.length]), [["embedding", 0, 8], ["embedding", 1, 8]]);
    assert.notDeepEqual(a.data[0].embedding, a.data[1].embedding);
    const again = await (await post("/embeddings", { model: "mock-embed", input: "same" })).json();
    assert.deepEqual(again.data[0].embedding, a.data[0].embedding);
    assert.equal(b.data[0].embedding.length, 16);
    const norm = Math.hypot(...a.data[0].embedding);
    assert.ok(Math.abs(norm - 1) < 1e-6, `unit length, got ${norm}`);
    assert.deepEqual(a.usage, { prompt_tokens: 2, total_tokens: 2 });
  });

  test("token arrays and base64 (float32 little-endian)", async () => {
    const tokens = await (await post("/embeddings", { model: "mock-embed", input: [[1, 2, 3], [4]] })).json();
    assert.equal(tokens.data.length, 2);
    assert.equal(tokens.usage.prompt_tokens, 4);
    const single = await (await post("/embeddings", { model: "mock-embed", input: [1, 2, 3] })).json();
    assert.deepEqual(single.data[0].embedding, tokens.data[0].embedding);

    const float = await (await post("/embeddings", { model: "mock-embed", input: "x y" })).json();
    const b64 = await (await post("/embeddings", { model: "mock-embed", input: "x y", encoding_format: "base64" })).json();
    const bytes = Buffer.from(b64.data[0].embedding, "base64");
    assert.equal(bytes.length, 8 * 4);
    const decoded = Array.from({ length: 8 }, (_, i) => bytes.readFloatLE(i * 4));
    assert.deepEqual(decoded, float.data[0].embedding);
  });

  test("rejects an empty input", async () => {
    assert.equal((await errorOf(await post("/embeddings", { model: "mock-embed", input: [] }))).param, "input");
  });
});

describe("legacy completions", () => {
  test("echoes the prompt", async () => {
    const body = await (await post("/completions", { model: "mock-instruct", prompt: "say this is a test", max_tokens: 3 })).json();
    assert.equal(body.object, "text_completion");
    assert.deepEqual(body.choices, [{ text: "say this is", index: 0, logprobs: null, finish_reason: "length" }]);
    assert.deepEqual(body.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  test("streams text chunks then [DONE]", async () => {
    const events = parseSse(await (await post("/completions", { model: "mock-instruct", prompt: "x y", stream: true })).text());
    assert.equal(events.at(-1)?.data, "[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    assert.equal(chunks.map((c) => c.choices[0].text).join(""), "x y");
    assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
    assert.ok(chunks.every((c) => c.object === "text_completion"));
  });
});

describe("faults", () => {
  test("error statuses with OpenAI-shaped bodies", async () => {
    const cases = [
      ["mock-fault-500", 500, "server_error"],
      ["mock-fault-503", 503, "server_error"],
      ["mock-fault-429", 429, "requests"],
      ["mock-fault-400", 400, "invalid_request_error"],
    ];
    for (const [model, status, type] of cases) {
      for (const path of ["/chat/completions", "/responses", "/embeddings", "/completions"]) {
        const res = await post(path, { model, messages: [{ role: "user", content: "x" }], input: "x", prompt: "x" });
        assert.equal(res.status, status, `${model} ${path}`);
        assert.equal((await errorOf(res)).type, type);
        if (status === 429) assert.equal(res.headers.get("retry-after"), "7");
      }
    }
    const bad = await errorOf(await post("/chat/completions", chat("x", { model: "mock-fault-400" })));
    assert.equal(bad.param, "messages");
  });

  test("redirect", async () => {
    const res = await post("/chat/completions", chat("x", { model: "mock-redirect" }), { redirect: "manual" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "http://127.0.0.1:9/elsewhere");
  });

  test("hang ends when the request is aborted", async () => {
    const llm = createMockLlm();
    const aborter = new AbortController();
    const started = Date.now();
    const pending = llm(new Request("http://mock/v1/chat/completions", { method: "POST", body: JSON.stringify(chat("x", { model: "mock-hang" })), signal: aborter.signal }));
    const raced = await Promise.race([pending.then(() => "answered"), new Promise((r) => setTimeout(r, 200, "hanging"))]);
    assert.equal(raced, "hanging");
    aborter.abort();
    await pending;
    assert.ok(Date.now() - started < 2000);

    // Over HTTP: the client gives up, and close() does not wait for the hang either.
    await assert.rejects(post("/chat/completions", chat("x", { model: "mock-hang" }), { signal: AbortSignal.timeout(200) }), { name: "TimeoutError" });
    const other = await startMockServer();
    const hung = fetch(`${other.url}/responses`, { method: "POST", body: JSON.stringify({ model: "mock-hang", input: "x" }) }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t = Date.now();
    await other.close();
    assert.ok(Date.now() - t < 2000);
    assert.ok((await hung) instanceof Error);
  });

  test("cut-stream ends cleanly without the final chunk or [DONE]", async () => {
    const text = await (await post("/chat/completions", chat("a b c d e f", { model: "mock-cut-stream", stream: true }))).text();
    const events = parseSse(text);
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.data !== "[DONE]" && JSON.parse(e.data).choices[0].finish_reason === null));

    const resp = parseSse(await (await post("/responses", { model: "mock-cut-stream", input: "a b c d e f", stream: true })).text());
    assert.ok(resp.length > 4 && !resp.some((e) => e.event === "response.completed"));
    assert.equal(resp.at(-1)?.event, "response.output_text.delta");
  });

  test("error-stream breaks the body mid-way", async () => {
    const res = await post("/chat/completions", chat("a b c d e f", { model: "mock-error-stream", stream: true }));
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
  });

  test("stall-stream sends two events then nothing until aborted", async () => {
    const aborter = new AbortController();
    const res = await post("/completions", { model: "mock-stall-stream", prompt: "a b c d", stream: true }, { signal: aborter.signal });
    const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader();
    let text = "";
    while ((text.match(/\n\n/g)?.length ?? 0) < 2) text += new TextDecoder().decode((await reader.read()).value);
    assert.equal(parseSse(text).length, 2);
    const next = await Promise.race([reader.read().then(() => "more"), new Promise((r) => setTimeout(r, 300, "stalled"))]);
    assert.equal(next, "stalled");
    aborter.abort();
    await assert.rejects(reader.read());
  });

  test("slow-stream waits 150 ms between events", async () => {
    const started = Date.now();
    const events = parseSse(await (await post("/chat/completions", chat("a b", { model: "mock-slow-stream", stream: true }))).text());
    assert.equal(events.length, 4);
    assert.ok(Date.now() - started >= 3 * 150 - 20, `took ${Date.now() - started} ms`);
  });

  test("huge: ~40 MB of valid JSON, streamed", async () => {
    const res = await post("/chat/completions", chat("x", { model: "mock-huge" }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), null);
    const text = await res.text();
    assert.ok(text.length >= 40 * 1024 * 1024, `got ${text.length} bytes`);
    assert.equal(JSON.parse(text).choices[0].message.content.length, 40 * 1024 * 1024);

    const stream = await post("/chat/completions", chat("x", { model: "mock-huge", stream: true }));
    const reader = /** @type {ReadableStream<Uint8Array>} */ (stream.body).getReader();
    let bytes = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.length;
    assert.ok(bytes >= 40 * 1024 * 1024);
  });

  test("echo-headers shows what reached the upstream", async () => {
    const body = await (await post("/chat/completions", chat("x", { model: "mock-echo-headers" }), { headers: { authorization: `Bearer ${KEY}`, "X-Custom": "1" } })).json();
    const echo = JSON.parse(body.choices[0].message.content);
    assert.equal(echo.url, `${mock.url}/chat/completions`);
    assert.equal(echo.headers.authorization, `Bearer ${KEY}`);
    assert.equal(echo.headers["x-custom"], "1");
  });

  test("leaky-headers carries headers a gateway must drop", async () => {
    const res = await post("/responses", { model: "mock-leaky-headers", input: "x" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("openai-organization"), "org-secret");
    assert.equal(res.headers.get("x-upstream-internal"), "yes");
    assert.deepEqual(res.headers.getSetCookie(), ["upstream=1"]);
    assert.equal(res.headers.get("authorization"), "Bearer sk-upstream");
    assert.equal((await res.json()).output[0].content[0].text, "x");
  });
});

describe("test-only models for response protection", () => {
  test("mock-chunks-N streams the echo in N-character pieces", async () => {
    const text = "mail a@b.co now";
    const events = parseSse(await (await post("/chat/completions", chat(text, { model: "mock-chunks-3", stream: true }))).text());
    const pieces = events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? "").filter((p) => p !== "");
    assert.deepEqual(pieces, ["mai", "l a", "@b.", "co ", "now"]);
  });

  test("mock-tool-echo answers with a tool call carrying the echo, plain and streamed", async () => {
    const plain = await (await post("/chat/completions", chat("hi there", { model: "mock-tool-echo" }))).json();
    assert.equal(plain.choices[0].finish_reason, "tool_calls");
    assert.deepEqual(JSON.parse(plain.choices[0].message.tool_calls[0].function.arguments), { text: "hi there" });
    const events = parseSse(await (await post("/chat/completions", chat("hi there", { model: "mock-tool-echo", stream: true }))).text());
    const args = events
      .filter((e) => e.data !== "[DONE]")
      .map((e) => JSON.parse(e.data).choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? "")
      .join("");
    assert.deepEqual(JSON.parse(args), { text: "hi there" });
    assert.equal(events.at(-1)?.data, "[DONE]");
  });
});

describe("mock-logit, a low-rank logit model", () => {
  /** @param {string} content @param {object} [more] */
  const logitChat = (content, more = {}) => post("/chat/completions", { model: "mock-logit", messages: [{ role: "user", content }], ...more });
  /** @param {{ token: string, logprob: number }[]} top @returns {Map<string, number>} */
  const byToken = (top) => new Map(top.map((t) => [t.token.trim(), t.logprob]));

  test("deterministic greedy tokens t<i>, n identical choices, finish_reason length", async () => {
    const one = await (await logitChat("the same prompt", { max_tokens: 3, logprobs: true, top_logprobs: 2, n: 2 })).json();
    const two = await (await logitChat("the   same prompt", { max_tokens: 3, logprobs: true, top_logprobs: 2 })).json();
    assert.equal(one.choices.length, 2);
    assert.deepEqual(one.choices[1].message, one.choices[0].message);
    assert.match(one.choices[0].message.content, /^t\d+ t\d+ t\d+$/);
    assert.deepEqual(two.choices[0].message, one.choices[0].message, "spacing does not change the context");
    assert.deepEqual(two.choices[0].logprobs, one.choices[0].logprobs);
    assert.equal(one.choices[0].finish_reason, "length");
    assert.deepEqual(one.usage, { prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    const shorter = await (await logitChat("the same prompt", { max_tokens: 2 })).json();
    assert.ok(one.choices[0].message.content.startsWith(shorter.choices[0].message.content));
    const content = one.choices[0].logprobs.content;
    assert.deepEqual(content.map((/** @type {{ token: string }} */ t) => t.token).join(""), one.choices[0].message.content);
    assert.deepEqual(content[1].bytes, [...new TextEncoder().encode(content[1].token)]);
    assert.equal(content[0].top_logprobs[0].token, content[0].token, "greedy: the chosen token is the most likely");
    const other = await (await logitChat("another prompt")).json();
    assert.equal(other.choices[0].logprobs, null);
    assert.notEqual(other.choices[0].message.content, one.choices[0].message.content.split(" ")[0]);
  });

  test("logit_bias makes a token the argmax", async () => {
    const plain = await (await logitChat("bias me")).json();
    assert.notEqual(plain.choices[0].message.content, "t1234");
    const biased = await (await logitChat("bias me", { logit_bias: { 1234: 100 }, max_tokens: 2 })).json();
    assert.equal(biased.choices[0].message.content, "t1234 t1234");
  });

  test("top_logprobs: at most 5 entries; above 20, or without logprobs, a 400", async () => {
    const body = await (await logitChat("how many", { logprobs: true, top_logprobs: 20 })).json();
    assert.equal(body.choices[0].logprobs.content[0].top_logprobs.length, 5);
    const three = await (await logitChat("how many", { logprobs: true, top_logprobs: 3 })).json();
    assert.equal(three.choices[0].logprobs.content[0].top_logprobs.length, 3);
    assert.equal((await errorOf(await logitChat("how many", { logprobs: true, top_logprobs: 21 }))).param, "top_logprobs");
    assert.equal((await errorOf(await logitChat("how many", { top_logprobs: 2 }))).param, "top_logprobs");
  });

  test("logprobs are log-softmax of the biased logits: a bias B shifts a token against another by B", async () => {
    const plain = await (await logitChat("shift test", { logprobs: true, top_logprobs: 5 })).json();
    const top = plain.choices[0].logprobs.content[0].top_logprobs;
    const total = top.reduce((/** @type {number} */ sum, /** @type {{ logprob: number }} */ t) => sum + Math.exp(t.logprob), 0);
    assert.ok(total > 0 && total < 1);
    const ref = top[0].token;
    const target = top[3].token;
    const id = Number(target.slice(1));
    for (const bias of [0.75, 2.5, -0.25]) {
      const body = await (await logitChat("shift test", { logprobs: true, top_logprobs: 5, logit_bias: { [id]: bias } })).json();
      const after = byToken(body.choices[0].logprobs.content[0].top_logprobs);
      const before = byToken(top);
      const shift = (/** @type {number} */ (after.get(target)) - /** @type {number} */ (after.get(ref))) - (/** @type {number} */ (before.get(target)) - /** @type {number} */ (before.get(ref)));
      assert.ok(Math.abs(shift - bias) < 1e-4, `shift ${shift} for bias ${bias}`);
      assert.ok(/** @type {number} */ (after.get(ref)) < /** @type {number} */ (before.get(ref)) === bias > 0, "the reference loses mass when another token gains");
    }
  });

  test("legacy completions: echo scores the prompt's words, logprobs in the legacy shape", async () => {
    const next = await (await post("/completions", { model: "mock-logit", prompt: "hello t5", logprobs: 5 })).json();
    const lp = next.choices[0].logprobs;
    assert.match(next.choices[0].text, /^ t\d+$/);
    assert.deepEqual(lp.tokens, [next.choices[0].text]);
    assert.deepEqual(lp.text_offset, ["hello t5".length]);
    assert.equal(Object.keys(lp.top_logprobs[0]).length, 5);
    assert.equal(lp.top_logprobs[0][lp.tokens[0]], lp.token_logprobs[0]);

    const prompt = `hello t5${next.choices[0].text}`;
    const echo = await (await post("/completions", { model: "mock-logit", prompt, echo: true, logprobs: 1, max_tokens: 1 })).json();
    const e = echo.choices[0].logprobs;
    assert.ok(echo.choices[0].text.startsWith(prompt));
    assert.equal(e.tokens.join(""), echo.choices[0].text);
    assert.deepEqual(e.tokens.slice(0, 3), ["hello", " t5", next.choices[0].text]);
    assert.deepEqual(e.text_offset, [0, 5, 8, prompt.length]);
    assert.equal(e.token_logprobs[0], null);
    assert.equal(e.top_logprobs[0], null);
    assert.equal(e.token_logprobs[2], lp.token_logprobs[0], "a prompt word t<i> gets the model's logprob of i");
    assert.ok(e.token_logprobs.slice(1).every((/** @type {number} */ x) => x < 0));
    const scoreOnly = await (await post("/completions", { model: "mock-logit", prompt, echo: true, logprobs: 0, max_tokens: 0 })).json();
    assert.equal(scoreOnly.choices[0].text, prompt);
    assert.deepEqual(scoreOnly.choices[0].logprobs.token_logprobs, e.token_logprobs.slice(0, 3));
    assert.equal((await errorOf(await post("/completions", { model: "mock-logit", prompt, logprobs: 6 }))).param, "logprobs");
  });

  test("bad logit_bias, streaming and model sizes out of range are errors", async () => {
    for (const logit_bias of [{ 8192: 1 }, { "-1": 1 }, { abc: 1 }, { 5: 101 }, Object.fromEntries(Array.from({ length: 301 }, (_, i) => [i, 1]))]) {
      const res = await logitChat("x", { logit_bias });
      assert.equal(res.status, 400, JSON.stringify(logit_bias).slice(0, 40));
      assert.equal((await errorOf(res)).param, "logit_bias");
    }
    const small = await logitChat("x", { model: "mock-logit-v16-h2", logit_bias: { 15: 100 } });
    assert.equal((await small.json()).choices[0].message.content, "t15");
    assert.equal((await logitChat("x", { model: "mock-logit-v16-h2", logit_bias: { 16: 1 } })).status, 400);
    assert.equal((await errorOf(await logitChat("x", { model: "mock-logit-v70000-h2" }))).code, "model_not_found");
    assert.equal((await errorOf(await logitChat("x", { stream: true }))).param, "stream");
  });
});

test("tokenize keeps the text", () => {
  assert.deepEqual(tokenize("  Hello  big\nworld "), ["  Hello", "  big", "\nworld "]);
  assert.deepEqual(tokenize("   "), []);
});

describe("the official openai SDK reads the wire format", () => {
  /** @type {OpenAI} */
  let client;
  before(() => {
    client = new OpenAI({ baseURL: mock.url, apiKey: KEY, maxRetries: 0 });
  });

  test("chat, plain and streamed", async () => {
    const done = await client.chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "hello sdk" }] });
    assert.equal(done.choices[0]?.message.content, "hello sdk");
    const stream = await client.chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "hello sdk stream" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, "hello sdk stream");
    assert.equal(usage?.completion_tokens, 3);
  });

  test("responses, plain and streamed", async () => {
    const res = await client.responses.create({ model: "mock-gpt", input: "hello responses" });
    assert.equal(res.output_text, "hello responses");
    const runner = client.responses.stream({ model: "mock-gpt", input: "streamed responses here" });
    const deltas = [];
    runner.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await runner.finalResponse();
    assert.equal(final.output_text, "streamed responses here");
    assert.equal(deltas.length, 3);
    const raw = await client.responses.create({ model: "mock-gpt", input: "x y", stream: true });
    const types = [];
    for await (const event of raw) types.push(event.type);
    assert.equal(types.at(-1), "response.completed");
  });

  test("embeddings (the SDK asks for base64 and decodes it)", async () => {
    const res = await client.embeddings.create({ model: "mock-embed", input: ["a", "b"] });
    assert.equal(res.data.length, 2);
    assert.equal(res.data[0]?.embedding.length, 8);
    const plain = await (await post("/embeddings", { model: "mock-embed", input: "a" })).json();
    assert.deepEqual(res.data[0]?.embedding, plain.data[0].embedding);
  });

  test("errors and models", async () => {
    await assert.rejects(client.chat.completions.create({ model: "mock-fault-400", messages: [{ role: "user", content: "x" }] }), (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.equal(err.param, "messages");
      return true;
    });
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    assert.ok(models.includes("mock-gpt"));
  });

  test("files and fine-tuning: upload, list, content, a job that has succeeded by the next GET, delete", async () => {
    const jsonl = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), "train.jsonl"), purpose: "fine-tune" });
    assert.equal(file.object, "file");
    assert.equal(file.bytes, Buffer.byteLength(jsonl));
    const listed = [];
    for await (const f of client.files.list({ purpose: "fine-tune" })) listed.push(f.id);
    assert.ok(listed.includes(file.id));
    assert.equal(await (await client.files.content(file.id)).text(), jsonl);

    const job = await client.fineTuning.jobs.create({ model: "mock-gpt", training_file: file.id, suffix: "t" });
    assert.equal(job.status, "queued");
    const done = await client.fineTuning.jobs.retrieve(job.id);
    assert.equal(done.status, "succeeded");
    assert.match(done.fine_tuned_model ?? "", /^ft:mock-gpt:aigis-mock:t:/);
    assert.equal(done.result_files.length, 1);
    await assert.rejects(client.fineTuning.jobs.cancel(job.id), OpenAI.BadRequestError);

    assert.deepEqual(await client.files.delete(file.id), { id: file.id, object: "file", deleted: true });
    await assert.rejects(client.files.retrieve(file.id), OpenAI.NotFoundError);
    // Only `file` and `purpose` are accepted, and a job needs a training file.
    const form = new FormData();
    form.append("purpose", "fine-tune");
    form.append("file", new File([jsonl], "t.jsonl"));
    form.append("expires_after", "3600");
    const extra = await fetch(`${mock.url}/files`, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: form });
    assert.equal((await errorOf(extra)).param, "expires_after");
    await assert.rejects(client.fineTuning.jobs.create({ model: "mock-gpt", training_file: "file-missing" }), OpenAI.BadRequestError);
  });
});
