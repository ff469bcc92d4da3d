/**
 * Small helpers shared by the PII detectors. Every detector is a pure function of the text
 * and runs in linear time: regexes here have bounded repetition only (no nested unbounded
 * quantifiers), and context checks look at a fixed-size window around a candidate.
 */
import type { Entity } from "../entity";

/** A detector: text in, typed spans out (UTF-16 offsets, `end` exclusive). */
export type Detector = (text: string) => Entity[];

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** ASCII letter, digit or underscore: what `\w` means in a non-unicode regex. */
export function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

export function digitsOnly(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) if (isDigitCode(s.charCodeAt(i))) out += s[i];
  return out;
}

/** True when `re` (non-global) matches within `window` characters before `start`. */
export function contextBefore(text: string, start: number, re: RegExp, window = 40): boolean {
  return re.test(text.slice(Math.max(0, start - window), start));
}

/** True when `re` (non-global) matches within `window` characters after `end`. */
export function contextAfter(text: string, end: number, re: RegExp, window = 24): boolean {
  return re.test(text.slice(end, end + window));
}

/** Luhn (ISO/IEC 7812-1 annex B) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export function entity(type: string, start: number, end: number, detector: string, score: number): Entity {
  return { type, start, end, detector, score };
}

/**
 * Skips "filler" between a context keyword and its value: separators (`: # = - .`), quotes,
 * whitespace and a few glue words ("is", "number", "no"), at most `limit` characters.
 * Returns the index of the first character of the value.
 */
const FILLER_WORDS = new Set(["is", "was", "number", "num", "no", "nr", "id", "of", "my", "the", "be", "are", "code"]);
export function skipFiller(text: string, from: number, limit = 24): number {
  const stop = Math.min(text.length, from + limit);
  let i = from;
  while (i < stop) {
    const ch = text[i]!;
    if (ch === " " || ch === "\t" || ch === ":" || ch === "#" || ch === "=" || ch === "-" || ch === "." || ch === "\u00a0") {
      i++;
      continue;
    }
    // A glue word followed by a non-letter.
    let j = i;
    while (j < stop && /[A-Za-z]/.test(text[j]!)) j++;
    if (j > i && j < text.length && !/[A-Za-z0-9]/.test(text[j]!) && FILLER_WORDS.has(text.slice(i, j).toLowerCase())) {
      i = j;
      continue;
    }
    break;
  }
  return i;
}
