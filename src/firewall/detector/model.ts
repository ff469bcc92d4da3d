/**
 * The detector model: two logistic-regression heads (injection, jailbreak) over the features of
 * ./features.ts, scored on every window of the text, highest window wins. Hashed weights are
 * int8 with one scale per head, interleaved by bucket so both heads read one cache line.
 */
import {
  BLOCK, BUCKETS, COUNTS, DENSE, DENSE_COUNTS, GIB, HASH_BITS, READ_STATS, SUMS, denseValues, initLexicon, scan, windowCount,
  type DenseParams,
} from "./features";
import { extraReading } from "./readings";
import { CODES, buildView, foldText, type View } from "./view";

export const HEADS = ["injection", "jailbreak"] as const;
export type Head = (typeof HEADS)[number];

/** The serialised model, as scripts/train-detector.ts writes it into weights.generated.ts. */
export interface ModelFile {
  format: 1;
  hashBits: number;
  block: number;
  ngrams: readonly number[];
  /** SHA-256 of the training rows (id, label, text), and what they were. */
  data: { sha256: string; rows: number; options: string };
  gib: readonly [number, number];
  heads: readonly { name: Head; bias: number; scale: number; dense: readonly number[] }[];
  thresholds: Record<Head, { flag: number; block: number }>;
  /** Bigram surprise table, bytes, base64. */
  lm: string;
  /** int8 hashed weights, bucket-major (bucket 0 injection, bucket 0 jailbreak, ...), base64. */
  hashed: string;
}

export interface Model {
  q: Int8Array;
  scale0: number;
  scale1: number;
  bias0: number;
  bias1: number;
  dense0: Float32Array;
  dense1: Float32Array;
  lm: Uint8Array;
  params: DenseParams;
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Decodes a model file; throws if it does not fit this code (fail closed at first use). */
export function decodeModel(file: ModelFile): Model {
  const q = new Int8Array(fromBase64(file.hashed).buffer);
  const [h0, h1] = file.heads;
  // The block size and hash width change what every weight means without changing the sizes.
  if (h0 === undefined || h1 === undefined || q.length !== 2 * BUCKETS || h0.dense.length !== DENSE || h1.dense.length !== DENSE ||
    file.block !== BLOCK || file.hashBits !== HASH_BITS) {
    throw new Error("detector weights do not match the feature layout; run npm run train:detector");
  }
  initLexicon(foldText);
  return {
    q,
    scale0: h0.scale,
    scale1: h1.scale,
    bias0: h0.bias,
    bias1: h1.bias,
    dense0: Float32Array.from(h0.dense),
    dense1: Float32Array.from(h1.dense),
    lm: fromBase64(file.lm),
    params: { gib1: file.gib[0], gib2: file.gib[1] },
  };
}

// Local copies: a bundler inlines these, but under a CommonJS loader (tsx) every read of an
// imported binding is a getter call, which dominated the window loop.
const N_COUNTS = DENSE_COUNTS;
const N_DENSE = DENSE;

/** The score of a text with no characters to read. */
export const EMPTY_LOGIT = -20;

/**
 * Builds the view of `text` and scans it (training and scoring alike). When the scan says the
 * text looks encoded (./readings.ts: a Caesar shift, reversal or pig Latin without a hint
 * word, Morse, camelCase prose), the view is built again with that reading appended and scanned again;
 * ordinary text is scanned once. Returns the number of blocks; the view is in CODES.
 */
export function viewAndScan(text: string, q: Int8Array | null, lm: Uint8Array | null): number {
  let view = buildView(text);
  let nb = scan(CODES, view.n, () => view.text, q, lm);
  const reading = extraReading(text, READ_STATS, view.named);
  if (reading !== "") {
    view = buildView(text, reading);
    nb = scan(CODES, view.n, () => view.text, q, lm);
  }
  lastView = view;
  return nb;
}

/** The view of the last `viewAndScan` (the trainer keeps its length and payload mark). */
export let lastView: View | null = null;

const WIN = new Float32Array(DENSE_COUNTS);
const VALUES = new Float32Array(DENSE);

/** Raw scores (logits) of both heads for `text`: the highest window of each. */
export function logits(m: Model, text: string): [number, number] {
  const nb = viewAndScan(text, m.q, m.lm);
  const sums = SUMS;
  const counts = COUNTS;
  const gibs = GIB;
  let total = 0;
  for (let k = 0; k < nb; k++) total += sums[3 * k + 2]!;
  // Nothing to read (empty or only whitespace): nothing can instruct the model.
  if (total === 0) return [EMPTY_LOGIT, EMPTY_LOGIT];
  let best0 = -Infinity;
  let best1 = -Infinity;
  const windows = windowCount(nb);
  for (let w = 0; w < windows; w++) {
    const last = Math.min(w + 2, nb);
    let s0 = 0;
    let s1 = 0;
    let nh = 0;
    let gib = 0;
    for (let k = w; k < last; k++) {
      s0 += sums[3 * k]!;
      s1 += sums[3 * k + 1]!;
      nh += sums[3 * k + 2]!;
      if (gibs[k]! > gib) gib = gibs[k]!;
    }
    // The window's counts in one pass (a window is one or two blocks).
    const a = w * N_COUNTS;
    if (last - w === 2) for (let d = 0; d < N_COUNTS; d++) WIN[d] = counts[a + d]! + counts[a + N_COUNTS + d]!;
    else for (let d = 0; d < N_COUNTS; d++) WIN[d] = counts[a + d]!;
    denseValues(WIN, gib, m.params, VALUES);
    const norm = nh > 0 ? 1 / Math.sqrt(nh) : 0;
    let z0 = m.bias0 + s0 * m.scale0 * norm;
    let z1 = m.bias1 + s1 * m.scale1 * norm;
    for (let d = 0; d < N_DENSE; d++) {
      const v = VALUES[d]!;
      if (v !== 0) {
        z0 += v * m.dense0[d]!;
        z1 += v * m.dense1[d]!;
      }
    }
    if (z0 > best0) best0 = z0;
    if (z1 > best1) best1 = z1;
  }
  return [best0, best1];
}
