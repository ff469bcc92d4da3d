/**
 * Invisible-character and "ASCII smuggling" detection. One linear pass over the text finds
 * every character that renders as nothing (or reorders what renders) and could hide
 * instructions from a human reviewer while a model still reads them:
 * - Unicode tag characters U+E0000-E007F, which mirror ASCII and so carry hidden text
 *   (decoded into `hiddenText`), except inside an emoji tag sequence (subdivision flags, UTS #51 s1.4.5);
 * - zero-width characters, word joiner, a BOM after the start, the soft hyphen and other `Cf`;
 * - bidi controls ("Trojan Source", CVE-2021-42574), with a flag for unterminated overrides;
 * - variation selectors after a base that has no such variant (also decoded: the
 *   "emoji smuggling" scheme stores one byte per selector);
 * - private-use characters and lone surrogates (the gateway rejects the latter with 400).
 *
 * Legitimate uses stay unflagged and intact in `stripped`, by this rule:
 * - ZWJ between two emoji (the left one may end in VS16 or a skin tone) is an emoji ZWJ sequence;
 * - ZWJ or ZWNJ between two letters of a script that shapes by joining (Arabic, Persian, Syriac,
 *   N'Ko, Mongolian) or uses conjuncts (Brahmic scripts of India and South-East Asia) is
 *   orthography, e.g. the Persian "می‌خواهم" (Unicode ch. 23.2, "Cursive Connection");
 * - VS15/VS16 after an emoji (including keycap bases 0-9 # *), VS1-VS14 after a Han, Myanmar,
 *   Mongolian or math-symbol base, and ideographic selectors U+E0100-E01EF after a Han
 *   ideograph (standardized and IVD sequences);
 * - a BOM at offset 0, and Mongolian free variation selectors after a Mongolian letter.
 * Every other occurrence, including a second selector or joiner in a row, is reported.
 */

export type SmugglingKind =
  | "TAG"
  | "ZERO_WIDTH"
  | "WORD_JOINER"
  | "BOM"
  | "SOFT_HYPHEN"
  | "BIDI"
  | "VARIATION_SELECTOR"
  | "FORMAT"
  | "INVISIBLE"
  | "PRIVATE_USE"
  | "LONE_SURROGATE";

export const SMUGGLING_KINDS: readonly SmugglingKind[] = [
  "TAG", "ZERO_WIDTH", "WORD_JOINER", "BOM", "SOFT_HYPHEN", "BIDI", "VARIATION_SELECTOR",
  "FORMAT", "INVISIBLE", "PRIVATE_USE", "LONE_SURROGATE",
];

/** A run of adjacent flagged characters of one kind; UTF-16 offsets of the original, `end` exclusive. */
export interface SmugglingSpan {
  kind: SmugglingKind;
  start: number;
  end: number;
  /** Code points in the run. */
  count: number;
}

export interface SmugglingReport {
  /** True when anything was flagged. */
  found: boolean;
  /** Flagged code points per kind. */
  counts: Record<SmugglingKind, number>;
  /** Runs in text order; capped at `MAX_SPANS` (counts stay exact), see `spansTruncated`. */
  spans: SmugglingSpan[];
  spansTruncated: boolean;
  /** ASCII carried by tag characters, one line per run, for the detectors to scan. */
  hiddenText: string;
  /** Characters in `hiddenText` that came from tags (newline separators not counted). */
  hiddenLength: number;
  /** Bytes carried by runs of two or more flagged variation selectors, decoded as UTF-8. */
  variationText: string;
  /** Bidi embeddings, overrides or isolates still open at a line end or the end of the text. */
  bidiUnterminated: boolean;
  /** The text without the flagged characters; legitimate emoji and script joiners kept. */
  stripped: string;
  /** `map[i]` is the original index of `stripped[i]`; `map[stripped.length] === text.length`. */
  map: Int32Array;
}

/** Beyond this many runs only the counts grow: a report must not be larger than the attack. */
export const MAX_SPANS = 4096;

// Candidates only: everything else is skipped by the regex engine without a JS callback.
// In `u` mode a paired surrogate is one code point, so \p{Cs} matches lone halves only.
const CANDIDATE_RE = /[\p{Cf}\p{Co}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;
const EMOJI_LEFT_RE = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\u{FE0F}\u{E007F}]/u;
const EMOJI_RIGHT_RE = /\p{Extended_Pictographic}/u;
const EMOJI_BASE_RE = /\p{Emoji}/u;
const JOINING_RE =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Myanmar}\p{Script=Khmer}\p{Script=Tibetan}]/u;
const VS_BASE_RE = /[\p{Script=Han}\p{Script=Myanmar}\p{Script=Mongolian}\p{Sm}\p{So}]/u;
const HAN_RE = /\p{Script=Han}/u;
const MONGOLIAN_RE = /\p{Script=Mongolian}/u;

function cpBefore(text: string, i: number): number {
  if (i <= 0) return -1;
  return text.codePointAt(i - 1 >= 1 && (text.charCodeAt(i - 1) & 0xfc00) === 0xdc00 ? i - 2 : i - 1) ?? -1;
}

function test(re: RegExp, cp: number): boolean {
  return cp >= 0 && re.test(String.fromCodePoint(cp));
}

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

function isJoiningLetter(cp: number): boolean {
  return cp > 0x5ff && test(JOINING_RE, cp);
}

/** The base a selector attaches to: the code point before it, or -1 if that is itself a selector. */
function variationOk(text: string, i: number, cp: number): boolean {
  const base = cpBefore(text, i);
  if (base < 0 || isVariationSelector(base)) return false;
  if (cp === 0xfe0e || cp === 0xfe0f) return test(EMOJI_BASE_RE, base);
  if (cp < 0xfe00 + 14) return test(VS_BASE_RE, base);
  return test(HAN_RE, base);
}

/** An emoji tag sequence: black flag, 1-31 tag letters/digits, CANCEL TAG (UTS #51 ED-14a). */
function emojiTagSequenceEnd(text: string, start: number): number {
  if (cpBefore(text, start) !== 0x1f3f4) return -1;
  let i = start;
  let n = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    if (cp === 0xe007f) return n >= 1 && n <= 31 ? i + 2 : -1;
    if (!((cp >= 0xe0030 && cp <= 0xe0039) || (cp >= 0xe0061 && cp <= 0xe007a))) return -1;
    n++;
    i += 2;
  }
  return -1;
}

function classify(text: string, i: number, cp: number): SmugglingKind | null {
  switch (cp) {
    case 0x200b:
      return "ZERO_WIDTH";
    case 0x200c:
      return isJoiningLetter(cpBefore(text, i)) && isJoiningLetter(text.codePointAt(i + 1) ?? -1) ? null : "ZERO_WIDTH";
    case 0x200d: {
      const before = cpBefore(text, i);
      const after = text.codePointAt(i + 1) ?? -1;
      if (test(EMOJI_LEFT_RE, before) && test(EMOJI_RIGHT_RE, after)) return null;
      return isJoiningLetter(before) && isJoiningLetter(after) ? null : "ZERO_WIDTH";
    }
    case 0x2060:
      return "WORD_JOINER";
    case 0xfeff:
      return i === 0 ? null : "BOM";
    case 0x00ad:
      return "SOFT_HYPHEN";
    case 0x200e:
    case 0x200f:
    case 0x061c:
      return "BIDI";
  }
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return "BIDI";
  if (cp >= 0xe0000 && cp <= 0xe007f) return "TAG";
  if (isVariationSelector(cp)) return variationOk(text, i, cp) ? null : "VARIATION_SELECTOR";
  if (cp >= 0xd800 && cp <= 0xdfff) return "LONE_SURROGATE";
  if ((cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0xf0000) return "PRIVATE_USE";
  if ((cp >= 0x180b && cp <= 0x180d) || cp === 0x180f) return MONGOLIAN_RE.test(String.fromCodePoint(cpBefore(text, i))) ? null : "INVISIBLE";
  return /\p{Cf}/u.test(String.fromCodePoint(cp)) ? "FORMAT" : "INVISIBLE";
}

function emptyCounts(): Record<SmugglingKind, number> {
  const c = {} as Record<SmugglingKind, number>;
  for (const k of SMUGGLING_KINDS) c[k] = 0;
  return c;
}

/** Butler's scheme: VS1-16 carry bytes 0-15, VS17-256 carry bytes 16-255. */
function variationByte(cp: number): number {
  return cp <= 0xfe0f ? cp - 0xfe00 : cp - 0xe0100 + 16;
}

const UTF8 = new TextDecoder("utf-8");

/**
 * Reports every invisible or smuggling character of `text`, with its kind and UTF-16 span,
 * decodes what tag characters and selector runs carry, and returns the text without them.
 * @example
 * const r = findSmuggling("hi\u{E0069}\u{E0067}");
 * r.counts.TAG      // 2
 * r.hiddenText      // "ig"
 * r.stripped        // "hi"
 */
export function findSmuggling(text: string): SmugglingReport {
  const counts = emptyCounts();
  const spans: SmugglingSpan[] = [];
  let spansTruncated = false;
  const hidden: string[] = [];
  let hiddenLength = 0;
  let tagRun = "";
  let tagRunEnd = -1;
  const vsBytes: number[][] = [];
  let vsRun: number[] = [];
  let vsRunEnd = -1;
  // Removed ranges, flattened [start, end, start, end, ...], merged when adjacent.
  const removed: number[] = [];
  let bidiDepth = 0;
  let bidiUnterminated = false;
  // End of the line the open bidi controls sit on; the scan for it only moves forward.
  let lineEnd = -1;

  const flag = (kind: SmugglingKind, start: number, end: number): void => {
    counts[kind]++;
    const last = spans[spans.length - 1];
    if (last !== undefined && last.kind === kind && last.end === start) {
      last.end = end;
      last.count++;
    } else if (spans.length < MAX_SPANS) {
      spans.push({ kind, start, end, count: 1 });
    } else {
      spansTruncated = true;
    }
    if (removed.length > 0 && removed[removed.length - 1] === start) removed[removed.length - 1] = end;
    else removed.push(start, end);
  };

  CANDIDATE_RE.lastIndex = 0;
  for (let m = CANDIDATE_RE.exec(text); m !== null; m = CANDIDATE_RE.exec(text)) {
    const i = m.index;
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (bidiDepth > 0 && i > lineEnd) {
      bidiUnterminated = true; // an override left open at the end of a line (Trojan Source)
      bidiDepth = 0;
    }
    if (cp >= 0xe0020 && cp <= 0xe007f) {
      const end = emojiTagSequenceEnd(text, i);
      if (end > 0) {
        CANDIDATE_RE.lastIndex = end;
        continue;
      }
    }
    const kind = classify(text, i, cp);
    if (kind === null) continue;
    flag(kind, i, i + width);
    if (kind === "TAG" && cp >= 0xe0020 && cp <= 0xe007e) {
      if (tagRunEnd !== i && tagRun !== "") {
        hidden.push(tagRun);
        tagRun = "";
      }
      tagRun += String.fromCharCode(cp - 0xe0000);
      hiddenLength++;
      tagRunEnd = i + width;
    }
    if (kind === "VARIATION_SELECTOR") {
      if (vsRunEnd !== i && vsRun.length > 0) {
        if (vsRun.length >= 2) vsBytes.push(vsRun);
        vsRun = [];
      }
      vsRun.push(variationByte(cp));
      vsRunEnd = i + width;
    }
    if (kind === "BIDI") {
      if ((cp >= 0x202a && cp <= 0x202e && cp !== 0x202c) || (cp >= 0x2066 && cp <= 0x2068)) {
        if (bidiDepth++ === 0 && lineEnd < i) {
          const nl = text.indexOf("\n", i);
          lineEnd = nl === -1 ? text.length : nl;
        }
      } else if ((cp === 0x202c || cp === 0x2069) && bidiDepth > 0) bidiDepth--;
    }
  }
  if (tagRun !== "") hidden.push(tagRun);
  if (vsRun.length >= 2) vsBytes.push(vsRun);
  if (bidiDepth > 0) bidiUnterminated = true;

  const { stripped, map } = strip(text, removed);
  return {
    found: removed.length > 0,
    counts,
    spans,
    spansTruncated,
    hiddenText: hidden.join("\n"),
    hiddenLength,
    variationText: vsBytes.map((b) => UTF8.decode(new Uint8Array(b))).join("\n"),
    bidiUnterminated,
    stripped,
    map,
  };
}

function strip(text: string, removed: readonly number[]): { stripped: string; map: Int32Array } {
  let removedLength = 0;
  for (let k = 0; k < removed.length; k += 2) removedLength += removed[k + 1]! - removed[k]!;
  const map = new Int32Array(text.length - removedLength + 1);
  const parts: string[] = [];
  let from = 0;
  let o = 0;
  for (let k = 0; k <= removed.length; k += 2) {
    const to = k < removed.length ? removed[k]! : text.length;
    if (to > from) parts.push(text.slice(from, to));
    for (let j = from; j < to; j++) map[o++] = j;
    from = k < removed.length ? removed[k + 1]! : to;
  }
  map[o] = text.length;
  return { stripped: parts.join(""), map };
}
