/**
 * The text the detector scores: `foldForDetection(text).folded`, followed by the folded text of
 * any embedded base64 / hex / percent / HTML payload (`decodePayloads`), by the ROT13 and
 * reversed readings when the text mentions them, and by the reading ./readings.ts finds when the
 * text looks Caesar-shifted, reversed, pig-Latin, Morse or camelCase without saying so (the
 * caller, `viewAndScan` in ./model.ts, passes it in), so an encoded instruction is read as the
 * model would read it. A hex dump that decodes to text is read as that text where it stands, not as
 * digits (see `buildView`).
 *
 * `foldForDetection` keeps offset maps and runs three passes; on a 4 KB prompt that is several
 * times the detector's whole budget. Most prompts are plain ASCII (plus accented Latin letters
 * and typographic quotes), where the fold reduces to lower case plus leetspeak inside tokens
 * that hold a letter. This module computes exactly that in one pass, and hands every other text
 * (other scripts, combining marks, letters spelled out with separators) to `foldForDetection`
 * itself. test/firewall-detector.test.ts checks that both paths give the same string.
 */
import { decodePayloads, foldForDetection, rot13, type DecodedPayload } from "../normalize/index";
import { replaceSpans } from "../../util/spans";

/** Folded code units of the current view, per isolate. */
export let CODES = new Uint16Array(1 << 14);

export interface View {
  /** Length of the view in CODES. */
  n: number;
  /**
   * The view as a string, when it may hold scripts the substring lexicon covers; else null.
   * Built on first read (most views never need it); read it before the next `buildView`.
   */
  readonly text: string | null;
  /** 1 when a payload was decoded into the view (appended, or a hex dump read in place). */
  payload: number;
  /** The text names ROT13 or reversal, and the view holds those readings. */
  named: boolean;
}

/** Symbols below 0x250 that `foldForDetection` leaves unchanged in every context (test/firewall-detector.test.ts). */
const KEPT_LATIN1 = [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa9, 0xab, 0xac, 0xae, 0xb0, 0xb1, 0xb6, 0xb7, 0xbb, 0xbf, 0xd7, 0xf7];

/** Code points below 0x250 (and some punctuation) whose fold is one known ASCII unit or themselves; 0 = fall back. */
const FAST = new Uint16Array(0x250);
const LEET = new Uint16Array(128);
{
  for (let c = 0; c < 0x80; c++) FAST[c] = c >= 65 && c <= 90 ? c | 0x20 : c;
  FAST[0] = 0; // NUL: let the full fold decide
  for (let c = 0xa0; c < 0x250; c++) {
    const d = String.fromCharCode(c).normalize("NFKD").replace(/\p{M}/gu, "");
    if (d.length === 1 && /[A-Za-z0-9 ]/.test(d)) FAST[c] = d.charCodeAt(0) | (d >= "A" && d <= "Z" ? 0x20 : 0);
  }
  // Latin-1 symbols every fold pass leaves as they are (£, §, ©, °, ±, ×, ...): without them a
  // price in pounds sent the whole segment down the three-pass fold.
  for (const c of KEPT_LATIN1) FAST[c] = c;
  for (let c = 0; c < 128; c++) LEET[c] = c;
  for (const [k, v] of Object.entries({ "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s" })) {
    LEET[k.charCodeAt(0)] = v.charCodeAt(0);
  }
}

/** Typographic punctuation and currency signs (€, ₹, ₽, ...; not ₨, which NFKC spells "Rs") that every fold pass leaves unchanged. */
function keptAsIs(c: number): boolean {
  return c === 0x2010 || c === 0x2013 || c === 0x2014 || c === 0x2018 || c === 0x2019 || c === 0x201c ||
    c === 0x201d || c === 0x2022 || c === 0x2020 || c === 0x2021 || c === 0x2030 || c === 0x2212 ||
    (c >= 0x20a0 && c <= 0x20c0 && c !== 0x20a8);
}

/** Per folded ASCII code: 1 unit ([a-z0-9@$]), 2 lower-case letter. */
const UNIT = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122)) UNIT[c] = 3;
  else if ((c >= 48 && c <= 57) || c === 64 || c === 36) UNIT[c] = 1;
}

function ensure(n: number): void {
  if (CODES.length >= n) return;
  const next = new Uint16Array(Math.max(n, CODES.length * 2));
  next.set(CODES);
  CODES = next;
}

/** Segments of about this many characters are folded independently (see `nextSplit`). */
const SEGMENT = 512;

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
}

/**
 * The first safe cut at or after `from`: just after a space, tab or newline that follows two
 * ASCII letters or digits and precedes no combining mark. No step of the fold reaches across
 * such a cut (tokens stop at whitespace; a spelled-out run cannot hold a two-character token;
 * a mark would join the whitespace's cluster), so folding the pieces apart gives the same text.
 */
function nextSplit(text: string, from: number, n: number): number {
  for (let i = Math.max(from, 2); i < n - 1; i++) {
    const c = text.charCodeAt(i);
    if ((c === 32 || c === 10 || c === 9) && isAsciiAlnum(text.charCodeAt(i - 1)) && isAsciiAlnum(text.charCodeAt(i - 2)) &&
      text.charCodeAt(i + 1) < 0x300) return i + 1;
  }
  return n;
}

/** Whether `codes[a, a + len)` and `codes[b, b + len)` hold the same separator. */
function sameSeparator(codes: Uint16Array, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (codes[a + k] !== codes[b + k]) return false;
  return true;
}

/** Set by `fastSegment`: the text may hold an encoded payload. */
let fastPayload = false;

/**
 * Folds `text[start, end)` into CODES at `out` in one pass, if it is simple enough: only
 * characters of FAST, and no three single units in a row joined by one repeated separator, which
 * pass 2 might join. Also runs the payload test of `mayHoldPayload`. Returns false (CODES partly
 * written) to fall back.
 */
function fastSegment(text: string, start: number, end: number, out: number): boolean {
  const codes = CODES;
  const shift = out - start;
  let singles = 0; // single-unit tokens in a row, separated by 1-3 other characters on one line
  let lastSingleEnd = -10;
  let sepAt = 0; // where in CODES the separator of the current run of singles is, and its length
  let sepLen = 0;
  let tokStart = -1;
  let letter = false;
  let lastNewline = -1;
  let b64 = 0;
  let mixed = false;
  let hex = 0;
  let pairs = 0;
  let payload = fastPayload;
  for (let i = start; i <= end; i++) {
    let m = 32;
    if (i < end) {
      const c = text.charCodeAt(i);
      m = c < 0x250 ? FAST[c]! : keptAsIs(c) ? c : 0;
      if (m === 0) return false;
      codes[i + shift] = m;
      if (!payload) {
        const k = c < 128 ? B64[c]! : 0;
        if ((k & 1) !== 0) {
          b64++;
          if ((k & 2) !== 0 && b64 > 1) mixed = true;
          hex = (k & 4) !== 0 ? hex + 1 : 0;
          if ((b64 >= 16 && mixed) || hex >= 16) payload = true;
        } else {
          pairs = hexPairs(c, b64, hex, pairs);
          if (pairs >= 7) payload = true;
          b64 = hex = 0;
          mixed = false;
          if (c === 37 || c === 38 || c === 92) payload ||= escapeAt(text, i);
        }
      }
    }
    const u = m < 128 ? UNIT[m]! : 0;
    if (u !== 0) {
      if (tokStart < 0) tokStart = i;
      if (u === 3) letter = true;
      continue;
    }
    if (tokStart >= 0) {
      if (i - tokStart === 1) {
        const gap = tokStart - lastSingleEnd;
        if (gap >= 1 && gap <= 3 && lastNewline < lastSingleEnd) {
          // Pass 2 joins only singles with the same separator each time ("a 4.9" is no run).
          if (singles >= 2 && gap === sepLen && sameSeparator(codes, sepAt, lastSingleEnd + shift, gap)) return false;
          singles = 2;
          sepAt = lastSingleEnd + shift;
          sepLen = gap;
        } else singles = 1;
        lastSingleEnd = i;
      } else {
        singles = 0;
        lastSingleEnd = -10;
      }
      // Leetspeak inside tokens that hold a letter (pass 3 of the fold).
      if (letter) for (let k = tokStart + shift; k < i + shift; k++) codes[k] = LEET[codes[k]!]!;
      tokStart = -1;
      letter = false;
    }
    if (m === 10) lastNewline = i;
  }
  fastPayload = payload;
  return true;
}

/**
 * Folds `text` into CODES segment by segment: the one-pass fold where it applies, and
 * `foldForDetection` for the segments it does not. Returns the view length; `slowPath` tells
 * whether any segment needed the full fold (then the view may hold other scripts).
 */
let slowPath = false;
function foldInto(text: string): number {
  const len = text.length;
  ensure(len + 1);
  fastPayload = false;
  slowPath = false;
  let out = 0;
  for (let s = 0; s < len; ) {
    const e = len - s <= SEGMENT ? len : nextSplit(text, s + SEGMENT, len);
    if (fastSegment(text, s, e, out)) out += e - s;
    else {
      const piece = text.slice(s, e);
      const f = foldForDetection(piece).folded;
      ensure(out + f.length + (len - e) + 1);
      for (let i = 0; i < f.length; i++) CODES[out + i] = f.charCodeAt(i);
      out += f.length;
      slowPath = true;
      if (!fastPayload) fastPayload = mayHoldPayload(piece);
    }
    s = e;
  }
  return out;
}

/** Per ASCII code: 1 base64 alphabet, 2 a character that base64 of text nearly always has, 4 hex digit. */
const B64 = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9+/_-]/.test(ch)) B64[c] = 1;
  if (/[0-9+/A-Z]/.test(ch)) B64[c] = B64[c]! | 2;
  if (/[0-9A-Fa-f]/.test(ch)) B64[c] = B64[c]! | 4;
}

/**
 * Separated hex byte pairs ("49 67 6E ...", "0x49, 0x67, ..."): the count of runs in a row that
 * end in two hex digits and are closed by " ", "," or ":", after the non-base64 character `c`
 * that ends a run of `b64` characters with `hex` hex digits at its end. Seven of them (eight
 * pairs, the last one unclosed) may be a dump for `decodePayloads`.
 */
function hexPairs(c: number, b64: number, hex: number, pairs: number): number {
  if (c !== 32 && c !== 44 && c !== 58) return 0;
  if (b64 === 0) return pairs; // the space of ", "
  return hex === 2 ? pairs + 1 : 0;
}

/** Cheap test for something `decodePayloads` could decode: runs of base64 or hex, escapes, entities. */
export function mayHoldPayload(text: string): boolean {
  let b64 = 0;
  let mixed = false;
  let hex = 0;
  let pairs = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? B64[c]! : 0;
    if ((k & 1) !== 0) {
      b64++;
      if ((k & 2) !== 0 && b64 > 1) mixed = true;
      if (b64 >= 16 && mixed) return true;
      hex = (k & 4) !== 0 ? hex + 1 : 0;
      if (hex >= 16) return true;
      continue;
    }
    pairs = hexPairs(c, b64, hex, pairs);
    if (pairs >= 7) return true;
    b64 = 0;
    hex = 0;
    mixed = false;
    if ((c === 37 || c === 38 || c === 92) && escapeAt(text, i)) return true;
  }
  return false;
}

/** "%41%42" (two percent escapes in a row), "&#" or "&name;", or "\x". */
function escapeAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const n = text.length;
  if (c === 37) {
    return i + 5 < n && (B64[text.charCodeAt(i + 1) & 127]! & 4) !== 0 && (B64[text.charCodeAt(i + 2) & 127]! & 4) !== 0 &&
      text.charCodeAt(i + 3) === 37;
  }
  if (c === 38) {
    const next = text.charCodeAt(i + 1);
    if (next === 35) return true;
    if ((next | 0x20) >= 97 && (next | 0x20) <= 122) {
      for (let j = i + 2; j < n && j <= i + 9; j++) if (text.charCodeAt(j) === 59) return true;
    }
    return false;
  }
  return c === 92 && (text.charCodeAt(i + 1) | 0x20) === 120;
}

/** The folded view of `text` alone, as a string (used for lexicon entries). */
export function foldText(text: string): string {
  return viewString(foldInto(text));
}

/** Most decoded text appended to a view, relative to the text's length. */
const PAYLOAD_FACTOR = 2;

/** The text says it is ROT13 or reversed: score those readings too (bounded, see below). */
const TRANSFORM_RE = /rot[\s_-]?13|backwards|reversed|reverse (?:the|this|each|it)/i;
const TRANSFORM_MAX = 4096;

/**
 * Builds the view of `text` in CODES. `reading`: an extra reading of the text found by the scan
 * of its plain view (./readings.ts `extraReading`: a Caesar shift, reversal, pig Latin, Morse, camelCase),
 * appended like the ROT13 reading of a text that names it.
 */
export function buildView(text: string, reading = ""): View {
  // Extra readings first: folding them reuses CODES.
  let extra = "";
  const named = TRANSFORM_RE.test(text);
  if (named) {
    const head = text.slice(0, TRANSFORM_MAX);
    extra = foldText("\n" + rot13(head) + "\n" + Array.from(head).reverse().join(""));
  }
  if (reading !== "") extra += foldText(reading);
  let n = foldInto(text);
  const payload = fastPayload;
  let otherScripts = slowPath;
  let decodedAny = false;
  if (payload) {
    const payloads = decodePayloads(text);
    const inPlace = hexDumps(payloads);
    if (inPlace.size > 0) {
      // Rare (text with a hex dump), so the text is simply folded again.
      n = foldInto(replaceSpans(text, inPlace, (p) => p.text));
      otherScripts = slowPath;
      decodedAny = true;
    }
    const budget = PAYLOAD_FACTOR * text.length + 64;
    let decoded = "";
    for (const p of payloads) {
      if (decoded.length >= budget) break;
      if (!inPlace.has(p)) decoded += "\n" + p.text;
    }
    // The full fold here: CODES holds the text's view, and payloads are rare.
    if (decoded !== "") extra += foldForDetection(decoded.slice(0, budget)).folded;
  }
  if (extra !== "") {
    ensure(n + extra.length + 1);
    for (let i = 0; i < extra.length; i++) CODES[n + i] = extra.charCodeAt(i);
    n += extra.length;
    if (!otherScripts) otherScripts = /[^\x00-\x7f]/.test(extra);
  }
  return lazyView(n, otherScripts, decodedAny || (payload && extra !== "") ? 1 : 0, named);
}

/**
 * The outermost hex payloads, decoded in full and not overlapping, that `buildView` reads in
 * place of their dump. The digits of a hex dump say nothing but the text they encode, while the
 * model scores runs of byte pairs high whatever they encode (the space-separated dump of an
 * ordinary request for a payment reminder: 0.999 injection), and a text scores as its highest
 * window, so appending the decoded text did not help: requests were refused for being hex.
 * Base64 and the escapes stay as written, their decoded text appended (written as base64, that
 * request scored as low as in plain text). Hex that decodes to no text (digests, fingerprints,
 * binary) is no payload and is read as written.
 */
function hexDumps(payloads: readonly DecodedPayload[]): Set<DecodedPayload> {
  const out = new Set<DecodedPayload>();
  let end = 0;
  for (const p of payloads) {
    if (p.depth !== 1 || p.encoding !== "hex" || p.truncated || p.start < end) continue;
    out.add(p);
    end = p.end;
  }
  return out;
}


/**
 * A view whose string is copied out of CODES only when read: the scan reads it only when it
 * met a script of the substring lexicon, and the copy cost as much as the fold on a 4 KB text.
 */
function lazyView(n: number, otherScripts: boolean, payload: number, named: boolean): View {
  let text: string | null | undefined = otherScripts ? undefined : null;
  return {
    n,
    payload,
    named,
    get text() {
      if (text === undefined) text = viewString(n);
      return text;
    },
  };
}

/** Throws on a lone surrogate, which `String.fromCharCode` would keep and the decoder would replace. */
const UTF16_STRICT = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: true });

function viewString(n: number): string {
  try {
    return UTF16_STRICT.decode(CODES.subarray(0, n));
  } catch {
    // A lone surrogate: copy the code units as they are.
  }
  let s = "";
  for (let i = 0; i < n; i += 4096) s += String.fromCharCode(...CODES.subarray(i, Math.min(n, i + 4096)));
  return s;
}
