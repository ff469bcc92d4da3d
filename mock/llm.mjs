// @ts-check
/**
 * A mock OpenAI-compatible LLM for Aigis's tests, benchmarks and `npm start`.
 *
 * `createMockLlm()` returns `(request: Request) => Promise<Response>` built on web-standard APIs
 * only, so the same handler serves from Node (mock/server.mjs, vitest.config.ts) or workerd.
 * Routes match on the path suffix, so any base path ending in `/v1` works:
 *
 *   POST …/v1/chat/completions  echoes the last user message (n, max tokens, stream, include_usage)
 *   POST …/v1/responses         echoes `input` (a string, or the last user message's text)
 *   POST …/v1/embeddings        deterministic unit vectors (8 dims or `dimensions`), float or base64
 *   POST …/v1/completions       legacy completion echoing each prompt
 *   GET  …/v1/models[/id]       mock-gpt, mock-gpt-mini, mock-embed, mock-instruct
 *   …/v1/files, …/v1/fine_tuning/jobs   uploads, downloads and fine-tuning jobs, in memory per
 *                               mock instance (mock/files.mjs)
 *   anything else               404, OpenAI-shaped
 *
 * Tokens are approximated as whitespace-separated words (see wire.mjs `tokenize`): the reply to
 * "a b c" uses 3 completion tokens; `max_completion_tokens ?? max_tokens` (Chat), `max_tokens`
 * (Completions) or `max_output_tokens` (Responses) = K keeps the first K words and reports
 * finish_reason "length" (Responses: status "incomplete"). Streams send one event per word.
 * Every error body is `{"error":{"message","type","code","param"}}`, as the OpenAI SDKs read it.
 * Any model name is accepted; the names below inject faults.
 *
 * | model              | effect (on every POST endpoint unless noted)                                 |
 * |--------------------|-------------------------------------------------------------------------------|
 * | mock-fault-500     | 500 server_error                                                              |
 * | mock-fault-503     | 503 server_error, code service_unavailable                                    |
 * | mock-fault-429     | 429 rate_limit_exceeded with `retry-after: 7`                                 |
 * | mock-fault-400     | 400 invalid_request_error with param "messages"                               |
 * | mock-hang          | no answer until the request's signal aborts (after 120 s: 504)                |
 * | mock-redirect      | 302 to http://127.0.0.1:9/elsewhere                                           |
 * | mock-huge          | 200 JSON of ~40 MB in 64 KiB pieces, no content-length; with `stream: true`   |
 * |                    | ~40 MB of SSE events of 64 KiB deltas (text endpoints; embeddings: normal)    |
 * | mock-gzip-bomb     | 200 JSON whose ~40 MB answer is sent gzip-compressed (content-encoding gzip,   |
 * |                    | content-length of the ~40 KB compressed body); no streaming                   |
 * | mock-cut-stream    | streams: a few events, then a clean end without the final chunk or [DONE]     |
 * | mock-error-stream  | streams: a few events, then the body errors (the server drops the connection) |
 * | mock-stall-stream  | streams: two events, then silence until aborted (after 120 s: closes)         |
 * | mock-slow-stream   | streams: a normal stream with 150 ms between events, whatever chunkDelayMs    |
 * | mock-echo-headers  | text endpoints: the reply is JSON {"url", "headers"} of what reached the mock |
 * | mock-echo-request  | text endpoints: like mock-echo-headers, plus the parsed request "body"      |
 * | mock-leaky-headers | text endpoints: a normal answer that also carries openai-organization,        |
 * |                    | x-upstream-internal, set-cookie and authorization response headers            |
 * | mock-chunks-N      | text endpoints: the normal echo, but streamed in pieces of N characters       |
 * |                    | (1-99) instead of words, so a word or an entity is split inside itself       |
 * | mock-pretty        | plain (non-streamed) text answers: the normal JSON body, pretty-printed with  |
 * |                    | two-space indents, as some providers and proxies send it                      |
 * | mock-tool-echo     | chat: the echo comes back as a call of tool `echo` with arguments            |
 * |                    | {"text": <echo>}; streamed as 5-character argument pieces                    |
 * | mock-logit         | chat and legacy completions: a real low-rank logit model (V = 8192 tokens     |
 * |                    | `t<i>`, hidden size H = 64) decoding greedily, honouring logit_bias, logprobs |
 * |                    | (at most 5 top_logprobs) and echo; no streaming (see logits.mjs)              |
 * | mock-logit-vV-hH   | the same with vocabulary V (<= 65536) and hidden size H (<= 512)              |
 *
 * The stream faults only change streamed answers; without `stream: true` the answer is normal.
 */
import { gzipSync } from "node:zlib";
import { MAX_WAIT_MS, CHUNK_BYTES, fillerBody, sleep, sseEvent, sseResponse, take } from "./stream.mjs";
import { LogitRequestError, logitChat, logitCompletion, parseLogitModel } from "./logits.mjs";
import { createFileStore } from "./files.mjs";
import {
  ApiError,
  CREATED,
  chatWire,
  completionWire,
  countTokens,
  embedVector,
  float32Base64,
  json,
  makeReply,
  newId,
  responsesWire,
} from "./wire.mjs";

/** @typedef {import("./wire.mjs").Reply} Reply */
/** @typedef {import("./wire.mjs").TextAnswer} TextAnswer */
/** @typedef {import("./wire.mjs").Wire} Wire */
/** @typedef {Record<string, unknown>} Body */
/** @typedef {{ body: Body, model: string, request: Request, delayMs: number }} Ctx */

/** The models GET /v1/models lists. */
export const MODELS = Object.freeze(["mock-gpt", "mock-gpt-mini", "mock-embed", "mock-instruct"]);

const HUGE_BYTES = 40 * 1024 * 1024;
const HUGE_MARK = "@@aigis-mock-huge@@";
/** Content events a cut or errored stream sends before it ends. */
const FEW = 3;
const SLOW_MS = 150;

/**
 * Creates the mock LLM handler.
 * @param {{ expectedKey?: string, chunkDelayMs?: number }} [options]
 *   `expectedKey`: when set, requests need `Authorization: Bearer <key>` or `api-key: <key>`.
 *   `chunkDelayMs`: pause between two streamed events (default 0).
 * @returns {(request: Request) => Promise<Response>}
 * @example
 * const llm = createMockLlm({ expectedKey: "sk-mock" });
 * const res = await llm(new Request("http://mock/v1/chat/completions", {
 *   method: "POST",
 *   headers: { authorization: "Bearer sk-mock", "content-type": "application/json" },
 *   body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
 * }));
 */
export function createMockLlm({ expectedKey, chunkDelayMs = 0 } = {}) {
  if (expectedKey !== undefined && (typeof expectedKey !== "string" || expectedKey === "")) {
    throw new TypeError("expectedKey must be a non-empty string");
  }
  if (!Number.isFinite(chunkDelayMs) || chunkDelayMs < 0) throw new RangeError("chunkDelayMs must be a number >= 0");
  const files = createFileStore();

  return async function mockLlm(request) {
    // Read the whole body before answering anything: workerd logs an error for an unread body.
    const bytes = new Uint8Array(await request.arrayBuffer());
    try {
      if (expectedKey !== undefined && !presentsKey(request.headers, expectedKey)) {
        throw new ApiError(401, "Incorrect API key provided.", { code: "invalid_api_key" });
      }
      const url = new URL(request.url);
      const path = url.pathname.replace(/\/+$/, "");
      const stored = await files(request, path, bytes);
      if (stored !== undefined) return stored;
      const raw = new TextDecoder().decode(bytes);
      if (request.method === "GET") {
        if (path.endsWith("/v1/models")) return json({ object: "list", data: MODELS.map(modelObject) });
        const one = /\/v1\/models\/([^/]+)$/.exec(path);
        if (one) return json(modelObject(findModel(decodeURIComponent(one[1] ?? ""))));
      }
      const handle = request.method === "POST" ? ENDPOINTS.find(([suffix]) => path.endsWith(suffix))?.[1] : undefined;
      if (handle === undefined) throw new ApiError(404, `Invalid URL (${request.method} ${url.pathname})`);
      const body = parseBody(raw);
      const model = body.model;
      if (typeof model !== "string" || model === "") throw new ApiError(400, "You must provide a model parameter.", { param: "model" });
      const ctx = { body, model, request, delayMs: chunkDelayMs };
      return (await statusFault(ctx)) ?? handle(ctx);
    } catch (err) {
      if (err instanceof ApiError) return err.toResponse();
      if (err instanceof LogitRequestError) return new ApiError(err.status, err.message, { code: err.code, param: err.param }).toResponse();
      throw err;
    }
  };
}

/** @type {Array<[string, (ctx: Ctx) => Response]>} */
const ENDPOINTS = [
  ["/v1/chat/completions", chatCompletions],
  ["/v1/completions", completions],
  ["/v1/responses", responses],
  ["/v1/embeddings", embeddings],
];

/** @param {Headers} headers @param {string} key */
function presentsKey(headers, key) {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "")?.[1]?.trim();
  return bearer === key || headers.get("api-key") === key;
}

/** @param {string} id */
const modelObject = (id) => ({ id, object: "model", created: CREATED, owned_by: "aigis-mock" });

/** @param {string} id */
function findModel(id) {
  if (MODELS.includes(id)) return id;
  throw new ApiError(404, `The model '${id}' does not exist`, { code: "model_not_found", param: "model" });
}

/** @param {string} raw @returns {Body} */
function parseBody(raw) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ApiError(400, "We could not parse the JSON body of your request.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError(400, "The request body must be a JSON object.");
  return body;
}

/**
 * The faults that replace the answer on every endpoint: error statuses, hang, redirect.
 * @param {Ctx} ctx
 * @returns {Promise<Response | undefined>}
 */
async function statusFault({ model, request }) {
  switch (model) {
    case "mock-fault-500":
      throw new ApiError(500, "The server had an error while processing your request. Sorry about that!", { type: "server_error" });
    case "mock-fault-503":
      throw new ApiError(503, "The engine is currently overloaded, please try again later.", { type: "server_error", code: "service_unavailable" });
    case "mock-fault-429":
      throw new ApiError(429, "Rate limit reached for requests per min (RPM). Please try again in 7s.", {
        type: "requests",
        code: "rate_limit_exceeded",
        headers: { "retry-after": "7" },
      });
    case "mock-fault-400":
      throw new ApiError(400, "Invalid 'messages': rejected on purpose by the mock.", { code: "invalid_value", param: "messages" });
    case "mock-hang":
      await sleep(MAX_WAIT_MS, request.signal);
      throw new ApiError(504, "mock-hang gave up waiting.", { type: "server_error", code: "timeout" });
    case "mock-redirect":
      return new Response(null, { status: 302, headers: { location: "http://127.0.0.1:9/elsewhere" } });
    default:
      return undefined;
  }
}

/** @param {Ctx} ctx */
function chatCompletions(ctx) {
  const messages = ctx.body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new ApiError(400, "'messages' must be a non-empty array.", { param: "messages" });
  const texts = messages.map((m) => textOf(m?.content, ["text"]));
  const lastUser = messages.findLastIndex((m) => m?.role === "user");
  if (parseLogitModel(ctx.model) !== null) {
    return json(logitChat(ctx.body, ctx.model, lastUser < 0 ? "" : (texts[lastUser] ?? ""), countTokens(texts.join(" "))));
  }
  const n = intParam(ctx.body, "n", 1, 128) ?? 1;
  const limit = intParam(ctx.body, "max_completion_tokens", 0) ?? intParam(ctx.body, "max_tokens", 0);
  const reply = makeReply(lastUser < 0 ? "" : (texts[lastUser] ?? ""), limit);
  if (ctx.model === "mock-tool-echo") return toolEcho(ctx, reply.content, countTokens(texts.join(" ")));
  return answerText(ctx, chatWire, Array(n).fill(reply), countTokens(texts.join(" ")), (text) => Array(n).fill(makeReply(text, limit)));
}

/**
 * `text` cut into pieces of `size` characters (the last one shorter).
 * @param {string} text @param {number} size
 */
function slices(text, size) {
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/**
 * A chat answer that is one call of the tool `echo`, its arguments carrying the echo.
 * @param {Ctx} ctx @param {string} text @param {number} promptTokens
 */
function toolEcho(ctx, text, promptTokens) {
  const args = JSON.stringify({ text });
  const call = { id: "call_mock_echo", type: "function", function: { name: "echo", arguments: args } };
  const completion = countTokens(text);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
  const base = { id: newId("chatcmpl-"), created: CREATED, model: ctx.model, system_fingerprint: null };
  if (ctx.body.stream !== true) {
    const message = { role: "assistant", content: null, tool_calls: [call], refusal: null, annotations: [] };
    return json({ ...base, object: "chat.completion", choices: [{ index: 0, message, logprobs: null, finish_reason: "tool_calls" }], usage });
  }
  const chunk = { ...base, object: "chat.completion.chunk" };
  const includeUsage = /** @type {{ include_usage?: unknown } | undefined} */ (ctx.body.stream_options)?.include_usage === true;
  function* events() {
    const opening = { role: "assistant", content: null, tool_calls: [{ index: 0, id: call.id, type: "function", function: { name: "echo", arguments: "" } }] };
    yield sseEvent({ ...chunk, choices: [{ index: 0, delta: opening, logprobs: null, finish_reason: null }] });
    for (const piece of slices(args, 5)) {
      yield sseEvent({ ...chunk, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }] });
    }
    yield sseEvent({ ...chunk, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }] });
    if (includeUsage) yield sseEvent({ ...chunk, choices: [], usage });
    yield sseEvent("[DONE]");
  }
  return sseResponse(events(), { delayMs: ctx.delayMs, signal: ctx.request.signal });
}

/** @param {Ctx} ctx */
function completions(ctx) {
  const prompts = promptsOf(ctx.body.prompt);
  if (parseLogitModel(ctx.model) !== null) return json(logitCompletion(ctx.body, ctx.model, prompts));
  const n = intParam(ctx.body, "n", 1, 128) ?? 1;
  const limit = intParam(ctx.body, "max_tokens", 0);
  const replies = prompts.flatMap((p) => Array(n).fill(makeReply(p, limit)));
  return answerText(ctx, completionWire, replies, countTokens(prompts.join(" ")), (text) => [makeReply(text, limit)]);
}

/** @param {Ctx} ctx */
function responses(ctx) {
  const input = ctx.body.input;
  let texts;
  let last;
  if (typeof input === "string") {
    texts = [input];
    last = input;
  } else if (Array.isArray(input)) {
    texts = input.map((item) => textOf(item?.content, ["input_text", "text"]));
    const i = input.findLastIndex((item) => item?.role === "user");
    last = i < 0 ? "" : (texts[i] ?? "");
  } else {
    throw new ApiError(400, "Missing required parameter: 'input'.", { code: "missing_required_parameter", param: "input" });
  }
  const instructions = typeof ctx.body.instructions === "string" ? ctx.body.instructions : "";
  const limit = intParam(ctx.body, "max_output_tokens", 1);
  const promptTokens = countTokens([instructions, ...texts].join(" "));
  return answerText(ctx, responsesWire, [makeReply(last, limit)], promptTokens, (text) => [makeReply(text, limit)]);
}

/** @param {Ctx} ctx */
function embeddings(ctx) {
  const inputs = embeddingInputs(ctx.body.input);
  const dimensions = intParam(ctx.body, "dimensions", 1, 4096) ?? 8;
  const format = ctx.body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") throw new ApiError(400, "encoding_format must be 'float' or 'base64'.", { param: "encoding_format" });
  const data = inputs.map((input, index) => {
    const vector = embedVector(input, dimensions);
    return { object: "embedding", index, embedding: format === "base64" ? float32Base64(vector) : Array.from(vector) };
  });
  const promptTokens = inputs.reduce((sum, i) => sum + (typeof i === "string" ? countTokens(i) : i.length), 0);
  return json({ object: "list", data, model: ctx.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

/**
 * Writes a text endpoint's answer, applying the model's fault if it has one.
 * @param {Ctx} ctx
 * @param {Wire} wire
 * @param {Reply[]} replies one per choice
 * @param {number} promptTokens
 * @param {(text: string) => Reply[]} repliesFor the choices for another reply text (echo-headers)
 * @returns {Response}
 */
function answerText(ctx, wire, replies, promptTokens, repliesFor) {
  const { body, model, request } = ctx;
  const stream = body.stream === true;
  const options = /** @type {{ include_usage?: unknown } | undefined} */ (body.stream_options);
  const answer = { model, replies, promptTokens, includeUsage: options?.include_usage === true };
  const headers = new Headers({ "x-request-id": newId("req_") });

  if (model === "mock-echo-headers") {
    answer.replies = repliesFor(JSON.stringify({ url: request.url, headers: Object.fromEntries(request.headers) }));
  } else if (model === "mock-echo-request") {
    answer.replies = repliesFor(JSON.stringify({ url: request.url, headers: Object.fromEntries(request.headers), body }));
  } else if (model === "mock-leaky-headers") {
    headers.set("openai-organization", "org-secret");
    headers.set("x-upstream-internal", "yes");
    headers.set("set-cookie", "upstream=1");
    headers.set("authorization", "Bearer sk-upstream");
  } else if (model === "mock-huge") {
    return hugeAnswer(ctx, wire, answer, headers, stream);
  } else if (model === "mock-gzip-bomb") {
    // Small on the wire, huge once decompressed: a cap must count what the body becomes.
    const body = gzipSync(JSON.stringify(wire.object({ ...answer, replies: [{ pieces: [], content: "a".repeat(HUGE_BYTES), finish: "stop" }] })));
    headers.set("content-type", "application/json");
    headers.set("content-encoding", "gzip");
    headers.set("content-length", String(body.byteLength));
    return new Response(body, { status: 200, headers });
  }
  const chunked = /^mock-chunks-(\d{1,2})$/.exec(model);
  if (chunked !== null) {
    const size = Math.max(1, Number(chunked[1]));
    answer.replies = answer.replies.map((r) => ({ ...r, pieces: slices(r.content, size) }));
  }
  if (!stream && model === "mock-pretty") {
    headers.set("content-type", "application/json");
    return new Response(JSON.stringify(wire.object(answer), null, 2), { status: 200, headers });
  }
  if (!stream) return json(wire.object(answer), 200, headers);

  const firstContent = wire.preamble + Math.max(1, Math.min(FEW, answer.replies[0]?.pieces.length ?? 0));
  const sse = { delayMs: ctx.delayMs, signal: request.signal, headers };
  switch (model) {
    case "mock-cut-stream":
      return sseResponse(take(wire.events(answer), firstContent), sse);
    case "mock-error-stream":
      return sseResponse(take(wire.events(answer), firstContent), { ...sse, ending: "error" });
    case "mock-stall-stream":
      return sseResponse(take(wire.events(answer), 2), { ...sse, ending: "stall" });
    case "mock-slow-stream":
      return sseResponse(wire.events(answer), { ...sse, delayMs: SLOW_MS });
    default:
      return sseResponse(wire.events(answer), sse);
  }
}

/**
 * About 40 MB: a JSON body whose text field holds the filler, or a stream of 64 KiB deltas.
 * @param {Ctx} ctx @param {Wire} wire @param {TextAnswer} answer @param {Headers} headers @param {boolean} stream
 */
function hugeAnswer(ctx, wire, answer, headers, stream) {
  if (stream) {
    const piece = "a".repeat(CHUNK_BYTES);
    const pieces = Array(Math.ceil(HUGE_BYTES / CHUNK_BYTES / wire.textCopies)).fill(piece);
    // Responses' closing events repeat the whole text: a getter builds it only when they are reached.
    /** @type {Reply[]} */
    const replies = [{ pieces, get content() { return pieces.join(""); }, finish: "stop" }];
    return sseResponse(wire.events({ ...answer, replies }), { delayMs: 0, signal: ctx.request.signal, headers });
  }
  const whole = JSON.stringify(wire.object({ ...answer, replies: [{ pieces: [HUGE_MARK], content: HUGE_MARK, finish: "stop" }] }));
  const at = whole.indexOf(HUGE_MARK);
  headers.set("content-type", "application/json");
  return new Response(fillerBody(whole.slice(0, at), HUGE_BYTES, whole.slice(at + HUGE_MARK.length)), { status: 200, headers });
}

/**
 * The text of a message's `content`: a string, or the concatenated text of its parts whose
 * type is one of `partTypes`.
 * @param {unknown} content
 * @param {string[]} partTypes
 * @returns {string}
 */
function textOf(content, partTypes) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (partTypes.includes(p?.type) && typeof p.text === "string" ? p.text : "")).join("");
}

/** @param {unknown} prompt @returns {string[]} */
function promptsOf(prompt) {
  if (typeof prompt === "string") return [prompt];
  if (Array.isArray(prompt) && prompt.length > 0) {
    if (prompt.every((p) => typeof p === "string")) return prompt;
    if (prompt.every(Number.isInteger)) return [prompt.join(" ")];
    if (prompt.every((p) => Array.isArray(p) && p.every(Number.isInteger))) return prompt.map((p) => p.join(" "));
  }
  throw new ApiError(400, "'prompt' must be a string, an array of strings or token arrays.", { param: "prompt" });
}

/** @param {unknown} input @returns {Array<string | number[]>} */
function embeddingInputs(input) {
  if (typeof input === "string" && input !== "") return [input];
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((i) => typeof i === "string" && i !== "")) return input;
    if (input.every(Number.isInteger)) return [input];
    if (input.every((i) => Array.isArray(i) && i.length > 0 && i.every(Number.isInteger))) return input;
  }
  throw new ApiError(400, "'input' must be a non-empty string, array of strings or token arrays.", { param: "input" });
}

/**
 * An optional integer parameter within [min, max]; null counts as absent.
 * @param {Body} body @param {string} name @param {number} min @param {number} [max]
 * @returns {number | undefined}
 */
function intParam(body, name, min, max = Number.MAX_SAFE_INTEGER) {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ApiError(400, `Invalid '${name}': expected an integer from ${min} to ${max}.`, { code: "invalid_value", param: name });
  }
  return value;
}
