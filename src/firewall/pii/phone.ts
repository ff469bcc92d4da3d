/**
 * Phone numbers. A bounded regex proposes runs of digit groups (optionally "+CC", "00CC" and a
 * parenthesised area code); the run is then judged by shape and context. E.164 caps a number
 * at 15 digits; fewer than 7 is an extension or a short code, not a phone number.
 */
import type { Entity } from "../entity";
import { contextAfter, contextBefore, digitsOnly, entity, isDigitCode, isWordCode, scanOf, type PiiScan } from "./scan";

// Sticky: tried at each digit run start and at a '+' or '(' right before one, when not
// preceded by a word character, '+', '.', '/' or '-' (the pattern's `(?<![\w+.\/-])`).
const PHONE_RE =
  /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,8}){0,6}(?: ?(?:x|ext\.?) ?\d{1,5})?(?![\w\/]|-\d|[.,:]\d)/y;
const EXTENSION_RE = /(?: ?(?:x|ext\.?) ?\d{1,5})$/;
const NANP_RE = /^[2-9]\d\d-[2-9]\d\d-\d{4}$|^1[ -][2-9]\d\d[ -]\d{3}[ -]\d{4}$/;
const DOTTED_SHAPES = new Set(["3-3-4", "2-2-2-2-2", "3-3-2-2", "4-3-3"]);

/** Not preceded by a word character, '+', '.', '/' or '-'. */
function phoneStartOk(text: string, i: number): boolean {
  if (i === 0) return true;
  const c = text.charCodeAt(i - 1);
  return !(isWordCode(c) || c === 43 || c === 46 || c === 47 || c === 45);
}

/**
 * Whether nothing after a digit run ending at `e` could extend a match (a separator and a
 * digit, or an extension): then a match starting at the run is the run alone.
 */
function isolatedRun(text: string, e: number): boolean {
  const c = text.charCodeAt(e);
  if (c === 120 || c === 101) return false; // "x", "ext"
  if (c === 32) {
    const d = text.charCodeAt(e + 1);
    return !(isDigitCode(d) || d === 120 || d === 101);
  }
  if (c === 46 || c === 45) return !isDigitCode(text.charCodeAt(e + 1));
  return true;
}

const PHONE_CONTEXT = /\b(?:phone|tel|telephone|mobile|mob|cell|cellphone|fax|desk|office|call(?:ed|ing)?|contact|text|sms|whatsapp|dial|landline|hotline|number is|reach (?:me|us|him|her) at|answering at)\b/i;
const PHONE_AFTER = /^\s?[-(]?\s?(?:office|fax|mobile|cell|home|work|tel|phone)\b/i;
// Numbers that have a phone shape but are labelled as something else.
const NOT_PHONE_CONTEXT = /\b(?:order|invoice|ref|reference|isbn|tracking|ticket|po|account|acct|id|version|serial|case|zip|postal|card|iban|ssn|routing|amount|total|price|usd|eur|build|release|v)\b[^\n\d]{0,12}$/i;

/** Day-month-year or year-month-day shapes ("2024-01-15", "15.01.2024"), never with spaces. */
function looksLikeDate(groups: readonly string[], sep: number): boolean {
  if (groups.length !== 3 || sep === 32) return false;
  const a = Number(groups[0]);
  const b = Number(groups[1]);
  const c = Number(groups[2]);
  const la = groups[0]!.length;
  const lc = groups[2]!.length;
  if (la === 4) return b >= 1 && b <= 12 && c >= 1 && c <= 31;
  if (lc === 4 || lc === 2) return a >= 1 && a <= 31 && b >= 1 && b <= 31 && groups[0]!.length <= 2 && groups[1]!.length <= 2;
  return false;
}

/** ISBN-13 (978/979 prefix, weights 1-3) or ISBN-10 (weights 10..1, mod 11). */
function looksLikeIsbn(d: string): boolean {
  if (d.length === 13 && (d.startsWith("978") || d.startsWith("979"))) {
    let sum = 0;
    for (let i = 0; i < 13; i++) sum += (d.charCodeAt(i) - 48) * (i % 2 === 0 ? 1 : 3);
    return sum % 10 === 0;
  }
  return false;
}

/**
 * Phone numbers: international ("+44 20 7946 0958", "0049 30 ..."), US ("(415) 555-0132",
 * "415-555-0132"), and national trunk-prefixed forms (UK "020 7946 0958", DE "030 1234567",
 * FR "01 23 45 67 89"). Bare digit strings and unusual groupings need a phone keyword nearby.
 */
export function phoneNumbers(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  const sc = scanOf(text, scan);
  const starts = sc.runStarts;
  const ends = sc.runEnds;
  let next = 0;
  for (let r = 0; r < starts.length; r++) {
    const d = starts[r]!;
    if (d < next) continue;
    let m: RegExpExecArray | null = null;
    let start = d;
    // "+CC" or "(area)" just before the run: the match may start there.
    const b = d > 0 ? text.charCodeAt(d - 1) : 0;
    if ((b === 43 || b === 40) && d - 1 >= next && phoneStartOk(text, d - 1)) {
      PHONE_RE.lastIndex = d - 1;
      m = PHONE_RE.exec(text);
      if (m !== null) start = d - 1;
    }
    if (m === null) {
      if (!phoneStartOk(text, d)) continue;
      // A run of fewer than seven digits that nothing can extend matches alone and is too
      // short to be a number: skip the regex (its match would end at the run's end anyway).
      if (ends[r]! - d < 7 && isolatedRun(text, ends[r]!)) continue;
      PHONE_RE.lastIndex = d;
      m = PHONE_RE.exec(text);
      if (m === null) continue;
    }
    const end = start + m[0].length;
    next = end;
    // An extension ("x204", "ext. 12") is part of the span but not of the number.
    const ext = m[0].length > 1 ? EXTENSION_RE.exec(m[0]) : null;
    const raw = ext === null ? m[0] : m[0].slice(0, ext.index);
    // One pass over the candidate: digits, separators (' ', '.', '-') and, after an
    // international prefix ("+CC" and one separator), the digit groups.
    const plus = raw.charCodeAt(0) === 43;
    let bare = 0; // where the groups start: after "+CC" and its separator
    if (plus) {
      bare = 1;
      while (bare < 4 && bare < raw.length && isDigitCode(raw.charCodeAt(bare))) bare++;
      const c = raw.charCodeAt(bare);
      if (c === 32 || c === 46 || c === 45) bare++;
    }
    let nDigits = 0;
    let sep = 0; // first separator, 0 if none
    let mixed = false;
    const groups: string[] = [];
    let groupStart = -1;
    for (let i = 0; i <= raw.length; i++) {
      const c = i < raw.length ? raw.charCodeAt(i) : 0;
      if (c >= 48 && c <= 57) {
        nDigits++;
        if (groupStart < 0 && i >= bare) groupStart = i;
        continue;
      }
      if (groupStart >= 0) {
        groups.push(raw.slice(groupStart, i));
        groupStart = -1;
      }
      if (c === 32 || c === 46 || c === 45) {
        if (sep === 0) sep = c;
        else if (c !== sep) mixed = true;
      }
    }
    const intl = plus || (raw.charCodeAt(0) === 48 && raw.charCodeAt(1) === 48 && raw.length > 2 && raw.charCodeAt(2) !== 48);
    const national = intl && !plus ? nDigits - 2 : nDigits;
    if (national < 7 || national > 15) continue;
    if (nDigits === 13 && looksLikeIsbn(digitsOnly(raw))) continue;
    if (looksLikeDate(groups, sep)) continue;
    // Dotted runs: only the common 3-3-4 and 2-2-2-2-2 phone shapes, else IPs and versions.
    const shape = groups.map((g) => g.length).join("-");
    if (sep === 46 && !intl && !DOTTED_SHAPES.has(shape)) continue;
    const first = raw.charCodeAt(0);
    let score = 0;
    let needsContext = false;
    if (intl) {
      score = nDigits >= 8 ? 0.85 : 0;
    } else if (first === 40) {
      score = nDigits >= 10 ? 0.85 : 0.65;
    } else if (NANP_RE.test(raw) || (shape === "3-3-4" && first >= 50 && first <= 57 && !mixed)) {
      score = 0.8; // NANP
    } else if (first === 48 && groups.length >= 2 && nDigits >= 9 && nDigits <= 12 && !mixed) {
      score = 0.7; // national trunk prefix: UK 0xxxx, DE 0xx, FR 0x
    } else if (groups.length >= 2 || (nDigits >= 9 && nDigits <= 12)) {
      score = 0.7; // only with a phone keyword nearby
      needsContext = true;
    }
    if (score === 0) continue;
    if (contextBefore(text, start, NOT_PHONE_CONTEXT, 30)) continue;
    const ctx = contextBefore(text, start, PHONE_CONTEXT, 32) || contextAfter(text, end, PHONE_AFTER);
    if (needsContext && !ctx) continue;
    if (ctx) score = Math.min(0.95, score + 0.1);
    out.push(entity("PHONE_NUMBER", start, end, "phone", score));
  }
  return out;
}
