/**
 * Token estimates for quota reservations. Admission reserves "estimated input + output cap"
 * before the provider answers; the provider's `usage` settles the reservation afterwards.
 *
 * A real BPE tokenizer does not fit the Worker: js-tiktoken with o200k_base bundles to about
 * 2.3 MB and costs far more CPU per request (docs/token-estimation.md has the figures). So text
 * is scanned once, counting features that follow how OpenAI's pre-tokenizer splits text
 * (words, case breaks, digit groups of at most three, whitespace and punctuation runs) and
 * characters of scripts that cost more per character, and the estimate is a weighted sum.
 * `npm run measure:tokens` fits the weights against js-tiktoken's o200k_base and cl100k_base
 * and scales them up so that few texts are underestimated: an underestimate lets a client
 * overspend between admission and settlement, an overestimate only reserves a little more.
 */
import type { ApiRoute } from "../routes";
import { isJsonObject as isObject } from "../util/json";

/** OpenAI encodings the weights are fitted for. Unknown models get weights safe for both. */
export type Encoding = "o200k_base" | "cl100k_base";

/** What the features count, in the order of the weight vectors. */
export const FEATURE_NAMES = [
  "words", // runs of letters (Latin, Greek, Cyrillic): a pre-token each
  "word_excess", // letters past the 6th in a run: long and rare words split into pieces
  "word_long", // letters past the 12th in a run
  "cap_words", // runs starting Upper-lower: names and rarer words
  "case_breaks", // lower→Upper inside a run (camelCase): o200k splits there
  "caps", // an upper-case letter after another (ALL CAPS, keys, base64)
  "digit_groups", // ⌈n/3⌉ per digit run: both encodings split numbers into 1–3 digits
  "space_digit", // a lone space before digits is a token of its own
  "newline_runs", // whitespace runs holding a line break
  "space_runs", // other whitespace runs of two or more, or holding a tab
  "punct_runs", // runs of ASCII and general punctuation
  "punct_chars", // characters in those runs
  "accented_words", // letters of runs holding an accented Latin letter: non-English words
  "latin_ext", // accented Latin letters
  "cyrillic",
  "greek", // and Armenian, Georgian
  "rtl", // Hebrew, Arabic, Syriac, Thaana and their presentation forms
  "brahmic", // Indic scripts, Sinhala, Thai, Lao, Tibetan, Myanmar, Khmer
  "other_script", // combining marks, Ethiopic, Yi, private use and the rest
  "cjk", // Han ideographs, kana, CJK punctuation, full-width forms
  "hangul",
  "astral", // code points outside the BMP (emoji, rare ideographs): surrogate pairs
  "symbols", // other BMP symbols: arrows, maths, box drawing, dingbats, Latin-1 signs
] as const;

/**
 * Weights per feature, fitted by `npm run measure:tokens -- --fit` on the calibration half of
 * the data (FEATURE_NAMES order) and scaled so that at most 4 % of calibration texts are
 * underestimated by more than 10 %. `either` is fitted to the larger of the two counts.
 */
const WEIGHTS: Readonly<Record<Encoding | "either", readonly number[]>> = {
  o200k_base: [0.984, 0.044, 0.064, 0.321, 1.358, 0.141, 1.1, 1.18, 0.899, 1.114, 0.765, 0.13, 0.194, 0, 0.134, 0.431, 0.367, 0.383, 1.03, 0.736, 0.746, 2.036, 0.989],
  cl100k_base: [1.061, 0, 0, 0.393, 0.666, 0.201, 1.189, 1.138, 0.999, 1.144, 0.919, 0.072, 0.285, 0, 0.375, 1.203, 1.001, 1.192, 1.08, 1.127, 1.164, 2.28, 1.122],
  either: [1.01, 0.05, 0.051, 0.384, 1.501, 0.163, 1.126, 1.237, 0.869, 1.12, 0.87, 0.087, 0.285, 0, 0.356, 1.174, 0.979, 1.165, 1.055, 1.101, 1.137, 2.221, 1.09],
};

/**
 * Character classes of one UTF-16 code unit. Classes up to Greek are letters and form runs
 * together, as in the pre-tokenizer's \p{L}+; classes from Rtl on count per character. A
 * `const enum` because the compilers inline its members: module-level `const` numbers are
 * loaded from the module context on every comparison, which made the scan about 40 % slower.
 */
const enum C {
  Lower = 1,
  Upper,
  LatinExt,
  Cyrillic,
  Greek,
  Digit,
  Space,
  Tab,
  Newline,
  Punct,
  Rtl,
  Brahmic,
  Other,
  Cjk,
  Hangul,
  Astral,
  Symbol,
  LowSurrogate,
}

/** Class of every ASCII code unit, built once per isolate. */
const ASCII_CLASS = (() => {
  const t = new Uint8Array(128).fill(C.Punct);
  for (let c = 97; c <= 122; c++) t[c] = C.Lower;
  for (let c = 65; c <= 90; c++) t[c] = C.Upper;
  for (let c = 48; c <= 57; c++) t[c] = C.Digit;
  t[32] = C.Space;
  t[9] = C.Tab;
  t[10] = C.Newline;
  t[13] = C.Newline;
  return t;
})();

/** Class of a code unit ≥ 128, by Unicode block. */
function wideClass(c: number): number {
  if (c < 0x0300) return c === 0xa0 ? C.Space : c < 0xc0 || c === 0xd7 || c === 0xf7 ? C.Symbol : C.LatinExt;
  if (c < 0x0370) return C.Other; // combining diacritics
  if (c < 0x0400) return C.Greek;
  if (c < 0x0530) return C.Cyrillic;
  if (c < 0x0590) return C.Greek; // Armenian
  if (c < 0x0900) return C.Rtl;
  if (c < 0x10a0) return C.Brahmic;
  if (c < 0x1100) return C.Greek; // Georgian
  if (c < 0x1200) return C.Hangul; // jamo
  if (c < 0x1780) return C.Other;
  if (c < 0x1800) return C.Brahmic; // Khmer
  if (c < 0x1e00) return C.Other;
  if (c < 0x1f00) return C.LatinExt; // Vietnamese and other precomposed Latin
  if (c < 0x2000) return C.Greek;
  if (c < 0x2010) return C.Symbol; // spaces, zero-width joiners, direction marks
  if (c < 0x2060) return C.Punct; // dashes, curly quotes, ellipsis
  if (c < 0x2e80) return C.Symbol;
  if (c < 0x3130) return C.Cjk; // radicals, CJK punctuation, kana, bopomofo
  if (c < 0x3190) return C.Hangul;
  if (c < 0xa000) return C.Cjk;
  if (c < 0xac00) return C.Other;
  if (c < 0xd800) return C.Hangul;
  if (c < 0xdc00) return C.Astral; // high surrogate: one code point outside the BMP
  if (c < 0xe000) return C.LowSurrogate;
  if (c < 0xf900) return C.Other; // private use
  if (c < 0xfb00) return C.Cjk;
  if (c < 0xfb1d) return C.LatinExt; // ligatures
  if (c < 0xfe00) return C.Rtl;
  if (c < 0xfe10) return C.Symbol; // variation selectors
  if (c < 0xfe70) return C.Other;
  if (c < 0xff00) return C.Rtl;
  if (c < 0xfff0) return C.Cjk; // full-width and half-width forms
  return C.Symbol;
}

/** Whitespace that continues a whitespace run (NaN past the end is not). */
function isSpace(d: number): boolean {
  return d === 32 || d === 10 || d === 13 || d === 9 || d === 0xa0;
}

/**
 * Writes the features of `text` to `f` (FEATURE_NAMES order). One pass, no allocation: each
 * run (word, digits, whitespace, punctuation) is read by its own tight loop.
 */
function scan(text: string, f: Float64Array): void {
  let words = 0, wordExcess = 0, wordLong = 0, capWords = 0, caseBreaks = 0, caps = 0;
  let digitGroups = 0, spaceDigit = 0, newlineRuns = 0, spaceRuns = 0, punctRuns = 0, punctChars = 0;
  let accentedWords = 0, latinExt = 0, cyrillic = 0, greek = 0, rtl = 0, brahmic = 0;
  let other = 0, cjk = 0, hangul = 0, astral = 0, symbols = 0;
  let loneSpaceBefore = false; // the previous run was a single space
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 && !isSpace(text.charCodeAt(i + 1))) {
      // The commonest run: one space before a word, which the word's token absorbs.
      i++;
      loneSpaceBefore = true;
      continue;
    }
    const k = c < 128 ? (ASCII_CLASS[c] as number) : wideClass(c);
    const start = i;
    let loneSpace = false;
    if (k <= C.Greek) {
      // A word: letters of any case and script, as in the pre-tokenizer's \p{L}+.
      let prev = k;
      let accented = false;
      if (k === C.Upper && i + 1 < n && (text.charCodeAt(i + 1) - 97) >>> 0 < 26) capWords++;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d - 97) >>> 0 < 26) {
          prev = C.Lower;
        } else if ((d - 65) >>> 0 < 26) {
          if (prev === C.Lower) caseBreaks++;
          else if (prev === C.Upper) caps++;
          prev = C.Upper;
        } else {
          if (d < 128) break;
          const kd = wideClass(d);
          if (kd > C.Greek) break;
          if (kd === C.LatinExt) {
            accented = true;
            latinExt++;
          } else if (kd === C.Cyrillic) cyrillic++;
          else greek++;
          prev = kd;
        }
        i++;
      }
      if (k === C.LatinExt) {
        accented = true;
        latinExt++;
      } else if (k === C.Cyrillic) cyrillic++;
      else if (k === C.Greek) greek++;
      const len = i - start;
      words++;
      if (len > 6) wordExcess += len - 6;
      if (len > 12) wordLong += len - 12;
      if (accented) accentedWords += len;
    } else if (k === C.Digit) {
      i++;
      while (i < n && ASCII_CLASS[text.charCodeAt(i)] === C.Digit) i++;
      digitGroups += ((i - start + 2) / 3) | 0;
      if (loneSpaceBefore) spaceDigit++;
    } else if (k === C.Space || k === C.Tab || k === C.Newline) {
      let newline = k === C.Newline;
      let tab = k === C.Tab;
      i++;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (!isSpace(d)) break;
        if (d === 10 || d === 13) newline = true;
        else if (d === 9) tab = true;
      }
      if (newline) newlineRuns++;
      else if (i - start > 1 || tab) spaceRuns++;
      else loneSpace = true;
    } else if (k === C.Punct) {
      i++;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d < 128 ? ASCII_CLASS[d] !== C.Punct : d < 0x2010 || d >= 0x2060) break;
      }
      punctRuns++;
      punctChars += i - start;
    } else {
      // Scripts counted per character; a surrogate pair is one astral code point.
      i++;
      if (k === C.Cjk) cjk++;
      else if (k === C.Hangul) hangul++;
      else if (k === C.Rtl) rtl++;
      else if (k === C.Brahmic) brahmic++;
      else if (k === C.Astral) {
        astral++;
        if (i < n && wideClass(text.charCodeAt(i)) === C.LowSurrogate) i++;
      } else if (k === C.Symbol) symbols++;
      else if (k !== C.LowSurrogate) other++;
    }
    loneSpaceBefore = loneSpace;
  }
  f[0] = words;
  f[1] = wordExcess;
  f[2] = wordLong;
  f[3] = capWords;
  f[4] = caseBreaks;
  f[5] = caps;
  f[6] = digitGroups;
  f[7] = spaceDigit;
  f[8] = newlineRuns;
  f[9] = spaceRuns;
  f[10] = punctRuns;
  f[11] = punctChars;
  f[12] = accentedWords;
  f[13] = latinExt;
  f[14] = cyrillic;
  f[15] = greek;
  f[16] = rtl;
  f[17] = brahmic;
  f[18] = other;
  f[19] = cjk;
  f[20] = hangul;
  f[21] = astral;
  f[22] = symbols;
}

// One scratch vector per isolate: the scan is synchronous, so no two calls share it at once.
const scratch = new Float64Array(FEATURE_NAMES.length);

/**
 * The feature counts of `text` (FEATURE_NAMES order), for calibration.
 *
 * @example textFeatures("Hi 42") // words 1, cap_words 1, digit_groups 1, space_digit 1
 */
export function textFeatures(text: string): number[] {
  scan(text, scratch);
  return Array.from(scratch);
}

/**
 * Σ weight × feature, rounded up: the estimator's last step, shared with calibration.
 *
 * @example weightedSum(textFeatures(text), weightsFor("o200k_base")) === estimateTextTokens(text, "o200k_base")
 */
export function weightedSum(features: ArrayLike<number>, weights: readonly number[]): number {
  return Math.ceil(dot(features, weights));
}

function dot(features: ArrayLike<number>, weights: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < weights.length; j++) sum += (weights[j] as number) * (features[j] as number);
  return sum;
}

/**
 * The shipped weights for `encoding` (undefined: safe for both encodings).
 *
 * @example weightsFor().length === FEATURE_NAMES.length
 */
export function weightsFor(encoding?: Encoding): readonly number[] {
  return WEIGHTS[encoding ?? "either"];
}

/**
 * The estimate before rounding up. To count a text that arrives in pieces (stream deltas),
 * sum this over the pieces and round once: rounding each piece adds up to a token per piece,
 * which nearly doubles the count of a stream that sends one token per event.
 *
 * @example Math.ceil(deltas.reduce((sum, d) => sum + estimateTextTokensUnrounded(d, "o200k_base"), 0))
 */
export function estimateTextTokensUnrounded(text: string, encoding?: Encoding): number {
  if (text.length === 0) return 0;
  scan(text, scratch);
  return dot(scratch, WEIGHTS[encoding ?? "either"]);
}

/**
 * Estimated tokens of `text`, biased slightly high. Without `encoding` the estimate covers
 * both o200k_base and cl100k_base, which differ most on non-Latin scripts.
 *
 * @example estimateTextTokens("Hello, world!") // 5 (o200k_base and cl100k_base count 4)
 */
export function estimateTextTokens(text: string, encoding?: Encoding): number {
  if (text.length === 0) return 0;
  scan(text, scratch);
  return weightedSum(scratch, WEIGHTS[encoding ?? "either"]);
}

/**
 * The encoding an OpenAI model uses, after tiktoken's model table (tiktoken/model.py); undefined
 * for models it does not name, which then get estimates safe for both encodings.
 *
 * @example encodingForModel("gpt-4o-mini") // "o200k_base"
 */
export function encodingForModel(model: unknown): Encoding | undefined {
  if (typeof model !== "string") return undefined;
  const m = model.toLowerCase().replace(/^ft:/, "");
  const stem = (s: string): boolean => m === s || (m.startsWith(s) && (m[s.length] === "-" || m[s.length] === "." || m[s.length] === ":"));
  if (["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "o1", "o3", "o4"].some(stem)) return "o200k_base";
  if (["gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002", "davinci-002", "babbage-002"].some(stem)) return "cl100k_base";
  return undefined;
}

// Chat format overhead, after OpenAI's cookbook "How to count tokens with tiktoken"
// (num_tokens_from_messages, models from gpt-3.5-turbo-0613 on): 3 tokens frame every message,
// its role is one more, a `name` costs 1 beyond its own tokens, and every reply is primed with
// <|start|>assistant<|message|>, 3 more.
const PER_MESSAGE = 3 + 1;
const PER_NAME = 1;
const REPLY_PRIMING = 3;

// Images, after OpenAI's vision guide ("Calculating costs", gpt-4o): low detail is a flat 85;
// high detail is 85 + 170 per 512-px tile of the image scaled to fit 2048 px with its short side
// at 768 px, so from 255 up to 1,445. The image is not decoded here: 765 is a 1024×1024 image
// (4 tiles), an approximation. Other models bill differently (mini models multiply image tokens);
// the provider's `usage` settles the difference.
const IMAGE_LOW = 85;
const IMAGE_OTHER = 765;

type Body = Record<string, unknown>;


function imageTokens(detail: unknown): number {
  return detail === "low" ? IMAGE_LOW : IMAGE_OTHER;
}

/** A JSON value the model reads whole (tool definitions, schemas), as its JSON text. */
function jsonTokens(v: unknown, enc: Encoding | undefined): number {
  return v === undefined || v === null ? 0 : estimateTextTokens(JSON.stringify(v), enc);
}

/** A string, a list of strings, a token-id array or a list of token-id arrays (exact). */
function promptTokens(v: unknown, enc: Encoding | undefined): number {
  if (typeof v === "string") return estimateTextTokens(v, enc);
  if (typeof v === "number") return 1;
  if (!Array.isArray(v)) return 0;
  let t = 0;
  for (const item of v) t += typeof item === "number" ? 1 : promptTokens(item, enc);
  return t;
}

/** Content parts of both APIs: text, refusals and images; audio and files are not estimated. */
function contentTokens(content: unknown, enc: Encoding | undefined): number {
  if (typeof content === "string") return estimateTextTokens(content, enc);
  if (!Array.isArray(content)) return 0;
  let t = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (typeof part.text === "string") t += estimateTextTokens(part.text, enc);
    else if (typeof part.refusal === "string") t += estimateTextTokens(part.refusal, enc);
    else if (part.type === "image_url") t += imageTokens(isObject(part.image_url) ? part.image_url.detail : undefined);
    else if (part.type === "input_image") t += imageTokens(part.detail);
  }
  return t;
}

function str(v: unknown, enc: Encoding | undefined): number {
  return typeof v === "string" ? estimateTextTokens(v, enc) : 0;
}

/** Every string in a value the gateway does not model (replayed hosted-tool items). */
function looseTokens(v: unknown, enc: Encoding | undefined): number {
  if (typeof v === "string") return v.startsWith("data:") ? IMAGE_OTHER : estimateTextTokens(v, enc);
  if (typeof v !== "object" || v === null) return 0;
  let t = 0;
  for (const item of Array.isArray(v) ? v : Object.values(v)) t += looseTokens(item, enc);
  return t;
}

function chatTokens(body: Body, enc: Encoding | undefined): number {
  let t = REPLY_PRIMING;
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(m)) continue;
    t += PER_MESSAGE + contentTokens(m.content, enc) + str(m.refusal, enc);
    if (typeof m.name === "string") t += estimateTextTokens(m.name, enc) + PER_NAME;
    for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
      if (!isObject(call)) continue;
      const fn = isObject(call.function) ? call.function : isObject(call.custom) ? call.custom : {};
      t += str(fn.name, enc) + str(fn.arguments, enc) + str(fn.input, enc);
    }
    if (isObject(m.function_call)) t += str(m.function_call.name, enc) + str(m.function_call.arguments, enc);
  }
  const format = body.response_format;
  if (isObject(format) && format.type === "json_schema") t += jsonTokens(format.json_schema, enc);
  return t + jsonTokens(body.tools, enc) + jsonTokens(body.functions, enc);
}

function responsesItemTokens(item: unknown, enc: Encoding | undefined): number {
  if (!isObject(item)) return 0;
  if (typeof item.role === "string") return PER_MESSAGE + contentTokens(item.content, enc);
  switch (item.type) {
    case "item_reference":
    case "compaction":
      return 0; // stored server-side: unknown here, settled from `usage`
    case "function_call":
      return PER_MESSAGE + str(item.name, enc) + str(item.arguments, enc);
    case "custom_tool_call":
      return PER_MESSAGE + str(item.name, enc) + str(item.input, enc);
    case "function_call_output":
    case "custom_tool_call_output":
      return PER_MESSAGE + contentTokens(item.output, enc);
    case "reasoning": {
      let t = 0;
      for (const part of [item.summary, item.content].flatMap((p) => (Array.isArray(p) ? p : []))) if (isObject(part)) t += str(part.text, enc);
      return t;
    }
    default:
      return PER_MESSAGE + looseTokens(item, enc);
  }
}

function responsesTokens(body: Body, enc: Encoding | undefined): number {
  let t = REPLY_PRIMING;
  if (typeof body.instructions === "string") t += PER_MESSAGE + estimateTextTokens(body.instructions, enc);
  if (typeof body.input === "string") t += PER_MESSAGE + estimateTextTokens(body.input, enc);
  else if (Array.isArray(body.input)) for (const item of body.input) t += responsesItemTokens(item, enc);
  if (isObject(body.prompt) && isObject(body.prompt.variables)) {
    for (const v of Object.values(body.prompt.variables)) t += typeof v === "string" ? estimateTextTokens(v, enc) : contentTokens([v], enc);
  }
  const format = isObject(body.text) ? body.text.format : undefined;
  if (isObject(format) && format.type === "json_schema") t += jsonTokens(format.schema, enc) + str(format.name, enc) + str(format.description, enc);
  return t + jsonTokens(body.tools, enc);
}

/**
 * Estimated input tokens of a validated request body: what the model reads (messages, parts,
 * tool definitions and calls, instructions, prompts, embedding inputs) plus the chat format's
 * overhead. Token-id arrays count exactly. The encoding defaults to the one `body.model` uses.
 *
 * @example estimateRequestTokens("chat", { model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] }) // 9 (the cookbook's count: 8)
 */
export function estimateRequestTokens(route: ApiRoute, body: Body, encoding: Encoding | undefined = encodingForModel(body.model)): number {
  switch (route) {
    case "chat":
      return chatTokens(body, encoding);
    case "responses":
      return responsesTokens(body, encoding);
    case "completions":
      return promptTokens(body.prompt, encoding) + str(body.suffix, encoding);
    case "embeddings":
      return promptTokens(body.input, encoding);
  }
}

const count = (v: unknown): number | undefined => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined);

/**
 * The output cap the client set, per choice: `max_completion_tokens ?? max_tokens` (chat),
 * `max_output_tokens` (responses), `max_tokens` (completions); undefined when it set none,
 * and the caller applies its default. The caller multiplies by the number of choices: chat
 * bills all `n` choices, and completions generate `best_of` (≥ `n`) server-side (API reference,
 * `n` and `best_of`). Embeddings produce no output: 0, so no default cap applies to them.
 *
 * @example outputCapOf("chat", { max_completion_tokens: 256, max_tokens: 100 }) // 256
 */
export function outputCapOf(route: ApiRoute, body: Body): number | undefined {
  switch (route) {
    case "chat":
      return count(body.max_completion_tokens) ?? count(body.max_tokens);
    case "responses":
      return count(body.max_output_tokens);
    case "completions":
      return count(body.max_tokens);
    case "embeddings":
      return 0;
  }
}
