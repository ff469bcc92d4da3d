/**
 * Per-request features for the probing score (issue 7): what a validated request body says
 * about model-extraction and model-inversion probing, as a small JSON object that travels
 * to the client's Durable Object in the same call as the quota check. No raw text leaves
 * this function: only numbers, booleans and keyed hashes.
 *
 * Only the newest user content is fingerprinted. Earlier turns repeat from request to
 * request in any conversation, and a system prompt is the deployment's, not the client's;
 * fingerprinting them would make every chat look like a near-duplicate stream.
 *
 * Templated batch jobs ("Classify the sentiment of: <row>. Answer with one word.") differ
 * only in the middle, and would look like a near-duplicate probe stream too. The request
 * therefore also carries keyed hashes of its edges at a ladder of lengths (`edgeLadder`);
 * the state object compares them with the previous request's, learns the longest shared
 * prefix and suffix as a `TemplateHint` and hands it back, and later requests that carry
 * the same edges are fingerprinted without them. A stale or forged hint cannot strip
 * another text: its edge hashes would differ.
 */
import type { ApiRoute } from "../routes";
import { isExtractionProbe, isRepetitionProbe } from "./phrasing";
import { EDGE_LADDER, edgeLadder, normalizeForFingerprint, simhashOfNormalized, withoutAffixes } from "./simhash";
import { isJsonObject as isObject, type JsonObject as Json } from "../util/json";

/**
 * At most this many biased token ids are listed. The state object only needs distinct ids
 * over time (a projection-recovery sweep biases thousands, in batches of up to 300, the
 * OpenAI limit); the cap bounds the RPC payload and the state's work per request, and a
 * larger map is still counted in full by `logitBiasCount`.
 */
export const MAX_BIAS_TOKENS = 300;

/**
 * A client's recurring prefix and suffix: their lengths (0, or a length of `EDGE_LADDER`)
 * and the edge hashes a text carrying them has at those lengths (-1 for a zero length).
 */
export interface TemplateHint {
  prefix: number;
  suffix: number;
  ph: number;
  sh: number;
}

export interface ProbeFeatures {
  logprobs: boolean;
  /** Alternatives per position: chat/responses `top_logprobs`, legacy completions integer `logprobs`. */
  topLogprobs: number;
  logitBiasCount: number;
  /** Biased token ids, ascending, at most `MAX_BIAS_TOKENS`. */
  logitBiasTokens: number[];
  biasWithLogprobs: boolean;
  /** max_completion_tokens ?? max_tokens (chat), max_output_tokens (responses), max_tokens (completions). */
  maxOutputTokens: number | null;
  /** maxOutputTokens ≤ 2: one token, allowing for a leading space or end-of-text token. */
  singleToken: boolean;
  echo: boolean;
  n: number;
  embeddings: boolean;
  embeddingInputs: number;
  /** 64-bit keyed SimHash of the newest user text (its middle when templated), 16 hex digits; null without user text. */
  fingerprint: string | null;
  /** Characters stripped as template before fingerprinting (0 when no hint applied). */
  fingerprintPrefix: number;
  fingerprintSuffix: number;
  /** `edgeLadder` of the normalised text: a recurring template shows as recurring edge hashes. */
  edges: number[];
  repetition: boolean;
  extraction: boolean;
  /** Length of the normalised text that was examined (before template removal). */
  chars: number;
  /** The text was longer than two `TEXT_WINDOW`s: only its first and last ones were read. */
  windowed: boolean;
}

export interface ProbeFeatureOptions {
  fingerprintKey: string | Uint8Array;
  template?: TemplateHint;
}

/**
 * Code units read from each end of a long text. Bounds the CPU of a request whatever its
 * size (normalising and fingerprinting are linear): probes are short, and what a long text
 * carries at both ends tells two long texts apart. Texts longer than twice this have an
 * unread middle, so the state never takes two of them for a retry (state.ts).
 */
export const TEXT_WINDOW = 1024;

/** The first and last `TEXT_WINDOW` code units, never cutting a surrogate pair. */
function edgesOf(text: string): string {
  let head = TEXT_WINDOW;
  if (/[\uDC00-\uDFFF]/.test(text[head] ?? "")) head--;
  let tail = text.length - TEXT_WINDOW;
  if (/[\uDC00-\uDFFF]/.test(text[tail] ?? "")) tail++;
  return `${text.slice(0, head)}\n${text.slice(tail)}`;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Text parts of a chat or responses message `content`: a string, or parts of type text / input_text. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const part of content) {
    if (isObject(part) && (part.type === "text" || part.type === "input_text") && typeof part.text === "string") parts.push(part.text);
  }
  return parts.join("\n");
}

function lastUser(items: unknown): string {
  if (!Array.isArray(items)) return "";
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    // Responses items without `type` are messages (EasyInputMessage).
    if (isObject(item) && item.role === "user" && (item.type === undefined || item.type === "message")) return contentText(item.content);
  }
  return "";
}

/** The first string of a `prompt` / `input` that is a string or a string array; token arrays carry no text. */
function firstString(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && typeof v[0] === "string") return v[0];
  return "";
}

function newestUserText(route: ApiRoute, body: Json): string {
  switch (route) {
    case "chat":
      return lastUser(body.messages);
    case "responses":
      return typeof body.input === "string" ? body.input : lastUser(body.input);
    case "completions":
      return firstString(body.prompt);
    case "embeddings":
      return firstString(body.input);
  }
}

function biasTokens(bias: unknown): { count: number; tokens: number[] } {
  if (!isObject(bias)) return { count: 0, tokens: [] };
  const keys = Object.keys(bias);
  const tokens: number[] = [];
  let ascending = true;
  for (const k of keys) {
    const id = Number(k);
    if (Number.isSafeInteger(id) && id >= 0) {
      if (tokens.length > 0 && id < tokens[tokens.length - 1]!) ascending = false;
      tokens.push(id);
    }
  }
  // Integer-like keys already enumerate in ascending order (ECMA-262 OrdinaryOwnPropertyKeys):
  // only odd spellings ("007", ids of 2^32 and above) arrive out of order and need the sort.
  if (!ascending) tokens.sort((a, b) => a - b);
  return { count: keys.length, tokens: tokens.length > MAX_BIAS_TOKENS ? tokens.slice(0, MAX_BIAS_TOKENS) : tokens };
}

/** Whether a text with these edges carries the template of `hint`. */
export function carriesTemplate(edges: readonly number[], hint: TemplateHint): boolean {
  if (hint.prefix + hint.suffix === 0) return false;
  const n = EDGE_LADDER.length;
  const pi = EDGE_LADDER.indexOf(hint.prefix);
  const si = EDGE_LADDER.indexOf(hint.suffix);
  if ((hint.prefix !== 0 && pi < 0) || (hint.suffix !== 0 && si < 0)) return false;
  return (hint.prefix === 0 || edges[pi] === hint.ph) && (hint.suffix === 0 || edges[n + si] === hint.sh);
}

/** Shared edges shorter than this (prefix and suffix together) are coincidence, not a template. */
const MIN_TEMPLATE = 32;

/**
 * Most of a text a template may cover. Perturbation probes (PRADA-style: one word changed
 * per query) share nearly everything with the previous query; treating that as a template
 * would fingerprint only the changed word and hide the near-duplicate stream. Templated
 * batch jobs leave a real middle (the row).
 */
const MAX_TEMPLATE_SHARE = 0.75;

/**
 * The template two consecutive texts of one client share, from their edge hashes and
 * lengths alone: the longest ladder lengths whose hashes agree. Null when the shared edges
 * are too short to be a template, or cover so much that the texts are near-duplicates.
 *
 * @example learnTemplate(edgesA, 180, edgesB, 170) // { prefix: 96, suffix: 48, ph, sh }
 */
export function learnTemplate(prev: readonly number[], prevChars: number, edges: readonly number[], chars: number): TemplateHint | null {
  const n = EDGE_LADDER.length;
  let pi = -1;
  let si = -1;
  for (let r = 0; r < n; r++) {
    if (edges[r]! >= 0 && edges[r] === prev[r]) pi = r;
    if (edges[n + r]! >= 0 && edges[n + r] === prev[n + r]) si = r;
  }
  const prefix = pi < 0 ? 0 : EDGE_LADDER[pi]!;
  const suffix = si < 0 ? 0 : EDGE_LADDER[si]!;
  if (prefix + suffix < MIN_TEMPLATE || prefix + suffix > MAX_TEMPLATE_SHARE * Math.min(chars, prevChars)) return null;
  return { prefix, suffix, ph: pi < 0 ? -1 : edges[pi]!, sh: si < 0 ? -1 : edges[n + si]! };
}

/**
 * Features of one validated request body of `route`.
 *
 * @example
 * extractProbeFeatures("chat", { model: "m", messages: [{ role: "user", content: "hi" }], logprobs: true, max_tokens: 1 }, { fingerprintKey: key })
 * // { logprobs: true, singleToken: true, maxOutputTokens: 1, fingerprint: "…", chars: 2, … }
 */
export function extractProbeFeatures(route: ApiRoute, body: Json, opts: ProbeFeatureOptions): ProbeFeatures {
  const { count: logitBiasCount, tokens: logitBiasTokens } = biasTokens(body.logit_bias);

  let logprobs = false;
  let topLogprobs = 0;
  let maxOutputTokens: number | null = null;
  switch (route) {
    case "chat":
      logprobs = body.logprobs === true;
      topLogprobs = num(body.top_logprobs) ?? 0;
      maxOutputTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
      break;
    case "responses": {
      topLogprobs = num(body.top_logprobs) ?? 0;
      const include = Array.isArray(body.include) ? body.include : [];
      logprobs = topLogprobs > 0 || include.includes("message.output_text.logprobs");
      maxOutputTokens = num(body.max_output_tokens);
      break;
    }
    case "completions": {
      // Legacy completions: `logprobs` is the integer number of alternatives; 0 still returns the chosen token's.
      const lp = num(body.logprobs);
      logprobs = lp !== null;
      topLogprobs = lp ?? 0;
      maxOutputTokens = num(body.max_tokens);
      break;
    }
    case "embeddings":
      break;
  }

  const input = body.input;
  const embeddings = route === "embeddings";
  const embeddingInputs = !embeddings ? 0 : typeof input === "string" ? 1 : Array.isArray(input) ? (input.length > 0 && typeof input[0] === "number" ? 1 : input.length) : 0;

  const raw = newestUserText(route, body);
  const windowed = raw.length > 2 * TEXT_WINDOW;
  const normalized = normalizeForFingerprint(windowed ? edgesOf(raw) : raw);
  const edges = edgeLadder(normalized, opts.fingerprintKey);
  let fingerprintPrefix = 0;
  let fingerprintSuffix = 0;
  let middle = normalized;
  const hint = opts.template;
  if (hint && hint.prefix + hint.suffix < normalized.length && carriesTemplate(edges, hint)) {
    middle = withoutAffixes(normalized, hint.prefix, hint.suffix);
    fingerprintPrefix = hint.prefix;
    fingerprintSuffix = hint.suffix;
  }
  const hasText = normalized.length > 0;

  return {
    logprobs,
    topLogprobs,
    logitBiasCount,
    logitBiasTokens,
    biasWithLogprobs: logitBiasCount > 0 && logprobs,
    maxOutputTokens,
    singleToken: maxOutputTokens !== null && maxOutputTokens <= 2,
    echo: route === "completions" && body.echo === true,
    n: Math.max(num(body.n) ?? 1, route === "completions" ? (num(body.best_of) ?? 1) : 1),
    embeddings,
    embeddingInputs,
    fingerprint: simhashOfNormalized(middle, opts.fingerprintKey),
    fingerprintPrefix,
    fingerprintSuffix,
    edges,
    repetition: hasText && isRepetitionProbe(normalized),
    extraction: hasText && isExtractionProbe(normalized),
    chars: normalized.length,
    windowed,
  };
}
