/**
 * The scanning core of the secret detectors. Every secret they look for (vendor keys, JWTs,
 * context-only tokens) is a run of at least 20 "token characters" (`A-Z a-z 0-9 _ - + / .`),
 * and such runs are rare in prose. Searching the prompt for every prefix and keyword costs
 * about 20 µs per 4 KB on Node 20 (one case-insensitive regex, or ~25 `indexOf` calls);
 * instead, one skipping pass with a table lookup (a few µs per 4 KB) finds the long runs, and
 * only those reach the rules: prefix rules at the positions inside a run where a token may
 * start, run rules on the run as a whole.
 *
 * Linear time: the pass reads each character at most twice; a prefix rule reads a bounded
 * number of characters (at most the run it sits in), and the scan resumes after its match.
 * Private keys (PEM) contain spaces, so `pem.ts` finds them on its own with `indexOf`.
 */
import type { Entity } from "../entity";
import type { Detector } from "../pii/scan";

/** A rule anchored on literal, case-sensitive prefixes ("ghp_", "AKIA", ...). */
export interface PrefixRule {
  readonly prefixes: readonly string[];
  /** Validates the token that starts at `start` with `prefix`; null when it is not a secret. */
  match(text: string, start: number, prefix: string): Entity | null;
}

/** A rule that classifies a whole run [start, end) by the context before it. */
export type RunRule = (text: string, start: number, end: number) => Entity | null;

/** Shortest run worth looking at: an AWS access key id (20) is the shortest secret here. */
export const MIN_RUN = 20;

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = 1;
  for (let c = 65; c <= 90; c++) t[c] = 1;
  for (let c = 97; c <= 122; c++) t[c] = 1;
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** Character classes, as 128-entry lookup tables. */
export const ALNUM = table("");
export const WORD = table("_");
export const B64URL = table("_-");
export const B64 = table("+/");
const RUN = table("_-+/.");
const ESCAPE_LETTER = new Uint8Array(128);
for (const ch of "nrt") ESCAPE_LETTER[ch.charCodeAt(0)] = 1;
/** A token may start right after one of these inside a run ("/v1/sk-...", "e.g.AKIA..."). */
const STARTS_AFTER = new Uint8Array(128);
for (const ch of "./+") STARTS_AFTER[ch.charCodeAt(0)] = 1;

export function inClass(cls: Uint8Array, c: number): boolean {
  return c < 128 && cls[c] === 1;
}

/** End of the run of `cls` characters from `from`, reading at most `max + 1` characters. */
export function readClass(text: string, from: number, cls: Uint8Array, max: number): number {
  const stop = Math.min(text.length, from + max + 1);
  let i = from;
  while (i < stop && inClass(cls, text.charCodeAt(i))) i++;
  return i;
}

/**
 * Builds a detector from rules; call it at module scope, so the prefix table is built once.
 * @example const npmTokens = createScanner([NPM_RULE]); npmTokens("npm_" + random36) // [{ start: 0, end: 40, ... }]
 */
export function createScanner(prefixRules: readonly PrefixRule[], runRules: readonly RunRule[] = []): Detector {
  // Rules by the first character of their prefixes (all ASCII), longest prefix first so that
  // "sk-ant-" is tried before "sk-".
  const byFirst: Array<Array<[string, PrefixRule]> | undefined> = new Array(128);
  for (const rule of prefixRules) {
    for (const p of rule.prefixes) {
      const list = (byFirst[p.charCodeAt(0)] ??= []);
      list.push([p, rule]);
      list.sort((a, b) => b[0].length - a[0].length);
    }
  }
  const scanRun = (text: string, s: number, e: number, out: Entity[]): void => {
    // In JSON-escaped text ("...\\nghp_...") the letter of an escape starts the run: skip it.
    if (s > 0 && text.charCodeAt(s - 1) === 92 && ESCAPE_LETTER[text.charCodeAt(s)] === 1) s++;
    let found = false;
    let q = s;
    next: while (q < e) {
      if (q === s || STARTS_AFTER[text.charCodeAt(q - 1)] === 1) {
        const rules = byFirst[text.charCodeAt(q)]; // run characters are ASCII
        if (rules !== undefined) {
          for (const [p, rule] of rules) {
            if (!text.startsWith(p, q)) continue;
            const hit = rule.match(text, q, p);
            if (hit === null) continue;
            out.push(hit);
            found = true;
            q = Math.max(q + 1, hit.end);
            continue next;
          }
        }
      }
      q++;
    }
    if (found) return;
    for (const rule of runRules) {
      const hit = rule(text, s, e);
      if (hit !== null) {
        out.push(hit);
        return;
      }
    }
  };
  return (text) => {
    const out: Entity[] = [];
    const n = text.length;
    // Finds runs of at least MIN_RUN characters the way Boyer-Moore-Horspool finds a pattern:
    // test the last character of the window [i, i + MIN_RUN) first and walk back; the first
    // character outside the class, at k, rules out every run starting in [i, k]. In prose that
    // is a space a few letters back, so the scan reads about one character in four. Each
    // character is read at most twice. Invariant: i === 0 or text[i - 1] is not a run character.
    let i = 0;
    while (i + MIN_RUN <= n) {
      let k = i + MIN_RUN - 1;
      let c: number;
      while (k >= i && (c = text.charCodeAt(k)) < 128 && RUN[c] === 1) k--;
      if (k >= i) {
        i = k + 1;
        continue;
      }
      let e = i + MIN_RUN;
      while (e < n && (c = text.charCodeAt(e)) < 128 && RUN[c] === 1) e++;
      scanRun(text, i, e, out);
      i = e + 1;
    }
    return out;
  };
}

const COUNTS = new Uint16Array(129);

/**
 * Shannon entropy in bits per character of text[start, end); non-ASCII shares one bucket.
 * @example shannonEntropy("aaaa") // 0; shannonEntropy("abcd") // 2
 */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    COUNTS[c < 128 ? c : 128]!++;
  }
  let h = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? c : 128;
    const count = COUNTS[k]!;
    if (count === 0) continue; // already counted
    const p = count / n;
    h -= p * Math.log2(p);
    COUNTS[k] = 0;
  }
  return h;
}

export const LOWER = 1;
export const UPPER = 2;
export const DIGIT = 4;
export const SYMBOL = 8;

/** Bit set of the character classes present in text[start, end). */
export function charClasses(text: string, start = 0, end = text.length): number {
  let m = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) m |= LOWER;
    else if (c >= 65 && c <= 90) m |= UPPER;
    else if (c >= 48 && c <= 57) m |= DIGIT;
    else m |= SYMBOL;
  }
  return m;
}

export function classCount(mask: number): number {
  return (mask & 1) + ((mask >> 1) & 1) + ((mask >> 2) & 1) + ((mask >> 3) & 1);
}

const PLACEHOLDER_WORD_RE = /example|sample|dummy|placeholder|redacted|your|xxxx|changeme|insert|replace/i;

/**
 * True for values that only look like a secret: documentation examples ("AKIAIOSFODNN7EXAMPLE"
 * from the AWS docs), templates ("sk-your-key-here", "sk-XXXXXXXX"), runs of one character,
 * counting sequences ("123456", "abcdef") and low-entropy repetition ("a1B2a1B2...").
 * Random keys trip none of these except by chance (six equal characters in a row among 40
 * random base62 ones: about 4 in 10^8).
 * @example looksLikePlaceholder("AKIAIOSFODNN7EXAMPLE") // true
 */
export function looksLikePlaceholder(text: string, start = 0, end = text.length): boolean {
  if (end - start < 1) return true;
  if (PLACEHOLDER_WORD_RE.test(text.slice(start, end))) return true;
  let same = 1;
  let up = 1;
  let down = 1;
  for (let i = start + 1; i < end; i++) {
    const d = text.charCodeAt(i) - text.charCodeAt(i - 1);
    same = d === 0 ? same + 1 : 1;
    up = d === 1 ? up + 1 : 1;
    down = d === -1 ? down + 1 : 1;
    if (same >= 6 || up >= 6 || down >= 6) return true;
  }
  // Random strings of 16-23 characters from a 36+ letter alphabet carry ~3.5 bits per
  // character, longer ones 4+; the floors leave a wide margin below that.
  const floor = end - start < 24 ? 2.5 : 3;
  return shannonEntropy(text, start, end) < floor;
}
