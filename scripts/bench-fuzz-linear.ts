/**
 * Linear time, measured: every scanner that reads a whole text (test/fuzz/scanners.ts) on
 * adversarial inputs (test/fuzz/adversarial.ts: fast-check units of the character classes
 * backtracking patterns choke on, plus the prefixes detectors key on), each repeated to n,
 * 2n, 4n and 8n characters. It prints the CPU time per call at each size and the ratio
 * t(8n) / t(n), which is 8 for a linear scanner and 64 for a quadratic one, and fails (exit 1)
 * when a ratio passes `--max-ratio` (default 12).
 *
 *   npm run bench:linear [-- --n 16384 --reps 3 --seed 1 --per-class 1 --max-ratio 12 --only PII]
 *
 * Timing: CPU time (process.cpuUsage), each size repeated until it has used `--min-ms` of CPU
 * (at least one call) to get past the clock's granularity, the best of `--reps` rounds, after
 * a warm-up call at n (so the JIT has compiled the scanner). A scanner that takes less than
 * `--min-base-us` (default 250) at n gets n doubled, up to 4 times `--n` (8n is then 512K characters, as the 1 MB tests; beyond, cache misses, not the algorithm, grow the time): below a fraction of
 * a millisecond, allocation and cache effects, not the algorithm, set the ratio. A case over
 * the limit is measured again (`--retries`, default 2) and keeps its lowest ratio: noise on a
 * shared machine comes and goes, a quadratic scanner's 64 does not. The last line is JSON.
 * Not part of `npm test`: timing assertions there would be flaky on a shared machine.
 */
import { fill, patterns } from "../test/fuzz/adversarial";
import { SCANNERS } from "../test/fuzz/scanners";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v === undefined || !Number.isFinite(v) ? fallback : v;
}
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];

const N = option("n", 16_384);
const REPS = option("reps", 3);
const SEED = option("seed", 1);
const PER_CLASS = option("per-class", 1);
const MAX_RATIO = option("max-ratio", 12);
const MIN_MS = option("min-ms", 15);
const MIN_BASE_US = option("min-base-us", 250);
const RETRIES = option("retries", 2);
const SIZES = [1, 2, 4, 8];

/** CPU microseconds of one call of `fn`, best of REPS rounds of at least MIN_MS each. */
function cpuPerCall(fn: () => unknown): number {
  let best = Infinity;
  for (let r = 0; r < REPS; r++) {
    const start = process.cpuUsage();
    let calls = 0;
    let used = 0;
    do {
      fn();
      calls++;
      const d = process.cpuUsage(start);
      used = d.user + d.system;
    } while (used < MIN_MS * 1000);
    best = Math.min(best, used / calls);
  }
  return best;
}

const fmt = (us: number): string => (us >= 10_000 ? `${(us / 1000).toFixed(0)} ms` : us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`);
const show = (unit: string): string => JSON.stringify(unit).slice(1, -1).slice(0, 24);

interface Row {
  scanner: string;
  pattern: string;
  unit: string;
  n: number;
  us: number[];
  ratio: number;
}

const rows: Row[] = [];
const cases = patterns(SEED, PER_CLASS);
const scanners = Object.entries(SCANNERS).filter(([name]) => only === undefined || name.includes(only));
const started = Date.now();
console.log(`n = ${N} characters (more for scanners under ${MIN_BASE_US} µs at n), sizes n..8n, ${cases.length} patterns x ${scanners.length} scanners, best of ${REPS}, limit t(8n)/t(n) <= ${MAX_RATIO}`);
console.log(["scanner", "pattern", "unit", "n", ...SIZES.map((k) => `t(${k}n)`), "8n/n"].join(" | "));
/** t(n) .. t(8n) for one scanner and unit, n grown until t(n) is measurable. */
function measure(scan: (text: string) => unknown, unit: string): { n: number; us: number[]; ratio: number } {
  let n = N;
  let base = fill(unit, n);
  scan(base);
  let first = cpuPerCall(() => scan(base));
  while (first < MIN_BASE_US && n < N * 4) {
    n *= 2;
    base = fill(unit, n);
    scan(base);
    first = cpuPerCall(() => scan(base));
  }
  const us = [first, ...SIZES.slice(1).map((k) => fill(unit, n * k)).map((text) => cpuPerCall(() => scan(text)))];
  return { n, us, ratio: (us[3] as number) / Math.max(us[0] as number, 1) };
}

for (const [name, scan] of scanners) {
  for (const { name: pattern, unit } of cases) {
    let m = measure(scan, unit);
    let tries = 1;
    while (m.ratio > MAX_RATIO && tries <= RETRIES) {
      const again = measure(scan, unit);
      if (again.ratio < m.ratio) m = again;
      tries++;
    }
    rows.push({ scanner: name, pattern, unit, ...m });
    const flag = m.ratio > MAX_RATIO ? "  <-- over the limit" : tries > 1 ? `  (lowest of ${tries} measurements)` : "";
    console.log([name, pattern, show(unit), String(m.n), ...m.us.map(fmt), m.ratio.toFixed(1)].join(" | ") + flag);
  }
}

const worst = [...rows].sort((a, b) => b.ratio - a.ratio).slice(0, 5);
const failed = rows.filter((r) => r.ratio > MAX_RATIO);
console.log("");
console.log(`worst ratios: ${worst.map((r) => `${r.scanner} on ${r.pattern} "${show(r.unit)}" ${r.ratio.toFixed(1)}`).join("; ")}`);
console.log(failed.length === 0 ? `all ${rows.length} ratios <= ${MAX_RATIO} (linear is 8)` : `${failed.length} of ${rows.length} ratios over ${MAX_RATIO}`);
console.log(
  JSON.stringify({
    n: N,
    max_ratio: MAX_RATIO,
    cases: rows.length,
    failed: failed.length,
    worst_ratio: Number((worst[0]?.ratio ?? 0).toFixed(2)),
    seconds: Math.round((Date.now() - started) / 1000),
    per_scanner_max_ratio: Object.fromEntries(scanners.map(([name]) => [name, Number(Math.max(...rows.filter((r) => r.scanner === name).map((r) => r.ratio)).toFixed(2))])),
  }),
);
process.exitCode = failed.length === 0 ? 0 : 1;
