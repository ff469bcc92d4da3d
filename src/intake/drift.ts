/**
 * The drift signal: how far this file's answers are from the client's earlier uploads. A
 * poisoned batch need not contain one odd example; it can shift the whole label mix (a
 * fraud model's "legitimate" share) or the style of the answers. The caller keeps, per
 * client, an `IntakeHistory`: three small distributions of the trained answers, a few KB
 * of JSON, with no text in it.
 *
 * - `answers`: the shares of the answers that repeat (at least twice and 1% of the file),
 *   by keyed hash of their words (`shapeHash`: case, punctuation, spacing and the value of
 *   numbers aside), the rest pooled. For classification data this
 *   is the label distribution; for free text, the canned answers.
 * - `lengths`: answer lengths in characters, in power-of-two buckets.
 * - `words`: answer words hashed into 128 buckets (the hashing trick): a coarse picture of
 *   what the answers talk about.
 *
 * Each is compared with the Jensen-Shannon divergence (base 2, so 0 to 1, symmetric and
 * finite where one side has a bucket the other lacks; Lin, IEEE Trans. Inf. Theory 1991).
 */
import { z } from "zod";
import { deriveKey } from "../extraction/simhash";
import type { IntakePolicy } from "./policy";
import { IntMap } from "./intmap";
import { shapeHash, type WordList } from "./words";

const LENGTH_BUCKETS = 16;
const WORD_BUCKETS = 128;
/** Repeated answers kept by hash; the rest are pooled. */
const TOP_ANSWERS = 32;
const Share = z.number().min(0).max(1);

export const IntakeHistorySchema = z.strictObject({
  v: z.literal(1),
  /** Examples the summary stands for (capped by the policy's `drift.history_cap`). */
  examples: z.number().min(0),
  uploads: z.int().min(0),
  /** [keyed hash of the answer's words, share], for answers that repeat; at most 32. */
  answers: z.array(z.tuple([z.string().regex(/^[0-9a-f]{8}$/), Share])).max(TOP_ANSWERS),
  lengths: z.array(Share).length(LENGTH_BUCKETS),
  words: z.array(Share).length(WORD_BUCKETS),
});
export type IntakeHistory = z.infer<typeof IntakeHistorySchema>;

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

/** Distributions of one file's answers, accumulated example by example. */
export class AnswerProfile {
  private readonly counts = new IntMap();
  private readonly lengths = new Float64Array(LENGTH_BUCKETS);
  private readonly words = new Float64Array(WORD_BUCKETS);
  private readonly key: { k0: number; k1: number };
  n = 0;

  constructor(fingerprintKey: string | Uint8Array) {
    this.key = deriveKey(fingerprintKey);
  }

  /**
   * Counts one answer, given with its words `list[from, to)`; returns its keyed word hash
   * with numbers folded (`shapeHash`), which is also the answer's identity for the backdoor
   * signal.
   */
  add(answer: string, list: WordList, from: number, to: number): number {
    this.n++;
    const h = shapeHash(list, from, to, this.key, true);
    this.counts.add(h, 1);
    this.lengths[Math.min(LENGTH_BUCKETS - 1, Math.floor(Math.log2(answer.length + 1)))]!++;
    for (let i = from; i < to; i++) this.words[list.words[i]! & (WORD_BUCKETS - 1)]!++;
    return h;
  }

  /** The file alone as a history entry. */
  summary(): IntakeHistory {
    const min = Math.max(2, Math.ceil(this.n * 0.01));
    const answers = [...this.counts.entries()]
      .filter(([, c]) => c >= min)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, TOP_ANSWERS)
      .map(([h, c]): [string, number] => [hex8(h), round5(c / this.n)]);
    return { v: 1, examples: this.n, uploads: 1, answers, lengths: normalise(this.lengths), words: normalise(this.words) };
  }
}

/** Shares are stored to five decimals: enough for the divergence, and it keeps the JSON small. */
const round5 = (x: number): number => Math.round(x * 1e5) / 1e5;

function normalise(xs: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return Array.from(xs, (x) => (sum === 0 ? 0 : round5(x / sum)));
}

/** Jensen-Shannon divergence, base 2, of two distributions over the same buckets. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = q[i] ?? 0;
    const m = (a + b) / 2;
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  }
  return Math.min(1, Math.max(0, d));
}

/** The repeated-answer shares of both sides over their union, plus the pooled rest. */
function answerVectors(a: IntakeHistory, b: IntakeHistory): [number[], number[]] {
  const keys = [...new Set([...a.answers.map(([h]) => h), ...b.answers.map(([h]) => h)])];
  const vec = (s: IntakeHistory): number[] => {
    const m = new Map(s.answers);
    const v = keys.map((k) => m.get(k) ?? 0);
    v.push(Math.max(0, 1 - v.reduce((x, y) => x + y, 0)));
    return v;
  };
  return [vec(a), vec(b)];
}

/** Divergence of a file's summary from the history, per distribution. */
export function driftOf(history: IntakeHistory, file: IntakeHistory): { answers: number; lengths: number; words: number } {
  const [pa, qa] = answerVectors(history, file);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { answers: round(jensenShannon(pa, qa)), lengths: round(jensenShannon(history.lengths, file.lengths)), words: round(jensenShannon(history.words, file.words)) };
}

/**
 * The history with the file merged in, weighted by examples; the history weighs at most
 * `history_cap` examples, so a client's data can change over time. A caller stores it only
 * for files it forwards: merging a rejected file would let an attacker move the baseline
 * one refused upload at a time.
 */
export function mergeHistory(history: IntakeHistory | undefined, file: IntakeHistory, cfg: IntakePolicy["drift"]): IntakeHistory {
  if (history === undefined || history.examples === 0) return { ...file, examples: Math.min(file.examples, cfg.history_cap) };
  const w = Math.min(history.examples, cfg.history_cap);
  const n = file.examples;
  const total = w + n;
  if (total === 0) return history;
  const mix = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => round5((x * w + (b[i] ?? 0) * n) / total));
  const shares = new Map<string, number>();
  for (const [h, s] of history.answers) shares.set(h, (s * w) / total);
  for (const [h, s] of file.answers) shares.set(h, (shares.get(h) ?? 0) + (s * n) / total);
  const answers = [...shares].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP_ANSWERS).map(([h, s]): [string, number] => [h, round5(s)]);
  return { v: 1, examples: Math.min(total, cfg.history_cap), uploads: history.uploads + 1, answers, lengths: mix(history.lengths, file.lengths), words: mix(history.words, file.words) };
}
