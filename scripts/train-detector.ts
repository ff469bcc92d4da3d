/**
 * Trains the prompt-firewall detector and writes src/firewall/detector/weights.generated.ts.
 * Deterministic: seeded shuffles, no dates; the same data gives the same file, byte for byte.
 *
 *   npm run train:detector [-- --no-generated] [--no-unlicensed] [--out PATH]
 *
 * Data: ../shared/data/prompts-dev.jsonl (or --data) plus data/generated/prompts-gen.jsonl
 * when it exists. Thresholds come from leave-one-source-out (LOSO) predictions, never from
 * in-sample scores. Other scripts (eval-detector.ts) import the functions below.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  BLOCK, BUCKETS, DENSE, DENSE_COUNTS, EV, F_HEADERS, F_LEAD_VERB, F_LINES, F_PAIR, F_STRUCT, GIB, HASH_BITS, LM_CLASSES, LM_SCALE, MARKS, countBigrams, denseValues,
  gibberish, initLexicon, windowCount, type DenseParams,
} from "../src/firewall/detector/features";
import { EMPTY_LOGIT, HEADS, lastView, viewAndScan, type ModelFile } from "../src/firewall/detector/model";
import { CODES, foldText } from "../src/firewall/detector/view";
import { mulberry32 } from "./lib/rng";

export type Label = "benign" | "injection" | "jailbreak";
export interface Row {
  id: string;
  text: string;
  label: Label;
  source: string;
  /** Source group: the dev id tag ("tt-hijack") or the generated family ("gen-multilingual"). */
  group: string;
}

const HERE = fileURLToPath(new URL(".", import.meta.url));
export const DEV_PATH = `${HERE}../../shared/data/prompts-dev.jsonl`;
export const GEN_PATHS = [`${HERE}../data/generated/prompts-gen.jsonl`, `${HERE}../../shared/data/generated/prompts-gen.jsonl`];
/** Sources that state no licence (see docs/model-card.md). */
const UNLICENSED = ["HumanCompatibleAI/tensor-trust-data"];

export interface DataOptions {
  dev?: string;
  generated: boolean;
  unlicensed: boolean;
}

function groupOf(id: string): string {
  const dev = /^dev-(.+)-\d+$/.exec(id);
  if (dev) return dev[1]!;
  const gen = /^gen-(.+)-\d+$/.exec(id);
  if (gen) return `gen-${gen[1]!}`;
  return id.replace(/-\d+$/, "");
}

function readJsonl(path: string): Row[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const r = JSON.parse(l) as Omit<Row, "group">;
      return { ...r, group: groupOf(r.id) };
    })
    .filter((r) => r.label === "benign" || r.label === "injection" || r.label === "jailbreak");
}

export function generatedPath(): string | null {
  return GEN_PATHS.find((p) => existsSync(p)) ?? null;
}

export function loadRows(opts: DataOptions): Row[] {
  let rows = readJsonl(opts.dev ?? DEV_PATH);
  const gen = generatedPath();
  if (opts.generated && gen !== null) rows = rows.concat(readJsonl(gen));
  if (!opts.unlicensed) rows = rows.filter((r) => !UNLICENSED.some((u) => r.source.startsWith(u)));
  return rows;
}

export function dataHash(rows: Row[]): string {
  const h = createHash("sha256");
  for (const r of rows) h.update(`${r.id}\t${r.label}\t${r.text}\n`);
  return h.digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Features per row, computed once and shared by every fold.

export interface Window {
  idx: Int32Array;
  /** Hashed values, already divided by sqrt(hashed events in the window). */
  val: Float32Array;
  counts: Float32Array;
  firstBlock: number;
  lastBlock: number; // exclusive
}

export interface Featured {
  row: Row;
  codes: Uint16Array;
  payload: number;
  blocks: number;
  /** All events and block marks, for scoring exactly as the runtime does. */
  ev: Int32Array;
  marks: Int32Array;
  /** Training windows: at most MAX_TRAIN_WINDOWS, spread over the text. */
  windows: Window[];
}

const MAX_TRAIN_WINDOWS = 12;

export function featurize(rows: Row[]): Featured[] {
  initLexicon(foldText);
  const counts = new Map<number, number>();
  return rows.map((row) => {
    // The runtime's own view and scan, extra readings (./readings.ts) included.
    const nb = viewAndScan(row.text, null, null);
    const view = lastView!;
    const ev = EV.slice(0, MARKS[nb]!);
    const marks = MARKS.slice(0, nb + 1);
    const nw = windowCount(nb);
    const pick: number[] = [];
    if (nw <= MAX_TRAIN_WINDOWS) for (let w = 0; w < nw; w++) pick.push(w);
    else for (let j = 0; j < MAX_TRAIN_WINDOWS; j++) pick.push(Math.round((j * (nw - 1)) / (MAX_TRAIN_WINDOWS - 1)));
    const windows = pick.map((w) => {
      const last = Math.min(w + 2, nb);
      counts.clear();
      const dense = new Float32Array(DENSE_COUNTS);
      let nh = 0;
      for (let e = marks[w]!; e < marks[last]!; e++) {
        const i = ev[e]!;
        if (i < BUCKETS) {
          counts.set(i, (counts.get(i) ?? 0) + 1);
          nh++;
        } else dense[i - BUCKETS]! += 1;
      }
      const keys = [...counts.keys()].sort((a, b) => a - b);
      const norm = nh > 0 ? 1 / Math.sqrt(nh) : 0;
      return {
        idx: Int32Array.from(keys),
        val: Float32Array.from(keys, (k) => counts.get(k)! * norm),
        counts: dense,
        firstBlock: w,
        lastBlock: last,
      };
    });
    return { row, codes: CODES.slice(0, view.n), payload: view.payload, blocks: nb, ev, marks, windows };
  });
}

// ---------------------------------------------------------------------------------------------
// Gibberish language model, per fold (trained on the fold's benign rows only).

export function trainLm(data: Featured[]): Uint8Array {
  const counts = new Float64Array(LM_CLASSES * LM_CLASSES);
  for (const f of data) if (f.row.label === "benign") countBigrams(f.codes, f.codes.length, counts);
  const lm = new Uint8Array(LM_CLASSES * LM_CLASSES);
  for (let a = 0; a < LM_CLASSES; a++) {
    let total = 0;
    for (let b = 0; b < LM_CLASSES; b++) total += counts[a * LM_CLASSES + b]!;
    for (let b = 0; b < LM_CLASSES; b++) {
      const p = (counts[a * LM_CLASSES + b]! + 0.1) / (total + 0.1 * LM_CLASSES);
      lm[a * LM_CLASSES + b] = Math.min(255, Math.round(-Math.log2(p) * LM_SCALE));
    }
  }
  return lm;
}

/** Per row, per block gibberish values under `lm`. */
export function blockGib(data: Featured[], lm: Uint8Array): Float32Array[] {
  return data.map((f) => {
    gibberish(f.codes, f.codes.length, lm, f.blocks);
    return GIB.slice(0, f.blocks);
  });
}

function windowGib(g: Float32Array, first: number, last: number): number {
  let m = 0;
  for (let k = first; k < last; k++) if (g[k]! > m) m = g[k]!;
  return m;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Training.

export interface TrainOptions {
  epochs: number;
  /** L2 on hashed and on dense weights. */
  l2Hashed: number;
  l2Dense: number;
  lr: number;
  /** Multiple-instance stage: retrain with each long attack's best window as its positive. */
  mil: boolean;
  seed: number;
  /** Hashed values are multiplied by this: below 1, the dense (lexicon) features weigh more. */
  hashedScale: number;
  /**
   * Keep the weights of class pairs and the attack-shape features at or above zero: they are
   * prior knowledge ("ignore ... instructions" never makes a text more benign), and without
   * this the model learns from hard negatives that e.g. "AI" near "tool" is benign.
   */
  nonNegative: boolean;
}

/**
 * Chosen by leave-one-source-out recall at 5 % benign FP (pooled and source-weighted): L2 on the
 * hashed n-grams 3e-4 rather than 1e-4 (less memorised scaffolding; 1e-3 was no better), and
 * the attack-shape features held at or above zero.
 */
export const DEFAULT_TRAIN: TrainOptions = { epochs: 6, l2Hashed: 3e-4, l2Dense: 1e-5, lr: 0.2, mil: true, seed: 7, hashedScale: 1, nonNegative: true };

export interface HeadWeights {
  w: Float32Array;
  dense: Float32Array;
  bias: number;
}

export interface Trained {
  heads: [HeadWeights, HeadWeights];
  lm: Uint8Array;
  params: DenseParams;
}


interface Example {
  win: Window;
  dense: Float32Array;
  y: number;
  weight: number;
}

/** Row weights: 1/sqrt(rows of that label in the row's group), so big sources do not dominate. */
function rowWeights(data: Featured[]): number[] {
  const sizes = new Map<string, number>();
  for (const f of data) sizes.set(`${f.row.group}\t${f.row.label}`, (sizes.get(`${f.row.group}\t${f.row.label}`) ?? 0) + 1);
  return data.map((f) => 1 / Math.sqrt(sizes.get(`${f.row.group}\t${f.row.label}`)!));
}

function dot(h: HeadWeights, win: Window, dense: Float32Array, alpha = 1): number {
  let z = h.bias;
  const { idx, val } = win;
  let zh = 0;
  for (let j = 0; j < idx.length; j++) zh += h.w[idx[j]!]! * val[j]!;
  z += alpha * zh;
  for (let d = 0; d < DENSE; d++) z += h.dense[d]! * dense[d]!;
  return z;
}

/** Dense features held at or above zero with `nonNegative`: pairs, addressed AI, tags, images, gibberish, document x attack. */
const NON_NEGATIVE = new Uint8Array(DENSE);
for (let d = F_PAIR; d < DENSE; d++) NON_NEGATIVE[d] = 1;
for (const d of [F_STRUCT, F_LINES, F_HEADERS, F_LEAD_VERB]) NON_NEGATIVE[d] = 0;

function sgd(examples: Example[], opts: TrainOptions): HeadWeights {
  const h: HeadWeights = { w: new Float32Array(BUCKETS), dense: new Float32Array(DENSE), bias: 0 };
  const gw = new Float32Array(BUCKETS).fill(1e-6);
  const gd = new Float32Array(DENSE).fill(1e-6);
  let gb = 1e-6;
  // Balance the classes, then scale weights to mean 1 so the L2 strength means the same everywhere.
  let pos = 0;
  let neg = 0;
  for (const e of examples) if (e.y === 1) pos += e.weight; else neg += e.weight;
  const wPos = examples.length / 2 / pos;
  const wNeg = examples.length / 2 / neg;
  const weights = examples.map((e) => e.weight * (e.y === 1 ? wPos : wNeg));
  const alpha = opts.hashedScale;
  const rand = mulberry32(opts.seed);
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) {
      const ex = examples[i]!;
      const z = dot(h, ex.win, ex.dense, alpha);
      const err = (1 / (1 + Math.exp(-z)) - ex.y) * weights[i]!;
      const { idx, val } = ex.win;
      for (let j = 0; j < idx.length; j++) {
        const k = idx[j]!;
        const g = err * alpha * val[j]! + opts.l2Hashed * h.w[k]!;
        gw[k]! += g * g;
        h.w[k]! -= (opts.lr * g) / Math.sqrt(gw[k]!);
      }
      for (let d = 0; d < DENSE; d++) {
        const v = ex.dense[d]!;
        if (v === 0) continue;
        const g = err * v + opts.l2Dense * h.dense[d]!;
        gd[d]! += g * g;
        h.dense[d]! -= (opts.lr * g) / Math.sqrt(gd[d]!);
        if (opts.nonNegative && NON_NEGATIVE[d] === 1 && h.dense[d]! < 0) h.dense[d] = 0;
      }
      gb += err * err;
      h.bias -= (opts.lr * err) / Math.sqrt(gb);
    }
  }
  // Fold the scale into the weights: the runtime sums raw weights.
  for (let k = 0; k < BUCKETS; k++) h.w[k] = h.w[k]! * alpha;
  return h;
}

/** Int8 quantisation of the hashed weights, applied in place; returns the scale. */
export function quantise(h: HeadWeights): number {
  let max = 0;
  for (let i = 0; i < h.w.length; i++) max = Math.max(max, Math.abs(h.w[i]!));
  const scale = max > 0 ? max / 127 : 1;
  for (let i = 0; i < h.w.length; i++) h.w[i] = Math.round(h.w[i]! / scale) * scale;
  return scale;
}

export function train(data: Featured[], opts: TrainOptions = DEFAULT_TRAIN): Trained {
  const lm = trainLm(data);
  const gibs = blockGib(data, lm);
  const benignGib: number[] = [];
  data.forEach((f, i) => {
    if (f.row.label === "benign") for (const w of f.windows) benignGib.push(windowGib(gibs[i]!, w.firstBlock, w.lastBlock));
  });
  const params: DenseParams = { gib1: quantile(benignGib, 0.9), gib2: quantile(benignGib, 0.99) };
  const rw = rowWeights(data);
  const dense = data.map((f, i) =>
    f.windows.map((w) => {
      const out = new Float32Array(DENSE);
      denseValues(w.counts, windowGib(gibs[i]!, w.firstBlock, w.lastBlock), params, out);
      return out;
    }),
  );
  const heads = HEADS.map((head, hi) => {
    const build = (best: HeadWeights | null): Example[] => {
      const ex: Example[] = [];
      data.forEach((f, i) => {
        const label = f.row.label;
        if (label !== "benign" && label !== head) return;
        const y = label === head ? 1 : 0;
        const nw = f.windows.length;
        if (y === 1 && best !== null && nw > 1) {
          let top = 0;
          let topZ = -Infinity;
          f.windows.forEach((w, j) => {
            const z = dot(best, w, dense[i]![j]!);
            if (z > topZ) {
              topZ = z;
              top = j;
            }
          });
          ex.push({ win: f.windows[top]!, dense: dense[i]![top]!, y, weight: rw[i]! });
          return;
        }
        const per = y === 1 ? rw[i]! / nw : rw[i]! / Math.sqrt(nw);
        f.windows.forEach((w, j) => ex.push({ win: w, dense: dense[i]![j]!, y, weight: per }));
      });
      return ex;
    };
    const seed = opts.seed + hi * 1000;
    let h = sgd(build(null), { ...opts, seed });
    if (opts.mil) h = sgd(build(h), { ...opts, seed: seed + 1 });
    quantise(h);
    return h;
  }) as [HeadWeights, HeadWeights];
  return { heads, lm, params };
}

// ---------------------------------------------------------------------------------------------
// Scoring a featured row exactly as model.ts does at run time (highest window per head).

export function scoreRow(t: Trained, f: Featured, gib: Float32Array): [number, number] {
  const nb = f.blocks;
  const sums = new Float64Array(3 * nb);
  const counts = new Float32Array(DENSE_COUNTS * nb);
  const [h0, h1] = t.heads;
  for (let k = 0; k < nb; k++) {
    let s0 = 0;
    let s1 = 0;
    let nh = 0;
    for (let e = f.marks[k]!; e < f.marks[k + 1]!; e++) {
      const i = f.ev[e]!;
      if (i < BUCKETS) {
        s0 += h0.w[i]!;
        s1 += h1.w[i]!;
        nh++;
      } else counts[k * DENSE_COUNTS + i - BUCKETS]! += 1;
    }
    sums[3 * k] = s0;
    sums[3 * k + 1] = s1;
    sums[3 * k + 2] = nh;
  }
  let total = 0;
  for (let k = 0; k < nb; k++) total += sums[3 * k + 2]!;
  if (total === 0) return [EMPTY_LOGIT, EMPTY_LOGIT];
  let best0 = -Infinity;
  let best1 = -Infinity;
  const win = new Float32Array(DENSE_COUNTS);
  const values = new Float32Array(DENSE);
  for (let w = 0; w < windowCount(nb); w++) {
    const last = Math.min(w + 2, nb);
    let s0 = 0;
    let s1 = 0;
    let nh = 0;
    win.fill(0);
    for (let k = w; k < last; k++) {
      s0 += sums[3 * k]!;
      s1 += sums[3 * k + 1]!;
      nh += sums[3 * k + 2]!;
      for (let d = 0; d < DENSE_COUNTS; d++) win[d]! += counts[k * DENSE_COUNTS + d]!;
    }
    denseValues(win, windowGib(gib, w, last), t.params, values);
    const norm = nh > 0 ? 1 / Math.sqrt(nh) : 0;
    let z0 = h0.bias + s0 * norm;
    let z1 = h1.bias + s1 * norm;
    for (let d = 0; d < DENSE; d++) {
      z0 += values[d]! * h0.dense[d]!;
      z1 += values[d]! * h1.dense[d]!;
    }
    best0 = Math.max(best0, z0);
    best1 = Math.max(best1, z1);
  }
  return [best0, best1];
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

// ---------------------------------------------------------------------------------------------
// Leave-one-source-out.

export interface LosoResult {
  /** Per row: [injection, jailbreak] probabilities from the fold that held the row out. */
  scores: [number, number][];
}

/** Trains one model per group on everything else and scores that group with it. */
export function loso(data: Featured[], opts: TrainOptions, log: (s: string) => void = () => {}): LosoResult {
  const groups = [...new Set(data.map((f) => f.row.group))].sort();
  const scores: [number, number][] = data.map(() => [0, 0]);
  for (const g of groups) {
    const t0 = Date.now();
    const trainSet = data.filter((f) => f.row.group !== g);
    const model = train(trainSet, opts);
    const held = data.map((f, i) => [f, i] as const).filter(([f]) => f.row.group === g);
    const gibs = blockGib(held.map(([f]) => f), model.lm);
    held.forEach(([f, i], j) => {
      const [z0, z1] = scoreRow(model, f, gibs[j]!);
      scores[i] = [sigmoid(z0), sigmoid(z1)];
    });
    log(`  fold ${g}: ${held.length} rows, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { scores };
}

// ---------------------------------------------------------------------------------------------
// Thresholds on LOSO predictions.

/** Row weights for rates: 1/sqrt(group size), so one big source does not decide the rate. */
export function rateWeights(data: Featured[]): number[] {
  return rowWeights(data);
}

export interface OperatingPoint {
  injection: number;
  jailbreak: number;
  /** Weighted benign false-positive rate and weighted attack recall at this point. */
  fp: number;
  recall: number;
}

/**
 * The pair of thresholds with the best source-weighted attack recall whose benign FP rate is at
 * most `maxFp` both pooled and source-weighted (the stricter of the two decides).
 */
export function chooseThresholds(data: Featured[], scores: [number, number][], maxFp: number): OperatingPoint {
  const w = rateWeights(data);
  const benign: number[] = [];
  const attack: number[] = [];
  data.forEach((f, i) => (f.row.label === "benign" ? benign : attack).push(i));
  const candidates = (h: 0 | 1): number[] => {
    const s = benign.map((i) => scores[i]![h]).sort((a, b) => b - a);
    const out = new Set<number>([1]);
    const top = Math.min(s.length, Math.ceil(s.length * maxFp * 2));
    const step = Math.max(1, Math.floor(top / 80));
    for (let k = 0; k < top; k += step) out.add(s[k]! + 1e-9);
    return [...out].sort((a, b) => a - b);
  };
  const c0 = candidates(0);
  const c1 = candidates(1);
  let wb = 0;
  for (const i of benign) wb += w[i]!;
  let wa = 0;
  for (const i of attack) wa += w[i]!;
  let best: OperatingPoint = { injection: 1, jailbreak: 1, fp: 0, recall: 0 };
  for (const t0 of c0) {
    for (const t1 of c1) {
      let fp = 0;
      let fpRows = 0;
      for (const i of benign) {
        if (scores[i]![0] >= t0 || scores[i]![1] >= t1) {
          fp += w[i]!;
          fpRows++;
        }
      }
      fp = Math.max(fp / wb, fpRows / benign.length);
      if (fp > maxFp) continue;
      let rec = 0;
      for (const i of attack) if (scores[i]![0] >= t0 || scores[i]![1] >= t1) rec += w[i]!;
      rec /= wa;
      if (rec > best.recall || (rec === best.recall && fp < best.fp)) best = { injection: t0, jailbreak: t1, fp, recall: rec };
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Writing the model file.

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function round(x: number, digits = 6): number {
  return Number(x.toPrecision(digits));
}

export function serialise(t: Trained, rows: Row[], options: string, thresholds: ModelFile["thresholds"]): string {
  const q = new Int8Array(2 * BUCKETS);
  const heads = t.heads.map((h, hi) => {
    let max = 0;
    for (let i = 0; i < BUCKETS; i++) max = Math.max(max, Math.abs(h.w[i]!));
    const scale = max > 0 ? max / 127 : 1;
    for (let i = 0; i < BUCKETS; i++) q[2 * i + hi] = Math.round(h.w[i]! / scale);
    return { name: HEADS[hi]!, bias: round(h.bias), scale: round(scale, 9), dense: Array.from(h.dense, (d) => round(d)) };
  });
  const file: ModelFile = {
    format: 1,
    hashBits: HASH_BITS,
    block: BLOCK,
    ngrams: [3, 5],
    data: { sha256: dataHash(rows), rows: rows.length, options },
    gib: [round(t.params.gib1), round(t.params.gib2)],
    heads,
    thresholds,
    lm: toBase64(t.lm),
    hashed: toBase64(new Uint8Array(q.buffer)),
  };
  const { hashed, ...rest } = file;
  const head = JSON.stringify(rest, null, 2).replace(/\n}$/, "");
  return [
    "// Generated by scripts/train-detector.ts (npm run train:detector). Do not edit by hand.",
    "// The model card (docs/model-card.md) describes the data and the measured figures.",
    'import type { ModelFile } from "./model";',
    "",
    `export const MODEL: ModelFile = ${head},`,
    `  "hashed": ${JSON.stringify(hashed)}`,
    "};",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const generated = !args.includes("--no-generated");
  const unlicensed = !args.includes("--no-unlicensed");
  const out = flag("--out") ?? fileURLToPath(new URL("../src/firewall/detector/weights.generated.ts", import.meta.url));
  const rows = loadRows({ dev: flag("--data"), generated, unlicensed });
  const gen = generatedPath();
  console.log(`rows: ${rows.length} (generated: ${generated && gen !== null ? gen : "none"}; unlicensed sources: ${unlicensed ? "included" : "excluded"})`);
  const t0 = Date.now();
  const data = featurize(rows);
  console.log(`features: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log("leave-one-source-out, for the thresholds:");
  const { scores } = loso(data, DEFAULT_TRAIN, console.log);
  const flagPoint = chooseThresholds(data, scores, 0.05);
  const blockPoint = chooseThresholds(data, scores, 0.01);
  console.log(`flag: ${JSON.stringify(flagPoint)}\nblock: ${JSON.stringify(blockPoint)}`);
  const thresholds = {
    injection: { flag: round(flagPoint.injection), block: round(Math.max(blockPoint.injection, flagPoint.injection)) },
    jailbreak: { flag: round(flagPoint.jailbreak), block: round(Math.max(blockPoint.jailbreak, flagPoint.jailbreak)) },
  };
  const model = train(data, DEFAULT_TRAIN);
  const options = `generated=${generated && gen !== null},unlicensed=${unlicensed}`;
  writeFileSync(out, serialise(model, rows, options, thresholds));
  console.log(`wrote ${out}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
