// @ts-check
/**
 * `mock-logit`: a real low-rank logit model behind the mock LLM, for model-extraction tests.
 *
 * The model has a vocabulary of V tokens and a hidden size H (plain `mock-logit`: V = 8192,
 * H = 64; `mock-logit-v<V>-h<H>`: 2 <= V <= 65536, 1 <= H <= 512, H < V). Token `i` is the word
 * `t<i>`. For a context text (its whitespace-separated words joined by single spaces, so the
 * model sees words, not spacing) the hidden state h is H Gaussian numbers from a PRNG seeded with
 * FNV-1a of that text, and the logits are W·h + b with W (V×H) and b (V) drawn once, lazily,
 * from a fixed seed. A logit has std ≈ 2.7 (2.5 from W·h, 1 from b); over the 8192 tokens one
 * prompt's logits span about 20-25, so a logit_bias of 40 or more lifts any token above all
 * unbiased ones. Every logit vector lies in an affine space of dimension H: what Carlini et al.
 * 2024 ("Stealing Part of a Production Language Model") recover (test-node/carlini.test.mjs).
 *
 * Decoding is greedy: each step takes the argmax of logits(context) + logit_bias, then appends
 * that word to the context. No end-of-text token exists, so every answer stops with
 * finish_reason "length" after `max_completion_tokens ?? max_tokens` tokens (default 1; more
 * than 16 is cut to 16). Logprobs are the log-softmax of the BIASED logits, as OpenAI reports
 * them. Each answer lists at most 5 `top_logprobs` (legacy Completions: `logprobs` ≤ 5, as
 * OpenAI's legacy endpoint caps it; Chat accepts `top_logprobs` up to 20 like OpenAI but still
 * returns at most 5). `logit_bias` takes at most 300 ids in [0, V), values in [-100, 100].
 * Streaming is not supported (400).
 *
 * Token strings are the exact pieces the text is made of: a chat reply's first token is `t<i>`,
 * later ones ` t<i>`; a legacy completion continuing a non-empty prompt gives ` t<i>` from the
 * start. Alternatives in `top_logprobs` carry the same spacing as the token at their position.
 *
 * Web-standard JS only (no Node APIs), like the rest of the mock, so it runs in workerd too.
 */
import { mulberry32 } from "./rng.mjs";
import { CREATED, newId, tokenize } from "./wire.mjs";

/** Vocabulary size of plain `mock-logit`. */
export const LOGIT_VOCAB = 8192;
/** Hidden size of plain `mock-logit`. */
export const LOGIT_HIDDEN = 64;
/** The most alternatives an answer lists per token, whatever the request asks. */
export const MAX_TOP_LOGPROBS = 5;
/** Chat's `top_logprobs` limit (OpenAI's); above it the request is a 400. */
const MAX_REQUESTED_TOP_LOGPROBS = 20;
const MAX_BIAS_ENTRIES = 300;
const MAX_BIAS = 100;
const MAX_GENERATED = 16;
const MAX_VOCAB = 65536;
const MAX_HIDDEN = 512;
/** Standard deviation of each hidden coordinate; W's entries have variance 1/H, so W·h has this spread. */
const HIDDEN_SCALE = 2.5;
/** Models kept built (weights of the largest one are 128 MB), and logit vectors cached per model. */
const MODEL_CACHE = 4;
const LOGITS_CACHE = 32;

/**
 * A request the model cannot serve; llm.mjs answers it with the OpenAI error shape.
 * Same fields as llm.mjs's ApiError.
 */
export class LogitRequestError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, code?: string | null, param?: string | null }} [more]
   */
  constructor(message, { status = 400, code = "invalid_value", param = null } = {}) {
    super(message);
    this.status = status;
    this.type = "invalid_request_error";
    this.code = code;
    this.param = param;
  }
}

/**
 * @typedef {object} LogitModel
 * @property {number} vocab V
 * @property {number} hidden H
 * @property {Float32Array} weights W, row-major V×H
 * @property {Float32Array} bias b
 * @property {Map<string, Logits>} cache unbiased logits per context text, least recently used first
 * @property {Uint8Array} mark scratch: 1 for the ids a step biases, 0 otherwise
 */

/** @typedef {{ z: Float64Array, max: number, sum: number }} Logits the logits, their max and Σ exp(z − max) */

/** @typedef {{ id: number, logprob: number }} Scored */
/** @typedef {{ id: number, logprob: number, top: Scored[] }} Step */

/**
 * Standard normal numbers (Box-Muller) from a uniform PRNG.
 * @param {() => number} uniform
 * @returns {() => number}
 */
function gaussian(uniform) {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** FNV-1a over UTF-16 code units. @param {string} text */
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * V and H of a `mock-logit` model name, or null for any other name.
 * @param {string} name
 * @returns {{ vocab: number, hidden: number } | null}
 * @throws {LogitRequestError} 404 for a `mock-logit-…` name out of the limits
 */
export function parseLogitModel(name) {
  if (name === "mock-logit") return { vocab: LOGIT_VOCAB, hidden: LOGIT_HIDDEN };
  if (!name.startsWith("mock-logit-")) return null;
  const m = /^mock-logit-v(\d{1,5})-h(\d{1,3})$/.exec(name);
  const vocab = Number(m?.[1]);
  const hidden = Number(m?.[2]);
  if (m === null || vocab < 2 || vocab > MAX_VOCAB || hidden < 1 || hidden > MAX_HIDDEN || hidden >= vocab) {
    throw new LogitRequestError(
      `The model '${name}' does not exist (mock-logit-v<V>-h<H> needs 2 <= V <= ${MAX_VOCAB}, 1 <= H <= ${MAX_HIDDEN}, H < V)`,
      { status: 404, code: "model_not_found", param: "model" },
    );
  }
  return { vocab, hidden };
}

/** @type {Map<string, LogitModel>} */
const models = new Map();

/**
 * The model of size V×H, built on first use from a fixed seed (the same weights on every run).
 * @param {number} [vocab]
 * @param {number} [hidden]
 * @returns {LogitModel}
 */
export function logitModel(vocab = LOGIT_VOCAB, hidden = LOGIT_HIDDEN) {
  const key = `${vocab}x${hidden}`;
  let model = models.get(key);
  if (model !== undefined) return model;
  const normal = gaussian(mulberry32(0x1091c5 ^ Math.imul(vocab, 0x9e3779b1) ^ hidden));
  const weights = new Float32Array(vocab * hidden);
  const scale = 1 / Math.sqrt(hidden);
  for (let i = 0; i < weights.length; i++) weights[i] = normal() * scale;
  const bias = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) bias[i] = normal();
  model = { vocab, hidden, weights, bias, cache: new Map(), mark: new Uint8Array(vocab) };
  if (models.size >= MODEL_CACHE) models.delete(/** @type {string} */ (models.keys().next().value));
  models.set(key, model);
  return model;
}

/**
 * The context text the model sees: the words of `text` joined by single spaces.
 * @param {string} text
 * @returns {string[]}
 */
const wordsOf = (text) => text.split(/\s+/).filter((w) => w !== "");

/**
 * The hidden state for a context: H Gaussian numbers (std 2.5) seeded by FNV-1a of the text.
 * @param {string} context words joined by single spaces
 * @param {number} hidden
 * @returns {Float64Array}
 */
export function hiddenState(context, hidden) {
  const normal = gaussian(mulberry32(fnv1a(context) ^ 0x5bd1e995));
  const h = new Float64Array(hidden);
  for (let j = 0; j < hidden; j++) h[j] = normal() * HIDDEN_SCALE;
  return h;
}

/**
 * The unbiased logits of a context with their maximum and Σ exp(z − max), computed in float64
 * and cached per context (least recently used out).
 * @param {LogitModel} model
 * @param {string} context words joined by single spaces
 * @returns {Logits}
 */
function contextLogits(model, context) {
  const cached = model.cache.get(context);
  if (cached !== undefined) {
    model.cache.delete(context);
    model.cache.set(context, cached);
    return cached;
  }
  // The casts only tell the type checker that in-range typed-array reads are numbers.
  const { vocab, hidden, weights, bias } = model;
  const h = hiddenState(context, hidden);
  const z = new Float64Array(vocab);
  let max = -Infinity;
  for (let i = 0, row = 0; i < vocab; i++, row += hidden) {
    let s = /** @type {number} */ (bias[i]);
    for (let j = 0; j < hidden; j++) s += /** @type {number} */ (weights[row + j]) * /** @type {number} */ (h[j]);
    z[i] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(/** @type {number} */ (z[i]) - max);
  const entry = { z, max, sum };
  if (model.cache.size >= LOGITS_CACHE) model.cache.delete(/** @type {string} */ (model.cache.keys().next().value));
  model.cache.set(context, entry);
  return entry;
}

/**
 * The unbiased logits W·h(context) + b. The array is shared: do not change it.
 * @param {LogitModel} model
 * @param {string} context words joined by single spaces
 * @returns {Float64Array}
 */
export const logitsOf = (model, context) => contextLogits(model, context).z;

/**
 * One decoding step: the argmax of the biased logits, and the `k` best tokens with their
 * log-softmax over the biased logits. Partial selection: one pass keeps the best k, the
 * vocabulary is never sorted. Ties go to the lower id.
 *
 * The normaliser reuses the context's cached Σ exp(z − max): the biased tokens' terms are taken
 * out and put back biased. Should the unbiased rest be under 1e-6 of the sum (a token holding
 * nearly all the mass was biased down, so the subtraction would lose digits), it is summed again.
 * @param {LogitModel} model
 * @param {string} context
 * @param {Array<[number, number]>} bias [id, value] pairs, ids distinct and in [0, V)
 * @param {number} k
 * @returns {Step}
 */
export function step(model, context, bias, k) {
  const { z, max, sum } = contextLogits(model, context);
  const mark = model.mark;
  let biasedMax = -Infinity;
  let removed = 0;
  for (const [id, value] of bias) {
    mark[id] = 1;
    removed += Math.exp(/** @type {number} */ (z[id]) - max);
    biasedMax = Math.max(biasedMax, /** @type {number} */ (z[id]) + value);
  }
  const keep = Math.max(1, k);
  const topIds = new Int32Array(keep).fill(-1);
  const topVals = new Float64Array(keep).fill(-Infinity);
  const last = keep - 1;
  /** @param {number} i */
  const id = (i) => /** @type {number} */ (topIds[i]);
  /** @param {number} i */
  const val = (i) => /** @type {number} */ (topVals[i]);
  /** @param {number} i @param {number} v */
  const insert = (i, v) => {
    let at = last;
    while (at > 0 && (v > val(at - 1) || (v === val(at - 1) && i < id(at - 1)))) {
      topVals[at] = val(at - 1);
      topIds[at] = id(at - 1);
      at--;
    }
    topVals[at] = v;
    topIds[at] = i;
  };
  for (let i = 0; i < z.length; i++) {
    const v = /** @type {number} */ (z[i]);
    if (v > val(last) && mark[i] === 0) insert(i, v);
  }
  for (const [i, value] of bias) {
    mark[i] = 0;
    const v = /** @type {number} */ (z[i]) + value;
    if (v > val(last) || (v === val(last) && i < id(last))) insert(i, v);
  }
  const top = Math.max(max, biasedMax);
  let rest = sum - removed;
  if (bias.length > 0 && rest < sum * 1e-6) {
    const biased = new Map(bias);
    rest = 0;
    for (let i = 0; i < z.length; i++) if (!biased.has(i)) rest += Math.exp(/** @type {number} */ (z[i]) - max);
  }
  let total = rest * Math.exp(max - top);
  for (const [i, value] of bias) total += Math.exp(/** @type {number} */ (z[i]) + value - top);
  const lse = top + Math.log(total);
  const out = [];
  for (let r = 0; r < Math.min(k, z.length); r++) out.push({ id: id(r), logprob: val(r) - lse });
  return { id: id(0), logprob: val(0) - lse, top: out };
}

/**
 * The log-probability of `id` after `context` (unbiased) and the top `k` there.
 * @param {LogitModel} model @param {string} context @param {number} id @param {number} k
 * @returns {Step}
 */
function score(model, context, id, k) {
  const { z, max, sum } = contextLogits(model, context);
  return { id, logprob: (z[id] ?? 0) - max - Math.log(sum), top: step(model, context, [], k).top };
}

/**
 * Greedy decoding of `count` tokens after `promptWords`.
 * @param {LogitModel} model @param {string[]} promptWords @param {Array<[number, number]>} bias
 * @param {number} count @param {number} k
 * @returns {Step[]}
 */
function generate(model, promptWords, bias, count, k) {
  const words = [...promptWords];
  const steps = [];
  for (let s = 0; s < count; s++) {
    const next = step(model, words.join(" "), bias, k);
    steps.push(next);
    words.push(`t${next.id}`);
  }
  return steps;
}

/** @param {string} token */
const bytesOf = (token) => Array.from(new TextEncoder().encode(token));

/**
 * `logit_bias` as [id, value] pairs, validated as OpenAI does (ids must exist in the vocabulary).
 * @param {unknown} raw @param {number} vocab
 * @returns {Array<[number, number]>}
 */
function parseBias(raw, vocab) {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new LogitRequestError("Invalid type for 'logit_bias': expected an object mapping token ids to numbers.", { code: "invalid_type", param: "logit_bias" });
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_BIAS_ENTRIES) {
    throw new LogitRequestError(`Invalid 'logit_bias': at most ${MAX_BIAS_ENTRIES} entries are allowed, got ${entries.length}.`, { param: "logit_bias" });
  }
  return entries.map(([key, value]) => {
    const id = /^\d{1,9}$/.test(key) ? Number(key) : -1;
    if (id < 0 || id >= vocab) throw new LogitRequestError(`Invalid key in 'logit_bias': ${key}. Token ids must be integers from 0 to ${vocab - 1}.`, { param: "logit_bias" });
    if (typeof value !== "number" || !Number.isFinite(value) || value < -MAX_BIAS || value > MAX_BIAS) {
      throw new LogitRequestError(`Invalid value for 'logit_bias' key ${key}: must be a number from -${MAX_BIAS} to ${MAX_BIAS}.`, { param: "logit_bias" });
    }
    return [id, value];
  });
}

/**
 * An optional integer parameter within [min, max]; null counts as absent.
 * @param {Record<string, unknown>} body @param {string} name @param {number} min @param {number} max
 * @returns {number | undefined}
 */
function intParam(body, name, min, max) {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new LogitRequestError(`Invalid '${name}': expected an integer from ${min} to ${max}.`, { param: name });
  }
  return value;
}

/** @param {Record<string, unknown>} body @param {string} modelName */
function common(body, modelName) {
  if (body.stream === true) throw new LogitRequestError(`${modelName} does not stream.`, { code: "unsupported_value", param: "stream" });
  const size = /** @type {{ vocab: number, hidden: number }} */ (parseLogitModel(modelName));
  const model = logitModel(size.vocab, size.hidden);
  return { model, bias: parseBias(body.logit_bias, model.vocab), n: intParam(body, "n", 1, 128) ?? 1 };
}

/**
 * The `chat.completion` body for a `mock-logit` request.
 * @param {Record<string, unknown>} body the parsed request
 * @param {string} modelName
 * @param {string} prompt the last user message's text
 * @param {number} promptTokens for `usage`
 * @returns {object}
 * @throws {LogitRequestError}
 */
export function logitChat(body, modelName, prompt, promptTokens) {
  const { model, bias, n } = common(body, modelName);
  const limit = intParam(body, "max_completion_tokens", 1, Number.MAX_SAFE_INTEGER) ?? intParam(body, "max_tokens", 1, Number.MAX_SAFE_INTEGER) ?? 1;
  const wantLogprobs = body.logprobs === true;
  const requested = intParam(body, "top_logprobs", 0, MAX_REQUESTED_TOP_LOGPROBS);
  if (requested !== undefined && !wantLogprobs) {
    throw new LogitRequestError("'top_logprobs' requires 'logprobs' to be true.", { param: "top_logprobs" });
  }
  const k = Math.min(requested ?? 0, MAX_TOP_LOGPROBS);
  const steps = generate(model, wordsOf(prompt), bias, Math.min(limit, MAX_GENERATED), k);
  const tokens = steps.map((s, i) => `${i === 0 ? "" : " "}t${s.id}`);
  const content = tokens.join("");
  const logprobs = wantLogprobs
    ? {
        content: steps.map((s, i) => {
          const space = i === 0 ? "" : " ";
          const token = /** @type {string} */ (tokens[i]);
          const top = s.top.map((t) => ({ token: `${space}t${t.id}`, logprob: t.logprob, bytes: bytesOf(`${space}t${t.id}`) }));
          return { token, logprob: s.logprob, bytes: bytesOf(token), top_logprobs: top };
        }),
        refusal: null,
      }
    : null;
  const choice = { message: { role: "assistant", content, refusal: null, annotations: [] }, logprobs, finish_reason: "length" };
  const completion = steps.length * n;
  return {
    id: newId("chatcmpl-"),
    object: "chat.completion",
    created: CREATED,
    model: modelName,
    choices: Array.from({ length: n }, (_, index) => ({ index, ...choice })),
    usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion },
    service_tier: "default",
    system_fingerprint: null,
  };
}

/**
 * The `text_completion` body for a legacy `mock-logit` request: one choice per prompt and `n`.
 * With `echo`, `text` starts with the prompt and the prompt's words get logprobs too (the first
 * one null, as OpenAI answers): a word `t<i>` scores token i given the words before it, any other
 * word the token FNV-1a(word) mod V. `logit_bias` applies to generated tokens only.
 * `text_offset` counts characters of prompt + completion, with or without echo (as OpenAI does).
 * `max_tokens` 0 with `echo` only scores the prompt.
 * @param {Record<string, unknown>} body the parsed request
 * @param {string} modelName
 * @param {string[]} prompts
 * @returns {object}
 * @throws {LogitRequestError}
 */
export function logitCompletion(body, modelName, prompts) {
  const { model, bias, n } = common(body, modelName);
  const limit = Math.min(intParam(body, "max_tokens", 0, Number.MAX_SAFE_INTEGER) ?? 1, MAX_GENERATED);
  const k = intParam(body, "logprobs", 0, MAX_TOP_LOGPROBS);
  const echo = body.echo === true;
  let promptTokens = 0;
  let completionTokens = 0;
  const choices = prompts.flatMap((prompt) => {
    const words = wordsOf(prompt);
    promptTokens += words.length;
    const steps = generate(model, words, bias, limit, k ?? 0);
    completionTokens += steps.length * n;
    const space = words.length > 0 ? " " : "";
    const generated = steps.map((s, i) => `${i === 0 ? space : " "}t${s.id}`);
    const text = (echo ? prompt : "") + generated.join("");
    let logprobs = null;
    if (k !== undefined) {
      /** @type {{ tokens: string[], token_logprobs: Array<number | null>, top_logprobs: Array<Record<string, number> | null>, text_offset: number[] }} */
      const lp = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
      let offset = 0;
      if (echo) {
        for (const [p, piece] of tokenize(prompt).entries()) {
          lp.tokens.push(piece);
          lp.text_offset.push(offset);
          offset += piece.length;
          if (p === 0) {
            lp.token_logprobs.push(null);
            lp.top_logprobs.push(null);
            continue;
          }
          const word = piece.trim();
          const named = /^t(\d{1,9})$/.exec(word);
          const id = named !== null && Number(named[1]) < model.vocab ? Number(named[1]) : fnv1a(word) % model.vocab;
          const s = score(model, words.slice(0, p).join(" "), id, k);
          lp.token_logprobs.push(s.logprob);
          lp.top_logprobs.push(Object.fromEntries(s.top.map((t) => [` t${t.id}`, t.logprob])));
        }
      } else {
        offset = prompt.length;
      }
      for (const [i, s] of steps.entries()) {
        const token = /** @type {string} */ (generated[i]);
        const alt = i === 0 ? space : " ";
        lp.tokens.push(token);
        lp.text_offset.push(offset);
        offset += token.length;
        lp.token_logprobs.push(s.logprob);
        lp.top_logprobs.push(Object.fromEntries(s.top.map((t) => [`${alt}t${t.id}`, t.logprob])));
      }
      logprobs = lp;
    }
    return Array.from({ length: n }, () => ({ text, logprobs, finish_reason: "length" }));
  });
  return {
    id: newId("cmpl-"),
    object: "text_completion",
    created: CREATED,
    model: modelName,
    choices: choices.map((c, index) => ({ text: c.text, index, logprobs: c.logprobs, finish_reason: c.finish_reason })),
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    system_fingerprint: null,
  };
}
