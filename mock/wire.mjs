// @ts-check
/**
 * The OpenAI wire format as the mock LLM writes it: bodies and SSE event sequences for
 * Chat Completions, Responses, legacy Completions and Embeddings, plus the word "tokenizer"
 * and the error shape (`ApiError`) every mock route answers with.
 * Pure functions of their inputs (ids aside), so they are easy to read against the API reference.
 */
import { sseEvent } from "./stream.mjs";

/** A fixed `created` keeps bodies reproducible (2025-01-01T00:00:00Z). */
export const CREATED = 1_735_689_600;

/**
 * One answer (one choice): the streamed pieces, their concatenation and why it stopped.
 * @typedef {{ pieces: string[], content: string, finish: "stop" | "length" }} Reply
 */

/** @typedef {{ prompt: number, completion: number }} Tokens */

/**
 * What a text endpoint needs to write its answer.
 * @typedef {object} TextAnswer
 * @property {string} model the request's model, echoed back
 * @property {Reply[]} replies one per choice, in choice order
 * @property {number} promptTokens
 * @property {boolean} includeUsage `stream_options.include_usage` (Chat and legacy Completions)
 */

/**
 * Splits text into "tokens": one per whitespace-separated word, each carrying the whitespace
 * before it; trailing whitespace stays on the last piece. Joining the pieces gives the text back.
 * @param {string} text
 * @returns {string[]}
 * @example tokenize("Hello  big\nworld ") // ["Hello", "  big", "\nworld "]
 */
export function tokenize(text) {
  const pieces = text.match(/\s*\S+/g) ?? [];
  const trailing = text.slice(text.trimEnd().length);
  if (pieces.length > 0 && trailing !== "") pieces[pieces.length - 1] += trailing;
  return pieces;
}

/**
 * The number of "tokens" (words) in `text`.
 * @param {string} text
 * @returns {number}
 */
export function countTokens(text) {
  return text.match(/\S+/g)?.length ?? 0;
}

/**
 * The echo of `text`, cut to its first `limit` words when it has more.
 * @param {string} text
 * @param {number | undefined} limit
 * @returns {Reply}
 */
export function makeReply(text, limit) {
  const all = tokenize(text);
  if (limit === undefined || all.length <= limit) return { pieces: all, content: all.join(""), finish: "stop" };
  const pieces = all.slice(0, limit);
  return { pieces, content: pieces.join(""), finish: "length" };
}

/** @param {string} prefix @returns {string} */
export const newId = (prefix) => `${prefix}${crypto.randomUUID().replaceAll("-", "")}`;

/** @param {TextAnswer} a @returns {Tokens} */
function tokens(a) {
  return { prompt: a.promptTokens, completion: a.replies.reduce((sum, r) => sum + r.pieces.length, 0) };
}

/** @param {Tokens} t */
const chatUsage = (t) => ({ prompt_tokens: t.prompt, completion_tokens: t.completion, total_tokens: t.prompt + t.completion });

/**
 * Pieces of all choices interleaved by position, as a real multi-choice stream arrives.
 * @param {Reply[]} replies
 * @returns {Generator<{ index: number, piece: string, first: boolean }>}
 */
function* interleave(replies) {
  const longest = Math.max(1, ...replies.map((r) => r.pieces.length));
  for (let i = 0; i < longest; i++) {
    for (const [index, r] of replies.entries()) {
      // A reply without words still announces itself with one empty piece.
      if (i < r.pieces.length || (i === 0 && r.pieces.length === 0)) yield { index, piece: r.pieces[i] ?? "", first: i === 0 };
    }
  }
}

/**
 * How an endpoint writes its answer. `preamble`: events before the first text delta;
 * `textCopies`: how many times a stream carries the whole text (Responses repeats it at the end).
 * @typedef {{ object: (a: TextAnswer) => object, events: (a: TextAnswer) => Generator<string>, preamble: number, textCopies: number }} Wire
 */

/** @type {Wire} */
export const chatWire = {
  object(a) {
    return {
      id: newId("chatcmpl-"),
      object: "chat.completion",
      created: CREATED,
      model: a.model,
      choices: a.replies.map((r, index) => ({
        index,
        message: { role: "assistant", content: r.content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: r.finish,
      })),
      usage: chatUsage(tokens(a)),
      service_tier: "default",
      system_fingerprint: null,
    };
  },
  /** One chunk per word and choice (the first carries the role), one closing chunk per choice, usage, [DONE]. */
  *events(a) {
    const base = { id: newId("chatcmpl-"), object: "chat.completion.chunk", created: CREATED, model: a.model, service_tier: "default", system_fingerprint: null };
    const usageNull = a.includeUsage ? { usage: null } : {};
    for (const { index, piece, first } of interleave(a.replies)) {
      const delta = first ? { role: "assistant", content: piece, refusal: null } : { content: piece };
      yield sseEvent({ ...base, choices: [{ index, delta, logprobs: null, finish_reason: null }], ...usageNull });
    }
    for (const [index, r] of a.replies.entries()) {
      yield sseEvent({ ...base, choices: [{ index, delta: {}, logprobs: null, finish_reason: r.finish }], ...usageNull });
    }
    if (a.includeUsage) yield sseEvent({ ...base, choices: [], usage: chatUsage(tokens(a)) });
    yield sseEvent("[DONE]");
  },
  preamble: 0,
  textCopies: 1,
};

/** @type {Wire} */
export const completionWire = {
  object(a) {
    return {
      id: newId("cmpl-"),
      object: "text_completion",
      created: CREATED,
      model: a.model,
      choices: a.replies.map((r, index) => ({ text: r.content, index, logprobs: null, finish_reason: r.finish })),
      usage: chatUsage(tokens(a)),
      system_fingerprint: null,
    };
  },
  *events(a) {
    const base = { id: newId("cmpl-"), object: "text_completion", created: CREATED, model: a.model, system_fingerprint: null };
    for (const { index, piece } of interleave(a.replies)) {
      yield sseEvent({ ...base, choices: [{ text: piece, index, logprobs: null, finish_reason: null }] });
    }
    for (const [index, r] of a.replies.entries()) {
      yield sseEvent({ ...base, choices: [{ text: "", index, logprobs: null, finish_reason: r.finish }] });
    }
    if (a.includeUsage) yield sseEvent({ ...base, choices: [], usage: chatUsage(tokens(a)) });
    yield sseEvent("[DONE]");
  },
  preamble: 0,
  textCopies: 1,
};

/**
 * A `response` object. A reply cut by `max_output_tokens` is "incomplete", as the real API says.
 * @param {TextAnswer} a
 * @param {{ id: string, itemId: string, done: boolean }} at
 */
function responseObject(a, at) {
  const reply = /** @type {Reply} */ (a.replies[0]);
  const t = tokens(a);
  const status = !at.done ? "in_progress" : reply.finish === "length" ? "incomplete" : "completed";
  return {
    id: at.id,
    object: "response",
    created_at: CREATED,
    status,
    background: false,
    error: null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: null,
    max_output_tokens: null,
    model: a.model,
    output: at.done ? [messageItem(at.itemId, reply.content, true)] : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage: at.done
      ? {
          input_tokens: t.prompt,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: t.completion,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: t.prompt + t.completion,
        }
      : null,
    user: null,
    metadata: {},
  };
}

/** @param {string} text */
const outputText = (text) => ({ type: "output_text", text, annotations: [], logprobs: [] });

/** @param {string} id @param {string} text @param {boolean} done */
function messageItem(id, text, done) {
  return { id, type: "message", status: done ? "completed" : "in_progress", role: "assistant", content: done ? [outputText(text)] : [] };
}

/** @type {Wire} */
export const responsesWire = {
  object(a) {
    return responseObject(a, { id: newId("resp_"), itemId: newId("msg_"), done: true });
  },
  /** The event sequence of the Responses API; each event names its type and has a sequence_number. */
  *events(a) {
    const at = { id: newId("resp_"), itemId: newId("msg_"), done: false };
    const reply = /** @type {Reply} */ (a.replies[0]);
    let seq = 0;
    /** @param {string} type @param {object} fields */
    const ev = (type, fields) => sseEvent({ type, sequence_number: seq++, ...fields }, type);
    const part = { item_id: at.itemId, output_index: 0, content_index: 0 };

    yield ev("response.created", { response: responseObject(a, at) });
    yield ev("response.in_progress", { response: responseObject(a, at) });
    yield ev("response.output_item.added", { output_index: 0, item: messageItem(at.itemId, "", false) });
    yield ev("response.content_part.added", { ...part, part: outputText("") });
    for (const delta of reply.pieces) yield ev("response.output_text.delta", { ...part, delta, logprobs: [] });
    yield ev("response.output_text.done", { ...part, text: reply.content, logprobs: [] });
    yield ev("response.content_part.done", { ...part, part: outputText(reply.content) });
    yield ev("response.output_item.done", { output_index: 0, item: messageItem(at.itemId, reply.content, true) });
    const final = responseObject(a, { ...at, done: true });
    yield ev(final.status === "incomplete" ? "response.incomplete" : "response.completed", { response: final });
  },
  preamble: 4,
  textCopies: 5,
};

/**
 * A deterministic unit vector for one embeddings input: FNV-1a of the input seeds xorshift32.
 * Values are float32, so the `float` and `base64` encodings carry exactly the same numbers.
 * @param {string | number[]} input
 * @param {number} dimensions
 * @returns {Float32Array}
 */
export function embedVector(input, dimensions) {
  const key = typeof input === "string" ? `s:${input}` : `t:${input.join(",")}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  h ||= 0x9e3779b9;
  const raw = new Float64Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    h >>>= 0;
    const v = (h / 0xffffffff) * 2 - 1;
    raw[i] = v;
    norm += v ** 2;
  }
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(raw, (x) => x / norm);
}

/**
 * Base64 of the vector as float32 little-endian, the format of `encoding_format: "base64"`.
 * @param {Float32Array} vector
 * @returns {string}
 */
export function float32Base64(vector) {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true));
  let binary = "";
  for (const byte of new Uint8Array(view.buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** An error answered with the OpenAI error shape; thrown by request validation. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {{ type?: string, code?: string | null, param?: string | null, headers?: Record<string, string> }} [more]
   */
  constructor(status, message, { type = "invalid_request_error", code = null, param = null, headers = {} } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
    this.headers = headers;
  }

  toResponse() {
    const error = { message: this.message, type: this.type, code: this.code, param: this.param };
    return json({ error }, this.status, new Headers(this.headers));
  }
}

/** @param {unknown} value @param {number} [status] @param {Headers} [headers] */
export function json(value, status = 200, headers = new Headers()) {
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(value), { status, headers });
}
