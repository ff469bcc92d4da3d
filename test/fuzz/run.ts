/**
 * How the fuzz properties run: the number of runs and the seed come from the environment, the
 * seed is printed when a property starts and again, with the command that replays it, when it
 * fails.
 *
 * Inside workerd a test sees only `VITE_`-prefixed variables (`import.meta.env`); `npm run
 * fuzz` (scripts/fuzz.ts) maps `FUZZ_RUNS`, `FUZZ_SEED`, `FUZZ_PATH` and `FUZZ_TRANSPORT` onto
 * them, and `VITE_FUZZ_SEED=... npx vitest run test/fuzz-...` works too (docs/testing.md).
 */
import fc from "fast-check";
import { expect, it } from "vitest";

const ENV = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {};

function setting(name: string): string | undefined {
  const value = ENV[`VITE_${name}`] ?? ENV[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function integer(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

const RUNS = setting("FUZZ_RUNS");
const SEED = setting("FUZZ_SEED");
const PATH = setting("FUZZ_PATH");

/** How requests reach the Worker: `self` (SELF.fetch, the default) or `direct` (see test/fuzz/gateway.ts). */
export const transport: "self" | "direct" = setting("FUZZ_TRANSPORT") === "direct" ? "direct" : "self";

/** Runs of a property: `FUZZ_RUNS` when set (the long run), else the property's fast default. */
export function runsFor(defaultRuns: number): number {
  return RUNS === undefined ? defaultRuns : Math.max(1, integer("FUZZ_RUNS", RUNS));
}

/**
 * The test's timeout: the property's time budget plus room to report. The budget grows with
 * the runs; it is a guard against a hang, far above what a run costs (a few ms per request).
 */
export function timeoutFor(defaultRuns: number, msPerRun = 100): number {
  return budgetFor(defaultRuns, msPerRun) + 15_000;
}

function budgetFor(defaultRuns: number, msPerRun: number): number {
  return 30_000 + runsFor(defaultRuns) * msPerRun;
}

/** The seed: `FUZZ_SEED` (replay), else a fresh random 32-bit one. */
function seedOf(): number {
  if (SEED !== undefined) return integer("FUZZ_SEED", SEED) | 0;
  return crypto.getRandomValues(new Int32Array(1))[0] as number;
}

const clip = (text: string, n = 4000): string => (text.length > n ? `${text.slice(0, n)}… (${text.length - n} more characters)` : text);

/** The test file, relative to the project (for the replay command). */
function testFile(): string {
  const path = expect.getState().testPath ?? "";
  const at = path.lastIndexOf("/test/");
  return at === -1 ? path : path.slice(at + 1);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Checks a property with the configured runs and seed. The seed is logged first; on failure
 * the error names the seed, fast-check's shrink path and the command that replays it. A run
 * that outlives its budget (a hang) fails with the same report instead of a bare timeout.
 */
export async function fuzz<Ts>(name: string, property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>, defaultRuns: number, msPerRun = 100): Promise<void> {
  const numRuns = runsFor(defaultRuns);
  const seed = seedOf();
  const env = `FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns} FUZZ_TRANSPORT=${transport}`;
  console.log(`[fuzz] ${name}: seed=${seed} runs=${numRuns}`);
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, {
    seed,
    numRuns,
    interruptAfterTimeLimit: budgetFor(defaultRuns, msPerRun),
    markInterruptAsFailure: true,
    ...(PATH === undefined ? {} : { path: PATH, endOnFailure: true }),
  });
  if (!details.failed) return;
  const path = details.counterexamplePath;
  const replay = `${env}${path === null ? "" : ` FUZZ_PATH=${path}`} npm run fuzz -- ${testFile()} -t '${escapeRegExp(name)}'`;
  const message = `[fuzz] ${name} failed: seed=${seed} path=${path ?? "-"}\nreplay: ${replay}\n${clip(fc.defaultReportMessage(details) ?? "property failed")}`;
  console.error(message);
  throw new Error(message, { cause: details.errorInstance });
}

/**
 * A test that checks one property: `FUZZ_RUNS` runs or `defaultRuns`, with a timeout to match.
 *
 * @example
 * itFuzz("any JSON value as the body", 40, () => fc.asyncProperty(arb, async (body) => { ... }));
 */
export function itFuzz<Ts>(
  name: string,
  defaultRuns: number,
  build: () => fc.IAsyncProperty<Ts> | fc.IProperty<Ts> | Promise<fc.IAsyncProperty<Ts> | fc.IProperty<Ts>>,
  opts: { msPerRun?: number; after?: () => Promise<void> } = {},
): void {
  const msPerRun = opts.msPerRun ?? 100;
  it(name, { timeout: timeoutFor(defaultRuns, msPerRun) }, async () => {
    await fuzz(name, await build(), defaultRuns, msPerRun);
    await opts.after?.();
  });
}
