/**
 * Keyed 64-bit SimHash (Charikar 2002) of a prompt, for near-duplicate detection of probe
 * streams (issue 7), and the template helpers that let a client's recurring prefix and
 * suffix be left out of it.
 *
 * A fingerprint is a 16-hex-digit string: JSON-safe over Durable Object RPC, 16 bytes to
 * store, and ./state.ts splits it into two uint32 with `parseInt`. `hamming64` compares two.
 *
 * The shingle hash is keyed with a deployment secret so that fingerprints from two
 * deployments cannot be compared and nobody can search for colliding texts offline. It is
 * a keyed mix (FNV-1a over the key, murmur3's finaliser over the shingle), NOT a MAC: it
 * resists casual offline crafting, not cryptanalysis. Nothing here authenticates anything.
 */

/** Shingle length in UTF-16 code units: 4-grams are short enough that a one-word edit touches few, long enough to carry word order. */
const SHINGLE = 4;

export interface FingerprintKey {
  k0: number;
  k1: number;
  k2: number;
  k3: number;
}

const encoder = new TextEncoder();
let lastKey: string | Uint8Array | undefined;
let lastDerived: FingerprintKey | undefined;

/** murmur3 fmix32: a bijection on 32 bits with full avalanche. Returns an int32 so V8 keeps it a small integer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Four 32-bit words from the key: FNV-1a over its bytes from four offset bases. The last
 * key is cached at module scope because one deployment has one key (a `Uint8Array` key is
 * cached by identity: do not mutate it in place).
 *
 * @example deriveKey("secret").k0 // a uint32
 */
export function deriveKey(key: string | Uint8Array): FingerprintKey {
  if (key === lastKey && lastDerived) return lastDerived;
  const bytes = typeof key === "string" ? encoder.encode(key) : key;
  if (bytes.length === 0) throw new Error("fingerprint key must not be empty");
  const words = [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x7f4a7c15].map((basis) => {
    let h = basis;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    return fmix32(h ^ bytes.length);
  });
  lastKey = key;
  lastDerived = { k0: words[0]!, k1: words[1]!, k2: words[2]!, k3: words[3]! };
  return lastDerived;
}

/**
 * NFKC, lower case, runs of whitespace to one space, trimmed. Digits and punctuation stay:
 * probes that differ only in a number are exactly what near-duplicate detection is for.
 *
 * @example normalizeForFingerprint("  Ｈello\n\nWorld ") // "hello world"
 */
export function normalizeForFingerprint(text: string): string {
  // Only runs that are not already a single space are rewritten: most prose has none.
  return text.normalize("NFKC").toLowerCase().replace(/\s{2,}|[^\S ]/g, " ").trim();
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

/** Texts at least this long are fingerprinted from a keyed half of their shingles, and from a quarter past the second bound. */
const SAMPLE_FROM = 512;
const SAMPLE_QUARTER_FROM = 2048;

/** Per byte of the 64-bit shingle hash, a 256-cell histogram of its values (module scope: cleared on each call, never shared across a call). */
const hist = new Int32Array(8 * 256);
const fold = new Int32Array(256);

/**
 * How many shingles set each bit of byte `byte`, read from its histogram by halving: the
 * upper half of a 2^b-cell table is the count for bit b−1, then the halves are added and
 * the next bit read from the result (about 510 additions instead of 2048 tests).
 */
function bitCounts(byte: number, out: Float64Array): void {
  for (let v = 0; v < 256; v++) fold[v] = hist[byte * 256 + v]!;
  for (let size = 256, bit = 7; bit >= 0; size >>= 1, bit--) {
    const half = size >> 1;
    let upper = 0;
    for (let v = 0; v < half; v++) {
      upper += fold[half + v]!;
      fold[v]! += fold[half + v]!;
    }
    out[byte * 8 + bit] = upper;
  }
}

/**
 * SimHash of already-normalised text, or null for empty text.
 *
 * Each shingle votes for the bits set in its hash; a bit of the result is set when more than
 * half the shingles set it (the sign of Σ±1). Repeated shingles vote again, so a shingle
 * weighs its frequency. Rather than 64 counter updates per shingle, each of the hash's
 * eight bytes bumps one histogram cell (8 increments), and the per-bit counts are read out
 * of the histograms once at the end (`bitCounts`, a constant ~4k additions): the same sums
 * for several times less work on a 4 KB prompt. Texts of `SAMPLE_FROM` characters or more
 * let a keyed half of their distinct shingles vote, and of `SAMPLE_QUARTER_FROM` a quarter.
 */
function simhashNormalized(s: string, k: FingerprintKey): string | null {
  if (s.length === 0) return null;
  hist.fill(0);
  // Short texts keep every shingle (sampling a few would make their fingerprints noisy);
  // longer ones keep a keyed half, the longest a keyed quarter (still over 500 voters).
  const skip = s.length >= SAMPLE_QUARTER_FROM ? 3 : s.length >= SAMPLE_FROM ? 2 : 0;
  // The 4-gram slides one code unit at a time; a text shorter than 4 units is one shingle padded with zeros.
  let c0 = 0;
  let c1 = s.charCodeAt(0) | 0;
  let c2 = s.charCodeAt(1) | 0;
  let c3 = s.charCodeAt(2) | 0;
  const last = Math.max(0, s.length - SHINGLE);
  let votes = 0;
  for (let i = 0; i <= last; i++) {
    c0 = c1;
    c1 = c2;
    c2 = c3;
    c3 = s.charCodeAt(i + 3) | 0;
    // Code units are ≤ 16 bits, so a 4-gram packs exactly into two 32-bit words.
    const a = c0 | (c1 << 16);
    const b = c2 | (c3 << 16);
    // Half the shingles vote, chosen by a cheap keyed hash of the shingle itself: the same
    // shingle always votes or never does, so the sums stay a SimHash (of a fixed sub-multiset)
    // and a changed word moves the expected distance as before, at half the work.
    if ((Math.imul(a ^ k.k2, 0x85ebca6b) ^ Math.imul(b ^ k.k0, 0xc2b2ae35)) >>> 30 < skip) continue;
    votes++;
    const lo = fmix32(a ^ k.k0 ^ Math.imul(b ^ k.k1, 0x9e3779b1));
    const hi = fmix32(lo ^ k.k2 ^ Math.imul(b ^ k.k3, 0xcc9e2d51));
    hist[lo & 0xff]!++;
    hist[256 + ((lo >>> 8) & 0xff)]!++;
    hist[512 + ((lo >>> 16) & 0xff)]!++;
    hist[768 + (lo >>> 24)]!++;
    hist[1024 + (hi & 0xff)]!++;
    hist[1280 + ((hi >>> 8) & 0xff)]!++;
    hist[1536 + ((hi >>> 16) & 0xff)]!++;
    hist[1792 + (hi >>> 24)]!++;
  }
  const shingles = votes;
  const ones = new Float64Array(64);
  for (let byte = 0; byte < 8; byte++) bitCounts(byte, ones);
  let lo = 0;
  let hi = 0;
  for (let bit = 0; bit < 32; bit++) {
    if (2 * ones[bit]! > shingles) lo |= 1 << bit;
    if (2 * ones[32 + bit]! > shingles) hi |= 1 << bit;
  }
  return hex8(hi) + hex8(lo);
}

/**
 * 64-bit keyed SimHash of `text` as 16 hex digits (high word first), or null when the
 * normalised text is empty. Linear in the text's length.
 *
 * @example
 * const a = simhash64("What is the capital of France?", key);
 * const b = simhash64("What is the capital of Spain?", key);
 * hamming64(a!, b!) // small
 */
export function simhash64(text: string, key: string | Uint8Array): string | null {
  return simhashNormalized(normalizeForFingerprint(text), deriveKey(key));
}

/** @internal For callers that already normalised the text. */
export function simhashOfNormalized(normalized: string, key: string | Uint8Array): string | null {
  return simhashNormalized(normalized, deriveKey(key));
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Bits in which two fingerprints differ (0–64).
 *
 * @example hamming64("0000000000000000", "000000000000000f") // 4
 */
export function hamming64(a: string, b: string): number {
  return popcount32(parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16)) + popcount32(parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16));
}

/**
 * Edge lengths (normalised characters) at which a text's prefix and suffix are hashed. A
 * 1.5x ladder: a template is found to within a third of its length at the cost of 13
 * hashes per side, computed in one pass each way.
 */
export const EDGE_LADDER: readonly number[] = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];

/**
 * Keyed 32-bit hashes of the text's first L characters for each L of `EDGE_LADDER`, then of
 * its last L characters, as non-negative integers; -1 where L is not shorter than the text
 * (an edge is only an edge when something is left beside it). Two texts sharing a template
 * share the hashes up to its length, which lets the client's Durable Object learn the
 * template from hashes alone, without ever holding the text.
 *
 * @example edgeLadder("a".repeat(40), key) // 26 numbers: three prefix hashes, ten -1, three suffix hashes, ten -1
 */
export function edgeLadder(normalized: string, key: string | Uint8Array): number[] {
  const k = deriveKey(key);
  const n = EDGE_LADDER.length;
  const out = new Array<number>(2 * n).fill(-1);
  const len = normalized.length;
  let hp = k.k2;
  let hs = k.k1;
  let i = 0;
  for (let r = 0; r < n; r++) {
    const L = EDGE_LADDER[r]!;
    if (L >= len) break;
    for (; i < L; i++) {
      hp = Math.imul(hp ^ normalized.charCodeAt(i), 0x01000193);
      hs = Math.imul(hs ^ normalized.charCodeAt(len - 1 - i), 0x01000193);
    }
    out[r] = fmix32(hp ^ k.k3 ^ L) >>> 0;
    out[n + r] = fmix32(hs ^ k.k0 ^ L) >>> 0;
  }
  return out;
}

/**
 * The middle of `text` without `prefix` leading and `suffix` trailing characters; the whole
 * text when they would leave nothing (a text shorter than its template is not templated).
 *
 * @example withoutAffixes("Translate: cat. Thanks", 11, 7) // "cat."
 */
export function withoutAffixes(text: string, prefix: number, suffix: number): string {
  if (prefix < 0 || suffix < 0 || prefix + suffix >= text.length) return text;
  return text.slice(prefix, text.length - suffix);
}
