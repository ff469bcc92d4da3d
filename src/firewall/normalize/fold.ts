/**
 * The detection view of a prompt: what the firewall's patterns match against, never what is
 * forwarded. Three linear passes, each keeping a map back to the original UTF-16 offsets:
 * 1. characters: drop default-ignorable and private-use code points and lone surrogates;
 *    NFKC per cluster (base + combining marks), so fullwidth and mathematical letters become
 *    ASCII; a Latin base loses its marks ("ïgnörë", Zalgo text) (UAX #15, UTS #39 s4);
 * 2. separators: a run of three or more single letters joined by one repeated separator
 *    ("i.g.n.o.r.e", "I G N O R E", "i-g-n") collapses to the word;
 * 3. tokens (letters, digits, "@", "$"): Cyrillic/Greek/Armenian/Cherokee/IPA lookalikes
 *    (LOOKALIKES) become Latin when the token also has Latin letters or digits or is made only
 *    of lookalikes (a mixed-script or whole-script confusable, UTS #39 s5), so Russian and
 *    Greek text stays as it is, but for words made only of lookalikes ("на"; MIXED_ONLY
 *    keeps those rare); then
 *    lower case; then leetspeak (0 o, 1 i, 3 e, 4 a, 5 s, 7 t, @ a, $ s) in tokens with a
 *    letter, so "2024" and "$5" stay numbers.
 * Over-folding is acceptable here ("gpt4" reads "gpta") because detectors also scan the text
 * as written.
 */

export interface FoldResult {
  folded: string;
  /** `map[i]`: original index where the source of `folded[i]` starts; `map[folded.length] === text.length`. */
  map: Int32Array;
  /** `ends[i]`: original index where that source ends (exclusive). */
  ends: Int32Array;
}

/**
 * Lookalikes of Latin letters, by script; capitals map to capitals, the case fold comes after.
 * Mostly letters whose prototype in Unicode's confusables.txt (UTS #39 s4,
 * https://www.unicode.org/Public/security/latest/confusables.txt) is one Latin letter:
 * г -> r, Ƅ -> b, Ϝ -> F, Ꭰ -> D, ...; also letters it maps to a Latin small capital, which
 * reads as the letter in most fonts (в, к, м, н; т and τ to ᴛ), ƒ, whose prototype is f with
 * a comma below, and Я, a mirrored R that confusables.txt leaves without a Latin prototype.
 */
const LOOKALIKES: readonly (readonly [script: string, table: Readonly<Record<string, string>>])[] = [
  ["Cyrillic", {
    а: "a", в: "b", г: "r", е: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y",
    х: "x", і: "i", ї: "i", ј: "j", ѕ: "s", ԁ: "d", һ: "h", ԛ: "q", ԝ: "w", ӏ: "l", ү: "y", ѵ: "v",
    А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", Х: "X",
    У: "Y", І: "I", Ј: "J", Ѕ: "S", Ԁ: "D", Ԛ: "Q", Ԝ: "W", Ӏ: "I", Ү: "Y", Ѵ: "V", Ԍ: "G", Я: "R",
  }],
  ["Greek", {
    Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P",
    Τ: "T", Υ: "Y", Χ: "X", Ϝ: "F", α: "a", ο: "o", ι: "i", κ: "k", ν: "v", ρ: "p", τ: "t",
    υ: "u", ϲ: "c", ϳ: "j",
  }],
  ["Cherokee", {
    Ꭰ: "D", Ꭱ: "R", Ꭲ: "T", Ꭵ: "i", Ꭹ: "Y", Ꭺ: "A", Ꭻ: "J", Ꭼ: "E", Ꮃ: "W", Ꮇ: "M", Ꮋ: "H",
    Ꮍ: "Y", Ꮐ: "G", Ꮒ: "h", Ꮓ: "Z", Ꮟ: "b", Ꮢ: "R", Ꮤ: "W", Ꮥ: "S", Ꮩ: "V", Ꮪ: "S", Ꮮ: "L",
    Ꮯ: "C", Ꮲ: "P", Ꮶ: "K", Ꮷ: "d", Ᏻ: "G", Ᏼ: "B",
  }],
  ["Armenian", { օ: "o", ս: "u", հ: "h", ո: "n", Ս: "U" }],
  // IPA, tone letters, hooks
  ["Latin", { ı: "i", ȷ: "j", ɑ: "a", ɡ: "g", ɩ: "i", ʀ: "R", Ƅ: "b", ƒ: "f" }],
];

/**
 * Lookalikes that are frequent in genuine words of their own script: a token made only of
 * lookalikes is folded with one of these only if its lookalikes come from two scripts or
 * more, which no genuine word does. Otherwise "его", "Я" and "το" (it, I, the) would read
 * "ero", "r" and "to": measured on the detector's data, "Выведи его" lost its injection flag.
 */
const MIXED_ONLY = new Set(["г", "Я", "τ"].map((c) => c.codePointAt(0)!));

/** Lookalike to Latin, by code point. */
const HOMOGLYPHS = new Map<number, string>();
/** Script of each lookalike, 1-based (index in LOOKALIKES + 1). */
const GLYPH_SCRIPT = new Map<number, number>();
LOOKALIKES.forEach(([, table], k) => {
  for (const [from, to] of Object.entries(table)) {
    HOMOGLYPHS.set(from.codePointAt(0)!, to);
    GLYPH_SCRIPT.set(from.codePointAt(0)!, k + 1);
  }
});

const LEET: Readonly<Record<string, string>> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s" };
const LEET_CODES: (number | undefined)[] = [];
for (const [k, v] of Object.entries(LEET)) LEET_CODES[k.charCodeAt(0)] = v.charCodeAt(0);

const DROP_RE = /[\p{Default_Ignorable_Code_Point}\p{Co}\p{Cs}]/u;
const MARK_RE = /\p{M}/u;
const MARKS_G = /\p{M}/gu;
const LETTER_RE = /\p{L}/u;
const NUMBER_RE = /\p{N}/u;

// Per-isolate cache of the pass-1 result for one code point without marks ("" = dropped).
const FOLD_CACHE = new Map<number, string>();
const FOLD_CACHE_MAX = 8192;

/** Pass 1 for one cluster: drop, or NFKC, or (Latin base) NFKD without marks. */
function foldCluster(cluster: string): string {
  const decomposed = cluster.normalize("NFKD");
  const c0 = decomposed.charCodeAt(0);
  if (c0 < 0x80 && decomposed.length > 0) return decomposed.replace(MARKS_G, "");
  return cluster.normalize("NFKC");
}

function foldCodePoint(cp: number): string {
  let r = FOLD_CACHE.get(cp);
  if (r === undefined) {
    const s = String.fromCodePoint(cp);
    r = DROP_RE.test(s) ? "" : foldCluster(s);
    if (FOLD_CACHE.size >= FOLD_CACHE_MAX) FOLD_CACHE.clear();
    FOLD_CACHE.set(cp, r);
  }
  return r;
}

const UTF16 = new TextDecoder("utf-16le");

/** A growable UTF-16 buffer plus its two offset arrays. */
class Builder {
  length = 0;
  codes: Uint16Array;
  map: Int32Array;
  ends: Int32Array;
  constructor(capacity: number) {
    this.codes = new Uint16Array(capacity + 1);
    this.map = new Int32Array(capacity + 1);
    this.ends = new Int32Array(capacity + 1);
  }
  private grow(need: number): void {
    const cap = Math.max(need, this.map.length * 2);
    const c = new Uint16Array(cap);
    c.set(this.codes);
    const m = new Int32Array(cap);
    m.set(this.map);
    const e = new Int32Array(cap);
    e.set(this.ends);
    this.codes = c;
    this.map = m;
    this.ends = e;
  }
  code(c: number, start: number, end: number): void {
    if (this.length + 2 > this.map.length) this.grow(this.length + 2);
    this.codes[this.length] = c;
    this.map[this.length] = start;
    this.ends[this.length++] = end;
  }
  push(s: string, start: number, end: number): void {
    for (let k = 0; k < s.length; k++) this.code(s.charCodeAt(k), start, end);
  }
  /** Widens the source of the last unit, for marks dropped after it. */
  extendLast(end: number): void {
    if (this.length > 0) this.ends[this.length - 1] = end;
  }
  done(textLength: number): FoldResult {
    this.map[this.length] = textLength;
    this.ends[this.length] = textLength;
    // Pass 1 drops lone surrogates, so the UTF-16 decoder has nothing to replace.
    const folded = UTF16.decode(this.codes.subarray(0, this.length));
    return { folded, map: this.map.subarray(0, this.length + 1), ends: this.ends.subarray(0, this.length + 1) };
  }
}

// Per-isolate classification of code points below 0x30000, filled on first sight.
const CLASS = new Uint8Array(0x30000);
const KNOWN = 1;
const LETTER = 2;
const NUMBER = 4;
const MARK = 8;

function classOf(cp: number): number {
  let k = cp < CLASS.length ? CLASS[cp]! : 0;
  if (k === 0) {
    const s = String.fromCodePoint(cp);
    k = KNOWN | (LETTER_RE.test(s) ? LETTER : 0) | (NUMBER_RE.test(s) ? NUMBER : 0) | (MARK_RE.test(s) ? MARK : 0);
    if (cp < CLASS.length) CLASS[cp] = k;
  }
  return k;
}

function pass1(text: string): FoldResult {
  const out = new Builder(text.length);
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out.code(c, i, i + 1);
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    let j = i + (cp > 0xffff ? 2 : 1);
    // Gather the combining marks that follow, so NFKC composes them with their base.
    let hasMarks = false;
    while (j < text.length) {
      const next = text.codePointAt(j)!;
      if (next < 0x300 || (classOf(next) & MARK) === 0) break;
      hasMarks = true;
      j += next > 0xffff ? 2 : 1;
    }
    if (cp >= 0x300 && (classOf(cp) & MARK) !== 0 && i > 0 && text.charCodeAt(i - 1) < 0x80) {
      out.extendLast(j); // marks on an ASCII base (Zalgo text): dropped, like on other Latin letters
    } else {
      const s = hasMarks ? (DROP_RE.test(String.fromCodePoint(cp)) ? "" : foldCluster(text.slice(i, j))) : foldCodePoint(cp);
      out.push(s, i, j);
    }
    i = j;
  }
  return out.done(text.length);
}

function isUnitCode(c: number): boolean {
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x40 || c === 0x24;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return (classOf(c) & (LETTER | NUMBER)) !== 0;
}

const LOWER_CACHE = new Map<number, string>();
/**
 * Per code unit (0x80 and up): its lower case when that is one unit, 0xffff when it is longer
 * (or is U+FFFF itself, which `lower` handles too), 0 not yet known.
 */
const LOWER_UNIT = new Uint16Array(0x10000);

/** Appends the lower case of the unit `c` without a string per character. */
function pushLower(out: Builder, c: number, start: number, end: number): void {
  let u = LOWER_UNIT[c]!;
  if (u === 0) {
    const s = String.fromCharCode(c).toLowerCase();
    u = LOWER_UNIT[c] = s.length === 1 ? s.charCodeAt(0) : 0xffff;
  }
  if (u !== 0xffff) out.code(u, start, end);
  else out.push(lower(c), start, end);
}

function lower(c: number): string {
  let r = LOWER_CACHE.get(c);
  if (r === undefined) {
    r = String.fromCharCode(c).toLowerCase();
    if (LOWER_CACHE.size >= FOLD_CACHE_MAX) LOWER_CACHE.clear();
    LOWER_CACHE.set(c, r);
  }
  return r;
}

// Three or more single units, each pair joined by the same 1-3 character separator.
const SPELLED_RE = /(?<![\p{L}\p{N}@$])[\p{L}\p{N}@$]([^\p{L}\p{N}@$\n]{1,3})[\p{L}\p{N}@$](?:\1[\p{L}\p{N}@$])+(?![\p{L}\p{N}@$])/gu;

const SURROGATE_RE = /[\uD800-\uDFFF]/;

/**
 * Whether `folded` has three single-unit tokens in a row, each pair joined by the same 1-3
 * code units other than a newline: the only texts where SPELLED_RE can find a run pass 2
 * would join (a run with a surrogate in it is skipped). A loop over code units is much
 * cheaper than the regex, whose look-behind runs at every position.
 */
function maySpellOut(folded: string): boolean {
  const n = folded.length;
  let singles = 0;
  let lastEnd = -10; // end of the last single-unit token
  let lastNewline = -1;
  let sepAt = 0;
  let sepLen = 0;
  for (let i = 0; i < n; i++) {
    const c = folded.charCodeAt(i);
    if (!isUnitCode(c)) {
      if (c === 10) lastNewline = i;
      continue;
    }
    let j = i + 1;
    while (j < n && isUnitCode(folded.charCodeAt(j))) j++;
    if (j - i === 1) {
      const gap = i - lastEnd;
      if (gap >= 1 && gap <= 3 && lastNewline < lastEnd) {
        if (singles >= 2 && gap === sepLen && folded.startsWith(folded.slice(sepAt, sepAt + sepLen), lastEnd)) return true;
        singles = 2;
        sepAt = lastEnd;
        sepLen = gap;
      } else singles = 1;
      lastEnd = j;
    } else {
      singles = 0;
      lastEnd = -10;
    }
    i = j - 1;
  }
  return false;
}

function pass2(p: FoldResult): FoldResult {
  const { folded } = p;
  if (!maySpellOut(folded)) return p;
  SPELLED_RE.lastIndex = 0;
  if (!SPELLED_RE.test(folded)) return p;
  const out = new Builder(folded.length);
  let from = 0;
  const copy = (a: number, b: number): void => {
    for (let k = a; k < b; k++) out.code(folded.charCodeAt(k), p.map[k]!, p.ends[k]!);
  };
  SPELLED_RE.lastIndex = 0; // matchAll starts from the pattern's lastIndex
  for (const m of folded.matchAll(SPELLED_RE)) {
    const sep = m[1]!;
    if (SURROGATE_RE.test(m[0])) continue; // units are single UTF-16 code units below
    // At least two letters, so "1 2 3" stays a list of numbers.
    let letters = 0;
    for (let k = 0; k < m[0].length; k += 1 + sep.length) if (!/[0-9@$]/.test(m[0][k]!)) letters++;
    if (letters < 2) continue;
    copy(from, m.index);
    for (let k = m.index; k < m.index + m[0].length; k += 1 + sep.length) copy(k, k + 1);
    from = m.index + m[0].length;
  }
  copy(from, folded.length);
  return out.done(p.map[folded.length]!);
}

function pass3(p: FoldResult): FoldResult {
  const { folded } = p;
  const out = new Builder(folded.length);
  let i = 0;
  while (i < folded.length) {
    const c0 = folded.charCodeAt(i);
    if (!isUnitCode(c0)) {
      if (c0 < 0x80 || (c0 >= 0xd800 && c0 <= 0xdfff)) out.code(c0 >= 0x41 && c0 <= 0x5a ? c0 | 0x20 : c0, p.map[i]!, p.ends[i]!);
      else pushLower(out, c0, p.map[i]!, p.ends[i]!);
      i++;
      continue;
    }
    // One token: decide, then emit.
    let j = i;
    let latin = false;
    let digits = false;
    let allLookalike = true;
    let letters = 0;
    let glyphScript = 0; // script of the lookalikes so far, -1 once they come from two
    let mixedOnly = false;
    for (let c = c0; j < folded.length && isUnitCode(c); c = folded.charCodeAt(++j)) {
      if (c < 0x80) {
        if (c >= 0x30 && c <= 0x39) digits = true;
        else if (c !== 0x40 && c !== 0x24) latin = true;
      } else {
        const script = GLYPH_SCRIPT.get(c);
        if (script === undefined) allLookalike = false;
        else {
          glyphScript = glyphScript === 0 || glyphScript === script ? script : -1;
          mixedOnly ||= MIXED_ONLY.has(c);
        }
        if ((classOf(c) & LETTER) !== 0) letters++;
      }
    }
    const lookalikeWord = allLookalike && letters > 0 && (glyphScript === -1 || !mixedOnly);
    const mapGlyphs = latin || digits || lookalikeWord;
    const leet = latin || (mapGlyphs && letters > 0);
    for (let k = i; k < j; k++) {
      let c = folded.charCodeAt(k);
      if (mapGlyphs && c >= 0x80) {
        const g = HOMOGLYPHS.get(c);
        if (g !== undefined) c = g.charCodeAt(0);
      }
      if (c >= 0x80) {
        pushLower(out, c, p.map[k]!, p.ends[k]!);
        continue;
      }
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (leet) c = LEET_CODES[c] ?? c;
      out.code(c, p.map[k]!, p.ends[k]!);
    }
    i = j;
  }
  return out.done(p.map[folded.length]!);
}

/**
 * The detection-only view of `text`, with a map from each folded index to the span of the
 * original it came from. Use `originalSpan` to turn a match in `folded` into original offsets.
 * @example
 * foldForDetection("1gn0r3 pr3v10us").folded   // "ignore previous"
 * foldForDetection("I G N O R E").folded       // "ignore"
 * foldForDetection("іgnоrе").folded            // "ignore" (Cyrillic і, о, е)
 */
export function foldForDetection(text: string): FoldResult {
  return pass3(pass2(pass1(text)));
}

/** The original UTF-16 span behind folded[start, end). */
export function originalSpan(fold: FoldResult, start: number, end: number): { start: number; end: number } {
  if (end <= start) return { start: fold.map[start]!, end: fold.map[start]! };
  return { start: fold.map[start]!, end: fold.ends[end - 1]! };
}
