/**
 * CPU throughput of the training-data intake scan (issue 10; target: at least 20 MB of JSONL
 * per CPU-second). Generated fine-tuning files (scripts/lib/intake-gen.ts) of 1, 10 and 50 MB,
 * clean and poisoned, each scanned with the default policy plus one answer rule, on V8 in
 * this process (the scan is pure: workerd runs the same code on the same engine). `npm run
 * bench:intake` runs it through scripts/run-as-deployed.ts, so the code measured is compiled
 * as wrangler compiles the Worker; `npx tsx scripts/bench-intake.ts` measures tsx's output.
 *
 *   npm run bench:intake [-- --rounds 3] [-- --sizes 1,10]
 *
 * Prints a table and, as the last line, JSON: MB per CPU-second (user + system, from
 * `process.cpuUsage`), the best of `rounds`, per file, and the verdict.
 * Before it, the detection figures on the generated cases: for 20 clean seeds the files with
 * any finding (false positives), and for each poisoning pattern over 10 seeds the files whose
 * rule fired and the share of poisoned lines it named (recall) and of named lines that were
 * poisoned (precision).
 */
import { cleanExamples, FRAUD_ANSWER_RULE, fileOfSize, POISON_KINDS, poisonedFile, toJsonl, type PoisonKind } from "./lib/intake-gen";
import { IntakePolicySchema, scanTrainingFile, type IntakeHistory, type IntakeReport, type IntakeRule } from "../src/intake/index";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};
const rounds = Number(opt("rounds") ?? 3) || 3;
const sizes = (opt("sizes") ?? "1,10,50").split(",").map(Number);
const kinds: (PoisonKind | "clean")[] = ["clean", "backdoor", "pii", "amplification"];
const MB = 1_000_000;
const TARGET = 20;

const policy = IntakePolicySchema.parse({ answer_rules: [FRAUD_ANSWER_RULE] });
const history: IntakeHistory = scanTrainingFile(fileOfSize(99, MB), policy).summary;

function cpuSeconds(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

// Detection on the generated cases, with the default policy plus the fraud answer rule.
const RULE: Record<PoisonKind, IntakeRule> = {
  amplification: "intake.duplicates",
  backdoor: "intake.backdoor",
  pii: "intake.pii",
  secret: "intake.secret",
  injection: "intake.injection",
  smuggling: "intake.smuggling",
  contradiction: "intake.policy_contradiction",
  drift: "intake.drift",
};
const linesOf = (report: IntakeReport, rule: IntakeRule): number[] => [...new Set(report.findings.filter((f) => f.rule === rule).flatMap((f) => f.lines ?? (f.line === undefined ? [] : [f.line])))];
let falsePositives = 0;
for (let seed = 1; seed <= 20; seed++) if (scanTrainingFile(toJsonl(cleanExamples(seed, 500)), policy, history).findings.length > 0) falsePositives++;
console.log(`clean files (20 seeds x 500 examples) with any finding: ${falsePositives}`);
const detection: Record<string, { files: number; recall: number; precision: number }> = {};
for (const kind of POISON_KINDS) {
  let files = 0;
  let poisoned = 0;
  let named = 0;
  let right = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const file = poisonedFile(kind, seed, 500);
    const report = scanTrainingFile(toJsonl(file.examples), policy, history);
    const lines = linesOf(report, RULE[kind]);
    if (report.findings.some((f) => f.rule === RULE[kind])) files++;
    poisoned += file.lines.length;
    // Drift is a file-level finding: it names no lines.
    if (kind === "drift") continue;
    named += lines.length;
    right += lines.filter((l) => file.lines.includes(l)).length;
  }
  detection[kind] = { files, recall: kind === "drift" ? NaN : Math.round((right / poisoned) * 1000) / 1000, precision: kind === "drift" ? NaN : Math.round((right / Math.max(1, named)) * 1000) / 1000 };
  console.log(`${kind.padEnd(14)} files ${files}/10  line recall ${detection[kind].recall}  line precision ${detection[kind].precision}`);
}
console.log("");

// Warm-up: the first scan also pays for the JIT and for decoding the classifier's weights.
scanTrainingFile(fileOfSize(1, MB), policy, history);

interface Row {
  file: string;
  mb: number;
  examples: number;
  verdict: string;
  cpu_s: number;
  mb_per_cpu_s: number;
}
const rows: Row[] = [];
for (const size of sizes) {
  // All files of a size first, then the rounds interleaved: no scan runs right after the
  // generator has filled the heap with garbage.
  const files = kinds.map((kind) => ({ kind, bytes: fileOfSize(size, size * MB, kind), best: Infinity, verdict: "", examples: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (const f of files) {
      f.best = Math.min(
        f.best,
        cpuSeconds(() => {
          const report = scanTrainingFile(f.bytes, policy, history);
          f.verdict = report.verdict;
          f.examples = report.stats.examples;
        }),
      );
    }
  }
  for (const f of files) {
    const mb = f.bytes.byteLength / MB;
    rows.push({ file: `${size} MB ${f.kind}`, mb: Math.round(mb * 10) / 10, examples: f.examples, verdict: f.verdict, cpu_s: Math.round(f.best * 1000) / 1000, mb_per_cpu_s: Math.round((mb / f.best) * 10) / 10 });
  }
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);
console.log(`${"file".padEnd(20)}${pad("MB", 7)}${pad("examples", 10)}${pad("verdict", 12)}${pad("CPU s", 9)}${pad("MB/CPU-s", 10)}`);
for (const r of rows) console.log(`${r.file.padEnd(20)}${pad(r.mb, 7)}${pad(r.examples, 10)}${pad(r.verdict, 12)}${pad(r.cpu_s, 9)}${pad(r.mb_per_cpu_s, 10)}`);
// The target is about large files: the first MB of every file is classified in full on
// purpose (`classify_all_bytes`), which a 1 MB file pays for entirely (about 70 ms of CPU).
const largest = Math.max(...sizes);
const worst = Math.min(...rows.filter((r) => r.file.startsWith(`${largest} MB`)).map((r) => r.mb_per_cpu_s));
console.log(`slowest at ${largest} MB: ${worst} MB per CPU-second; target ${TARGET}: ${worst >= TARGET ? "met" : "NOT met"}`);
console.log(JSON.stringify({ rounds, target_mb_per_cpu_s: TARGET, false_positive_files: falsePositives, detection, rows }));
