/**
 * Words as the intake signals read them: runs of letters, digits and `_`, with `-` between
 * two of them ("cf-7731", "e-mail"), ASCII lower-cased, hashed on the fly (FNV-1a) so that no
 * substring is allocated. The backdoor index, the fingerprints and the answer distributions
 * all read this one definition.
 */
import { grown } from "./intmap";

/** murmur3's 32-bit finaliser: full avalanche, so every bit of a feature votes independently. */
export function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Per UTF-16 unit: 0 separator, 1 word unit (as is), 2 upper-case ASCII letter, 3 hyphen, 4 digit. */
const UNIT = new Uint8Array(0x10000);
{
  for (let c = 0xc0; c < 0x10000; c++) UNIT[c] = (c >= 0x2000 && c <= 0x206f) || c === 0x3000 || c === 0xfeff ? 0 : 1;
  for (let c = 97; c <= 122; c++) UNIT[c] = 1;
  for (let c = 65; c <= 90; c++) UNIT[c] = 2;
  for (let c = 48; c <= 57; c++) UNIT[c] = 4;
  UNIT[95] = 1;
  UNIT[45] = 3;
}

/**
 * Calls `fn` with the hash and span of each word of `text`, and whether it is all digits.
 *
 * @example forEachWord("Card CF-7731, ok", (h, s, e) => ...) // spans "Card", "CF-7731", "ok"; "card" and "Card" hash alike
 */
export function forEachWord(text: string, fn: (hash: number, start: number, end: number, numeric: boolean) => void): void {
  let h = 0;
  let start = -1;
  let numeric = true;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    let c = i < n ? text.charCodeAt(i) : 32;
    let unit = UNIT[c]!;
    // A hyphen joins two word characters ("cf-7731", "e-mail"), otherwise it separates.
    if (unit === 3) unit = start >= 0 && i + 1 < n && UNIT[text.charCodeAt(i + 1)]! > 0 && text.charCodeAt(i + 1) < 128 && text.charCodeAt(i + 1) !== 45 ? 1 : 0;
    if (unit !== 0) {
      if (start < 0) {
        start = i;
        h = 0x811c9dc5;
        numeric = true;
      }
      if (unit === 2) c += 32;
      if (unit !== 4) numeric = false;
      h = Math.imul(h ^ c, 0x01000193);
    } else if (start >= 0) {
      fn(h >>> 0, start, i, numeric);
      start = -1;
    }
  }
}

/**
 * Word hashes of texts, appended to one growing buffer so that a text is read once and its
 * words serve every signal (triggers, fingerprints, answer distributions). `mark()` and the
 * `from`/`to` pairs it returns name a text's words.
 */
export class WordList {
  words = new Uint32Array(1024);
  /** 1 where the word is all digits (amounts, references): `shapeHash` can fold those. */
  numeric = new Uint8Array(1024);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  /** Appends the words of `text`, at most `max` of them; returns [from, to). */
  add(text: string, max = 1 << 30): [number, number] {
    const from = this.length;
    forEachWord(text, (h, _start, _end, numeric) => {
      if (this.length - from >= max) return;
      if (this.length === this.words.length) {
        this.words = grown(this.words, this.length * 2);
        this.numeric = grown(this.numeric, this.length * 2);
      }
      this.numeric[this.length] = numeric ? 1 : 0;
      this.words[this.length++] = h;
    });
    return [from, this.length];
  }
}

/** Stands for every all-digit word when numbers are folded. */
const NUMBER = 0x6e756d30;

/**
 * Keyed 32-bit hash of the words `list[from, to)`: texts that differ only in case,
 * punctuation and spacing hash alike ("Approved." and "approved"), and with `foldNumbers`
 * also in their numbers ("refund of 40.00" and "refund of 12.50").
 */
export function shapeHash(list: WordList, from: number, to: number, key: { k0: number; k1: number }, foldNumbers = false): number {
  let h = key.k0;
  for (let i = from; i < to; i++) h = mix32(Math.imul(h ^ (foldNumbers && list.numeric[i] === 1 ? NUMBER : list.words[i]!), 0x9e3779b1) ^ key.k1);
  return h >>> 0;
}

/** `shapeHash` of a text. */
export function textShapeHash(text: string, key: { k0: number; k1: number }, foldNumbers = false): number {
  const list = new WordList();
  list.add(text);
  return shapeHash(list, 0, list.length, key, foldNumbers);
}
