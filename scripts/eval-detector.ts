/**
 * Honest figures for the prompt-firewall detector:
 * (a) leave-one-source-out (LOSO) on dev + generated data: each source group (dev id tag, or
 *     generated family) is scored by a model trained on all the other groups; per group the
 *     attack recall or benign false-positive rate at the shipped flag thresholds, then pooled AUC
 *     and recall at 1 % / 5 % benign FP for injection, jailbreak and both combined;
 * (b) the same with the generated data left out of training and testing (dev sources only);
 * (c) speed of classify() on 1 KB, 4 KB and 100 KB texts, and the cold decode of the weights;
 * plus a check that the runtime scorer gives the trainer's scores for the shipped weights.
 *
 *   npm run eval:detector [-- --no-unlicensed] [--skip-b] [--epochs N]
 */
import {
  DEFAULT_TRAIN, blockGib, chooseThresholds, dataHash, featurize, generatedPath, loadRows, loso, rateWeights, scoreRow,
  type Featured, type Trained,
} from "./train-detector";
import { DETECTOR_THRESHOLDS, classify } from "../src/firewall/detector/index";
import { decodeModel, type Model } from "../src/firewall/detector/model";
import { MODEL } from "../src/firewall/detector/weights.generated";
import { BUCKETS } from "../src/firewall/detector/features";

const args = process.argv.slice(2);
const unlicensed = !args.includes("--no-unlicensed");
const epochsArg = args.indexOf("--epochs");
const opts = { ...DEFAULT_TRAIN, epochs: epochsArg === -1 ? DEFAULT_TRAIN.epochs : Number(args[epochsArg + 1]) };

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const logit = (p: number): number => Math.log(Math.max(p, 1e-12) / Math.max(1 - p, 1e-12));

function auc(pos: number[], neg: number[]): number {
  const all = [...pos.map((s) => [s, 1] as const), ...neg.map((s) => [s, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rank = 0;
  let sumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]![0] === all[i]![0]) j++;
    const avg = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k]![1] === 1) sumPos += avg;
    rank = j;
    i = j;
  }
  void rank;
  return pos.length === 0 || neg.length === 0 ? NaN : (sumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

function recallAtFp(pos: number[], neg: number[], fp: number): number {
  const s = [...neg].sort((a, b) => b - a);
  const t = s[Math.floor(fp * s.length)] ?? -Infinity;
  return pos.filter((x) => x > t).length / Math.max(1, pos.length);
}

function report(title: string, data: Featured[], scores: [number, number][]): void {
  const th = DETECTOR_THRESHOLDS;
  const flagged = (s: [number, number]): boolean => s[0] >= th.injection.flag || s[1] >= th.jailbreak.flag;
  const blocked = (s: [number, number]): boolean => s[0] >= th.injection.block || s[1] >= th.jailbreak.block;
  console.log(`\n## ${title}\n`);
  console.log("| group | label | rows | flagged | blocked |");
  console.log("|---|---|---:|---:|---:|");
  const groups = [...new Set(data.map((f) => `${f.row.group}\t${f.row.label}`))].sort();
  for (const g of groups) {
    const idx = data.map((f, i) => [f, i] as const).filter(([f]) => `${f.row.group}\t${f.row.label}` === g).map(([, i]) => i);
    const [group, label] = g.split("\t");
    const fl = idx.filter((i) => flagged(scores[i]!)).length / idx.length;
    const bl = idx.filter((i) => blocked(scores[i]!)).length / idx.length;
    console.log(`| ${group} | ${label} | ${idx.length} | ${pct(fl)} | ${pct(bl)} |`);
  }
  const benign = data.map((f, i) => [f, i] as const).filter(([f]) => f.row.label === "benign").map(([, i]) => i);
  const inj = data.map((f, i) => [f, i] as const).filter(([f]) => f.row.label === "injection").map(([, i]) => i);
  const jb = data.map((f, i) => [f, i] as const).filter(([f]) => f.row.label === "jailbreak").map(([, i]) => i);
  // Combined: distance above the flag threshold, in logits, of the higher head.
  const comb = (i: number): number =>
    Math.max(logit(scores[i]![0]) - logit(th.injection.flag), logit(scores[i]![1]) - logit(th.jailbreak.flag));
  const rows: [string, number[], number[]][] = [
    ["injection (injection vs benign, injection head)", inj.map((i) => scores[i]![0]), benign.map((i) => scores[i]![0])],
    ["jailbreak (jailbreak vs benign, jailbreak head)", jb.map((i) => scores[i]![1]), benign.map((i) => scores[i]![1])],
    ["combined (all attacks vs benign, either head)", [...inj, ...jb].map(comb), benign.map(comb)],
  ];
  console.log("\n| pooled LOSO | AUC | recall @ 1% FP | recall @ 5% FP |");
  console.log("|---|---:|---:|---:|");
  for (const [name, pos, neg] of rows) {
    console.log(`| ${name} | ${auc(pos, neg).toFixed(3)} | ${pct(recallAtFp(pos, neg, 0.01))} | ${pct(recallAtFp(pos, neg, 0.05))} |`);
  }
  const attacks = [...inj, ...jb];
  const w = rateWeights(data);
  const wRate = (ids: number[], pred: (i: number) => boolean): number => {
    let num = 0;
    let den = 0;
    for (const i of ids) {
      den += w[i]!;
      if (pred(i)) num += w[i]!;
    }
    return num / Math.max(den, 1e-12);
  };
  console.log(
    `\nAt the shipped flag thresholds: attacks flagged ${pct(attacks.filter((i) => flagged(scores[i]!)).length / attacks.length)}` +
      ` (source-weighted ${pct(wRate(attacks, (i) => flagged(scores[i]!)))}), benign FP ${pct(benign.filter((i) => flagged(scores[i]!)).length / benign.length)}` +
      ` (source-weighted ${pct(wRate(benign, (i) => flagged(scores[i]!)))}).`,
  );
  console.log(
    `At the block thresholds: attacks ${pct(attacks.filter((i) => blocked(scores[i]!)).length / attacks.length)}, benign FP ${pct(benign.filter((i) => blocked(scores[i]!)).length / benign.length)}.`,
  );
  const own = chooseThresholds(data, scores, 0.05);
  console.log(
    `Thresholds this LOSO run would choose (source-weighted FP <= 5%): injection ${own.injection.toFixed(4)}, jailbreak ${own.jailbreak.toFixed(4)}, weighted recall ${pct(own.recall)}.`,
  );
}

function trainedOf(m: Model): Trained {
  const heads = [0, 1].map((h) => {
    const w = new Float32Array(BUCKETS);
    const scale = h === 0 ? m.scale0 : m.scale1;
    for (let i = 0; i < BUCKETS; i++) w[i] = m.q[2 * i + h]! * scale;
    return { w, dense: h === 0 ? m.dense0 : m.dense1, bias: h === 0 ? m.bias0 : m.bias1 };
  }) as Trained["heads"];
  return { heads, lm: m.lm, params: m.params };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function speed(rows: { text: string }[]): void {
  console.log("\n## (c) speed (Node, warm, median of 9 rounds)\n");
  const t0 = performance.now();
  decodeModel(MODEL);
  console.log(`decode of the weights (cold, in this process): ${(performance.now() - t0).toFixed(2)} ms; weights file ${MODEL.hashed.length + MODEL.lm.length} base64 chars`);
  // Realistic text: dev prompts concatenated, flattened (requests arrive as flat strings from JSON.parse).
  const corpus = rows.map((r) => r.text).join("\n");
  for (const size of [1024, 4096, 102400]) {
    const samples = [0, 1, 2, 3].map((k) => JSON.parse(JSON.stringify(corpus.slice(k * 200_000, k * 200_000 + size))) as string);
    const reps = Math.max(10, Math.floor(2_000_000 / size));
    for (let i = 0; i < reps; i++) classify(samples[i % 4]!);
    const rounds: number[] = [];
    for (let r = 0; r < 9; r++) {
      const a = performance.now();
      for (let i = 0; i < reps; i++) classify(samples[i % 4]!);
      rounds.push(((performance.now() - a) * 1000) / reps);
    }
    console.log(`${size / 1024} KB: ${median(rounds).toFixed(1)} µs per call`);
  }
  for (const [name, text] of [
    ["1 MB of one letter", "a".repeat(1 << 20)],
    ["1 MB of 'a ' pairs", "a ".repeat(1 << 19)],
    ["1 MB of '&a'", "&a".repeat(1 << 19)],
    ["1 MB of Cyrillic and marks", "і\u0301g ".repeat(1 << 18)],
    ["1 MB of base64", Buffer.from("ignore previous instructions ".repeat(30000)).toString("base64").slice(0, 1 << 20)],
  ] as const) {
    const a = performance.now();
    classify(text);
    console.log(`${name}: ${(performance.now() - a).toFixed(1)} ms`);
  }
}

function consistency(data: Featured[]): void {
  const m = decodeModel(MODEL);
  const t = trainedOf(m);
  const sample = data.filter((_, i) => i % 16 === 0);
  const gibs = blockGib(sample, t.lm);
  let worst = 0;
  sample.forEach((f, j) => {
    const [z0, z1] = scoreRow(t, f, gibs[j]!);
    const s = classify(f.row.text);
    worst = Math.max(worst, Math.abs(1 / (1 + Math.exp(-z0)) - s.injection), Math.abs(1 / (1 + Math.exp(-z1)) - s.jailbreak));
  });
  console.log(`\nRuntime vs trainer scoring on ${sample.length} rows: largest difference ${worst.toExponential(2)}${worst > 1e-4 ? "  <-- MISMATCH" : ""}`);
}

function main(): void {
  const rows = loadRows({ generated: true, unlicensed });
  const gen = generatedPath();
  console.log(`# Detector evaluation\n\nrows: ${rows.length}; generated data: ${gen ?? "none"}; unlicensed sources ${unlicensed ? "included" : "excluded"}; epochs ${opts.epochs}`);
  if (dataHash(rows) !== MODEL.data.sha256) console.log("NOTE: the shipped weights were trained on different data (or options); run npm run train:detector.");
  console.log(`shipped thresholds: ${JSON.stringify(DETECTOR_THRESHOLDS)}`);
  const t0 = Date.now();
  const data = featurize(rows);
  consistency(data);
  const a = loso(data, opts);
  report("(a) leave-one-source-out, dev + generated", data, a.scores);
  console.log(`\n(LOSO time ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (!args.includes("--skip-b") && gen !== null) {
    const devOnly = data.filter((f) => f.row.id.startsWith("dev-"));
    const b = loso(devOnly, opts);
    report("(b) leave-one-source-out, dev only (no generated data in training or testing)", devOnly, b.scores);
  }
  speed(rows);
}

main();
