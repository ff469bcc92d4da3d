/**
 * System prompt leakage (OWASP LLM07): two independent signals in a response.
 *
 * - A canary: a token, unique per client, that the gateway puts into the system prompt. It has
 *   no business in any answer, so seeing it is proof of a leak with no false positives.
 * - Verbatim overlap: a long run of the response's words that also runs, in order, through
 *   the request's system prompt. Catches leaks of prompts the gateway did not mark, and
 *   paraphrase-free "repeat the text above" attacks; a translated or paraphrased leak is not
 *   caught (that needs a semantic check).
 */
import type { OutputAction, OutputFinding, OutputScanner, ScanResult } from "./types";

const CANARY_PREFIX = "aigis-";
const CANARY_CHARS = 20;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const encoder = new TextEncoder();

/**
 * `aigis-` and 20 base32 characters (100 bits) of HMAC-SHA-256(secret, clientId): the same
 * client always gets the same canary, so it can sit in a cached prompt prefix, and nobody
 * without the secret can compute another client's canary to plant or avoid it.
 *
 * @example
 * await canaryFor(env.AIGIS_CANARY_SECRET, "client-42") // "aigis-k3v...": 26 characters
 */
export async function canaryFor(secret: string, clientId: string): Promise<string> {
  // Per isolate: a client's canary never changes while the secret stays, and importing the
  // key and signing on every request were a visible share of a request's CPU.
  if (canaries.secret !== secret) canaries = { secret, byClient: new Map() };
  const known = canaries.byClient.get(clientId);
  if (known !== undefined) return known;
  const canary = await computeCanary(secret, clientId);
  if (canaries.byClient.size >= MAX_CACHED_CANARIES) canaries.byClient.clear();
  if (canaries.secret === secret) canaries.byClient.set(clientId, canary);
  return canary;
}

const MAX_CACHED_CANARIES = 4096;
let canaries: { secret: string; byClient: Map<string, string> } = { secret: "", byClient: new Map() };

async function computeCanary(secret: string, clientId: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  // Domain-separated, so the same secret used for anything else never yields this value.
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`aigis-canary\0${clientId}`)));
  let bits = 0;
  let acc = 0;
  let out = "";
  for (const byte of mac) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < CANARY_CHARS) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
    if (out.length === CANARY_CHARS) break;
  }
  return CANARY_PREFIX + out;
}

/**
 * What a model (or an attacker asking it to dodge a filter) puts between a token's characters:
 * spaces, line breaks, zero-width characters, soft hyphens, hyphens, dots, underscores.
 */
const SEPARATOR = /[\s\u00ad\u180e\u200b-\u200f\u2060\ufeff._-]/u;
const SEPARATOR_SRC = "[\\s\\u00ad\\u180e\\u200b-\\u200f\\u2060\\ufeff._-]";
/** At most this many separator characters between two of the canary's characters. */
const MAX_GAP = 3;

/**
 * @example
 * const s = canaryScanner(canary, "redact");
 * s.apply(`the secret is ${canary}`, "").text // "the secret is [redacted]"
 */
/**
 * A canary's pattern, per isolate: a client's canary is the same on every request, and
 * building (and compiling) its expression each time cost more than matching it. Shared
 * safely: `matchAll` works on a copy of a global expression, never on its `lastIndex`.
 */
const canaryPatterns = new Map<string, RegExp>();
const CANARY_PATTERNS_KEPT = 4096;

function canaryPattern(core: string): RegExp {
  let pattern = canaryPatterns.get(core);
  if (pattern === undefined) {
    pattern = new RegExp([...core].join(`${SEPARATOR_SRC}{0,${MAX_GAP}}`), "gi");
    if (canaryPatterns.size >= CANARY_PATTERNS_KEPT) canaryPatterns.clear();
    canaryPatterns.set(core, pattern);
  }
  return pattern;
}

export function canaryScanner(canary: string, action: OutputAction): OutputScanner {
  // Only letters and digits identify the canary; its own hyphen is just another separator.
  const core = canary.toLowerCase().replace(/[^a-z0-9]/g, "");
  const active = action !== "allow" && core.length > 0;
  const pattern = canaryPattern(core);
  const maxSpan = core.length * (MAX_GAP + 1);

  /** How far `s` from `i` follows the canary: its length if whole, -1 on a mismatch. */
  const follow = (s: string, i: number): { matched: number; end: number } => {
    let k = 0;
    let gap = 0;
    let j = i;
    for (; j < s.length && k < core.length; j++) {
      const ch = (s[j] as string).toLowerCase();
      if (ch === core[k]) {
        k++;
        gap = 0;
      } else if (k > 0 && SEPARATOR.test(ch) && gap < MAX_GAP) gap++;
      else return { matched: -1, end: j };
    }
    return { matched: k, end: j };
  };

  return {
    holdFrom(pending: string): number {
      if (!active) return pending.length;
      // The earliest start whose remainder is an unfinished beginning of the canary.
      for (let i = Math.max(0, pending.length - maxSpan); i < pending.length; i++) {
        if ((pending[i] as string).toLowerCase() !== core[0]) continue;
        const f = follow(pending, i);
        if (f.matched > 0 && f.matched < core.length && f.end === pending.length) return i;
      }
      return pending.length;
    },
    apply(text: string, before: string): ScanResult {
      if (!active) return { text, findings: [] };
      const findings: OutputFinding[] = [];
      const edits: Array<[number, number]> = [];
      // A canary that straddles already-released text (the guard force-released part of
      // it): reported, and the part in this text removed.
      const back = before.slice(-maxSpan);
      for (let i = 0; i < back.length; i++) {
        if ((back[i] as string).toLowerCase() !== core[0]) continue;
        const f = follow(back + text.slice(0, maxSpan), i);
        if (f.matched === core.length && f.end > back.length) {
          edits.push([0, f.end - back.length]);
          break;
        }
      }
      for (const m of text.matchAll(pattern)) {
        if (edits.length > 0 && m.index < (edits[0]?.[1] ?? 0)) continue;
        edits.push([m.index, m.index + m[0].length]);
      }
      for (let k = 0; k < edits.length; k++) findings.push({ kind: "canary", type: "CANARY", action });
      if (action !== "redact" || edits.length === 0) return { text, findings };
      let out = "";
      let pos = 0;
      for (const [s, e] of edits) {
        out += `${text.slice(pos, s)}[redacted]`;
        pos = e;
      }
      return { text: out + text.slice(pos), findings };
    },
  };
}

/**
 * 20 words: a sentence or two. Shorter verbatim runs happen by chance (stock phrases such as
 * "if you are not sure, say that you do not know" appear in prompts and answers alike);
 * a system prompt quoted for 20 words in order is being recited, not coincided with.
 */
export const DEFAULT_OVERLAP_WORDS = 20;
/** Shingle length: long enough that a shingle shared by chance is rare, short enough to see a 20-word quote. */
const SHINGLE = 8;

/**
 * Scripts written without spaces: each character is a token, so shingles are character
 * n-grams there and `minWords` counts characters (20 Chinese characters are about 10 words).
 */
const TOKEN_RE = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}]|(?:(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}])[\p{L}\p{N}\p{M}])+/gu;

const TRAILING_WORD = /(?:(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}])[\p{L}\p{N}\p{M}])+$/u;
const MAX_HELD_WORD = 64;

function words(text: string): string[] {
  return Array.from(text.matchAll(TOKEN_RE), (m) => m[0].toLowerCase());
}

interface RunState {
  /** The last (up to) k words of output. */
  window: string[];
  /** Consecutive output shingles found in the system prompt. */
  shingles: number;
}

/**
 * Verbatim overlap with the system prompt, tracked across a stream's chunks. Nothing is held
 * back to find a quote: by the time a run is long enough to count, most of it may already be
 * sent, so `redact` removes only the run's part in the text being released and every
 * matching run after it (text released earlier stays sent), and `block` is how a stream is
 * stopped (the caller ends it). Words are compared lowercased with punctuation dropped; in
 * scripts written without spaces each character counts as a word.
 *
 * @example
 * const s = overlapScanner(systemPrompt, { minWords: DEFAULT_OVERLAP_WORDS, action: "block" });
 * s.apply(answer, "").findings // [{ kind: "overlap", type: "SYSTEM_PROMPT_OVERLAP", action: "block" }] when it quotes
 */
/** What an overlap scanner needs of one system prompt: built once per prompt, read only. */
interface PromptShingles {
  /** Words in the prompt. */
  count: number;
  /** Every run of k consecutive prompt words, joined by spaces. */
  shingles: Set<string>;
  /** The longest prompt word plus 2: how much of an unfinished word is worth carrying. */
  carryMax: number;
}

/**
 * Shingles per (k, system prompt), per isolate: an application sends the same system prompt
 * with every request, and splitting it into words and shingles on each one was a visible
 * share of the response stage's CPU. Bounded in entries and in the size of a prompt kept.
 */
const shingleCache = new Map<string, PromptShingles>();
const SHINGLE_CACHE_ENTRIES = 64;
const SHINGLE_CACHE_MAX_CHARS = 32 * 1024;

function promptShingles(systemPrompt: string, k: number): PromptShingles {
  const key = `${k}\0${systemPrompt}`;
  const known = shingleCache.get(key);
  if (known !== undefined) return known;
  const promptWords = words(systemPrompt);
  const shingles = new Set<string>();
  for (let i = 0; i + k <= promptWords.length; i++) shingles.add(promptWords.slice(i, i + k).join(" "));
  // A word longer than every word of the prompt matches none of them, so only that much of an
  // unfinished word is carried to the next chunk: carrying all of it made an answer that is one
  // long unbroken run (base64, a hex dump) cost time quadratic in its length.
  const built = { count: promptWords.length, shingles, carryMax: promptWords.reduce((n, w) => Math.max(n, w.length), 0) + 2 };
  if (systemPrompt.length <= SHINGLE_CACHE_MAX_CHARS) {
    if (shingleCache.size >= SHINGLE_CACHE_ENTRIES) shingleCache.delete(shingleCache.keys().next().value!);
    shingleCache.set(key, built);
  }
  return built;
}

export function overlapScanner(systemPrompt: string, opts: { minWords: number; action: OutputAction }): OutputScanner {
  const minWords = Math.max(1, Math.floor(opts.minWords));
  const k = Math.min(SHINGLE, minWords);
  const prompt = opts.action === "allow" ? undefined : promptShingles(systemPrompt, k);
  const active = prompt !== undefined && prompt.count >= minWords;
  const shingles = active ? prompt.shingles : new Set<string>();
  const carryMax = prompt?.carryMax ?? 2;

  let state: RunState = { window: [], shingles: 0 };
  let carry = "";
  let reported = false;
  // A `[redacted]` marker was sent for a run that was still going at the end of the last
  // release: its continuation is removed without another marker, so a stream of small
  // chunks does not turn into a string of markers.
  let marking = false;

  const step = (s: RunState, word: string): RunState => {
    const window = s.window.length < k ? [...s.window, word] : [...s.window.slice(1), word];
    if (window.length < k) return { window, shingles: 0 };
    return { window, shingles: shingles.has(window.join(" ")) ? s.shingles + 1 : 0 };
  };
  const runWords = (s: RunState): number => (s.shingles === 0 ? 0 : s.shingles + k - 1);

  return {
    holdFrom(pending: string): number {
      // Nothing is held to find a quote (that would delay every answer). Only while a
      // redacted run is going on, a word still being written waits for its end, so a quote
      // is not sent piecemeal between markers.
      if (!marking) return pending.length;
      const tail = TRAILING_WORD.exec(pending.slice(-MAX_HELD_WORD));
      return tail === null || tail[0].length >= MAX_HELD_WORD ? pending.length : pending.length - tail[0].length;
    },
    apply(text: string, _before: string): ScanResult {
      if (!active) return { text, findings: [] };
      // A word cut by the chunk boundary is finished by the next chunk: it is carried over.
      const joined = carry + text;
      const tokens = Array.from(joined.matchAll(TOKEN_RE), (m) => ({ word: m[0].toLowerCase(), start: m.index - carry.length, end: m.index + m[0].length - carry.length }));
      const last = tokens[tokens.length - 1];
      const unfinished = last !== undefined && last.end === text.length && last.word.length > 0 && !/^[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}]$/u.test(last.word);
      const complete = unfinished ? tokens.slice(0, -1) : tokens;
      carry = unfinished && last !== undefined ? carried(joined.slice(last.start + carry.length), carryMax) : "";

      const findings: OutputFinding[] = [];
      const redact: Array<[number, number]> = [];
      const mark = (s: RunState, upTo: number, end: number): void => {
        // The run's words that are in this text: from the first of them (or the text's
        // start, when the run began in text already sent) to the current word's end.
        const firstIndex = upTo - runWords(s) + 1;
        redact.push([firstIndex <= 0 ? 0 : Math.max(0, complete[firstIndex]?.start ?? 0), end]);
      };
      const consider = (s: RunState, index: number, end: number): void => {
        const run = runWords(s);
        if (run >= minWords && !reported) {
          reported = true;
          findings.push({ kind: "overlap", type: "SYSTEM_PROMPT_OVERLAP", action: opts.action });
        }
        if (opts.action === "redact" && reported && run > 0) mark(s, index, end);
      };
      complete.forEach((t, index) => {
        state = step(state, t.word);
        consider(state, index, t.end);
      });
      // The carried word may well be complete (the response could end here): counted
      // tentatively so a quote at the very end is not missed, and recounted when finished.
      if (unfinished && last !== undefined) {
        const tentative = step(state, last.word);
        if (runWords(tentative) >= minWords && !reported) {
          reported = true;
          findings.push({ kind: "overlap", type: "SYSTEM_PROMPT_OVERLAP", action: opts.action });
        }
      }
      const continued = marking;
      const lastRange = redact[redact.length - 1];
      if (complete.length > 0) marking = runWords(state) > 0 && lastRange !== undefined && lastRange[1] === complete[complete.length - 1]?.end;
      // While a redacted run goes on, the separators after its last word go with it.
      if (marking && complete.length > 0 && lastRange !== undefined) lastRange[1] = text.length;
      if (redact.length === 0) return { text, findings };
      return { text: mergeRedactions(text, redact, continued), findings };
    },
  };
}

/**
 * The first `max` characters of an unfinished word (lowercasing never shortens a string, so
 * the cut word is still longer than any prompt word), never ending inside a surrogate pair.
 */
function carried(word: string, max: number): string {
  if (word.length <= max) return word;
  const c = word.charCodeAt(max - 1);
  return word.slice(0, c >= 0xd800 && c <= 0xdbff ? max - 1 : max);
}

/** Runs overlap as they grow word by word: merged, each merged range becomes one marker. */
function mergeRedactions(text: string, ranges: Array<[number, number]>, continued: boolean): string {
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  let out = "";
  let pos = 0;
  for (const [s, e] of merged) {
    out += text.slice(pos, s) + (continued && s === 0 ? "" : "[redacted]");
    pos = e;
  }
  return out + text.slice(pos);
}
