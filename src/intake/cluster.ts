/**
 * Near-duplicates among 64-bit SimHash fingerprints (Charikar, STOC 2002) of whole
 * examples, for the amplification signal.
 *
 * The fingerprint is computed here, not with src/extraction/simhash.ts: that one reads
 * character 4-grams and pays about 10 µs per call for its histogram read-out, whatever the
 * text's length, which is built for one 4 KB prompt per request but would be a third of the
 * whole per-example budget at 20 MB/s (about 30 µs per example). Here the features are word
 * bigrams (a few dozen per example, from the words the scan reads anyway), keyed with that
 * module's `deriveKey`, and the 64 vote counters are bit-sliced: one 32-bit word per bit of
 * the count, so adding a feature is a ripple carry of a few operations, not 64 increments.
 *
 * Comparing every pair is quadratic; instead the 64 bits are cut into `h + 1` bands, and
 * two fingerprints within `h` bits of each other agree on at least one band (pigeonhole),
 * so only fingerprints sharing a band value are compared (Manku, Jain & Das Sarma,
 * "Detecting near-duplicates for web crawling", WWW 2007). Identical fingerprints are
 * merged first, and a newcomer is compared with the latest `PROBE` members of its bucket
 * only, which bounds the work on a file made of one example repeated with small variations
 * (a near pair can then go unseen; the widening in ./signals.ts makes up for it).
 */
import { deriveKey, type FingerprintKey } from "../extraction/simhash";
import { grown, IntMap } from "./intmap";
import { mix32 } from "./words";

/** Members of a bucket a new fingerprint is compared with, and kept per bucket. */
const PROBE = 16;
const BUCKET_CAP = 64;
/** Bands beyond this would be too narrow to keep buckets small; past it the search is approximate. */
const MAX_BANDS = 8;
/** Features read per text (4095 fit the 12 counter planes). */
const MAX_FEATURES = 4095;
const PLANES = 12;

/** Set bits of each byte value. */
const BITS = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let x = v; x !== 0; x &= x - 1) n++;
  return n;
});
const bitsOf = (x: number): number => BITS[x & 0xff]! + BITS[(x >>> 8) & 0xff]! + BITS[(x >>> 16) & 0xff]! + BITS[x >>> 24]!;

/** Bit-sliced vote counters: plane p holds bit p of each of 32 counts (module scope, reset per text). */
const planes = new Int32Array(2 * PLANES);

/** Adds `bits` (0 or 1 per lane) times 2^`from` to the 32 counters of the half at `base`. */
function vote(bits: number, base: number, from: number): void {
  let carry = bits;
  for (let p = base + from; carry !== 0 && p < base + PLANES; p++) {
    const next = planes[p]! & carry;
    planes[p]! ^= carry;
    carry = next;
  }
}

/** Lanes of the half at `base` whose count is at least `threshold`: a bit-sliced comparison. */
function atLeast(base: number, threshold: number): number {
  let gt = 0;
  let eq = -1;
  for (let p = PLANES - 1; p >= 0; p--) {
    const plane = planes[base + p]!;
    const t = (threshold >>> p) & 1 ? -1 : 0;
    gt |= eq & plane & ~t;
    eq &= ~(plane ^ t);
  }
  return (gt | eq) >>> 0;
}

/** Fingerprints of many texts as two parallel uint32 arrays (no per-item strings kept). */
export class Fingerprints {
  hi: Uint32Array;
  lo: Uint32Array;
  /** 0 for a text without a word. */
  present: Uint8Array;
  length = 0;
  private readonly key: FingerprintKey;

  constructor(key: string | Uint8Array, capacity = 1024) {
    this.key = deriveKey(key);
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.present = new Uint8Array(capacity);
  }

  /**
   * Appends the keyed SimHash of the word bigrams of `words[from, to)` (a lone word stands
   * for itself); returns its index. Features are voted in pairs through a half adder (sum
   * at weight 1, carry at weight 2), which halves the ripple work.
   */
  add(words: ArrayLike<number>, from: number, to: number): number {
    if (this.length === this.hi.length) this.grow();
    const i = this.length++;
    const k = this.key;
    const n = Math.min(to - from, MAX_FEATURES + 1);
    if (n === 0) return i;
    planes.fill(0);
    // Feature j: the bigram (word j-1, word j) for j >= 1; a lone word stands for itself.
    const features = n === 1 ? 1 : n - 1;
    const featureAt = (j: number): number => (n === 1 ? mix32(Math.imul(words[from]! ^ k.k2, 0x9e3779b1)) : mix32(Math.imul(words[from + j]! ^ k.k0, 0x9e3779b1) ^ words[from + j + 1]!));
    let j = 0;
    for (; j + 1 < features; j += 2) {
      const a = featureAt(j);
      const b = featureAt(j + 1);
      const ah = mix32(a ^ k.k1);
      const bh = mix32(b ^ k.k1);
      vote(a ^ b, 0, 0);
      vote(a & b, 0, 1);
      vote(ah ^ bh, PLANES, 0);
      vote(ah & bh, PLANES, 1);
    }
    if (j < features) {
      const a = featureAt(j);
      vote(a, 0, 0);
      vote(mix32(a ^ k.k1), PLANES, 0);
    }
    const threshold = (features >>> 1) + 1;
    this.lo[i] = atLeast(0, threshold);
    this.hi[i] = atLeast(PLANES, threshold);
    this.present[i] = 1;
    return i;
  }

  private grow(): void {
    const n = this.hi.length * 2;
    this.hi = grown(this.hi, n);
    this.lo = grown(this.lo, n);
    this.present = grown(this.present, n);
  }

  hamming(a: number, b: number): number {
    return bitsOf((this.hi[a]! ^ this.hi[b]!) >>> 0) + bitsOf((this.lo[a]! ^ this.lo[b]!) >>> 0);
  }
}

/** Near-duplicate structure of a file: identical fingerprints merged, close ones linked. */
export interface NearGraph {
  /** Each example's representative (the first example with the same fingerprint); -1 without text. */
  rep: Int32Array;
  /** Examples per representative (0 for an example that is not one). */
  copies: Int32Array;
  /** For representatives with near neighbours: the other representatives within `maxHamming` bits. */
  near: Map<number, number[]>;
}

/**
 * Merges identical fingerprints and links the distinct ones that differ in at most
 * `maxHamming` bits. Links are not followed transitively by callers: a chain of small steps
 * (a canned answer under ever different greetings) is not one repeated example.
 *
 * @example
 * const words = new WordList(); const fps = new Fingerprints(key);
 * fps.add(words.words, ...words.add("a sentence about card fees")); fps.add(words.words, ...words.add("A sentence about card fees!"));
 * nearGraph(fps, 3).copies // Int32Array [2, 0]
 */
export function nearGraph(fps: Fingerprints, maxHamming: number): NearGraph {
  const n = fps.length;
  const rep = new Int32Array(n).fill(-1);
  const copies = new Int32Array(n);
  const near = new Map<number, number[]>();
  const firstOf = new IntMap(n);
  const reps: number[] = [];
  for (let i = 0; i < n; i++) {
    if (fps.present[i] === 0) continue;
    const h = (fps.hi[i]! ^ Math.imul(fps.lo[i]!, 0x9e3779b1)) >>> 0;
    const j = firstOf.get(h);
    if (j >= 0 && fps.hi[j] === fps.hi[i] && fps.lo[j] === fps.lo[i]) rep[i] = j;
    else {
      if (j < 0) firstOf.set(h, i);
      rep[i] = i;
      reps.push(i);
    }
    copies[rep[i]!]!++;
  }
  if (maxHamming === 0 || reps.length < 2) return { rep, copies, near };

  const link = (a: number, b: number): void => {
    const list = near.get(a);
    if (list === undefined) near.set(a, [b]);
    else if (!list.includes(b)) list.push(b);
  };
  const bands = Math.min(maxHamming + 1, MAX_BANDS);
  const width = Math.floor(64 / bands);
  // Buckets are chains in typed arrays, addressed by a hash of the band value; a slot
  // shared by two values only costs comparisons, as every pair is checked anyway.
  const size = 1 << Math.ceil(Math.log2(2 * reps.length));
  const head = new Int32Array(size);
  const held = new Uint8Array(size);
  const next = new Int32Array(reps.length);
  for (let b = 0; b < bands; b++) {
    const from = b * width;
    const to = b === bands - 1 ? 64 : from + width;
    head.fill(-1);
    held.fill(0);
    for (let r = 0; r < reps.length; r++) {
      const i = reps[r]!;
      const slot = mix32(bandValue(fps.hi[i]!, fps.lo[i]!, from, to) ^ Math.imul(b + 1, 0x9e3779b1)) & (size - 1);
      let probed = 0;
      for (let m = head[slot]!; m >= 0 && probed < PROBE; m = next[m]!, probed++) {
        const j = reps[m]!;
        if (fps.hamming(i, j) <= maxHamming) {
          link(i, j);
          link(j, i);
        }
      }
      if (held[slot]! < BUCKET_CAP) {
        next[r] = head[slot]!;
        head[slot] = r;
        held[slot]!++;
      }
    }
  }
  return { rep, copies, near };
}

/** Bits [from, to) of the 64-bit value hi:lo (bit 0 is lo's lowest), at most 32 of them. */
function bandValue(hi: number, lo: number, from: number, to: number): number {
  const bits = (x: number, off: number, width: number): number => (width >= 32 ? x >>> 0 : (x >>> off) & ((1 << width) - 1));
  if (to <= 32) return bits(lo, from, to - from);
  if (from >= 32) return bits(hi, from - 32, to - from);
  return bits(lo, from, 32 - from) + bits(hi, 0, to - 32) * 2 ** (32 - from);
}
