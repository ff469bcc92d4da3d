/**
 * The long fuzz run (docs/testing.md, "Fuzzing"): every property of test/fuzz-*.test.ts with
 * many more runs than `npm test` gives them.
 *
 *   npm run fuzz                                  2,000 runs per property, fresh seeds
 *   FUZZ_RUNS=500 npm run fuzz -- test/fuzz-headers.test.ts
 *   FUZZ_SEED=-1234 FUZZ_RUNS=60 npm run fuzz -- test/fuzz-bodies.test.ts -t 'JSON-ish'   replay
 *
 * Tests in workerd see only `VITE_`-prefixed variables, so FUZZ_RUNS (default 2000 here),
 * FUZZ_SEED, FUZZ_PATH and FUZZ_TRANSPORT (default `direct` here, see test/fuzz/gateway.ts)
 * are passed on as VITE_FUZZ_*. Arguments go to vitest; without a test file every fuzz file runs.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const env: NodeJS.ProcessEnv = { ...process.env, VITE_FUZZ_RUNS: process.env.FUZZ_RUNS ?? "2000", VITE_FUZZ_TRANSPORT: process.env.FUZZ_TRANSPORT ?? "direct" };
for (const name of ["FUZZ_SEED", "FUZZ_PATH"]) {
  const value = process.env[name];
  if (value !== undefined && value !== "") env[`VITE_${name}`] = value;
}

const args = process.argv.slice(2);
const files = args.some((a) => a.startsWith("test/")) ? [] : ["test/fuzz-"];
const vitest = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
console.log(`fuzz: FUZZ_RUNS=${env.VITE_FUZZ_RUNS} FUZZ_TRANSPORT=${env.VITE_FUZZ_TRANSPORT}${env.VITE_FUZZ_SEED === undefined ? "" : ` FUZZ_SEED=${env.VITE_FUZZ_SEED}`}${env.VITE_FUZZ_PATH === undefined ? "" : ` FUZZ_PATH=${env.VITE_FUZZ_PATH}`}`);
const run = spawnSync(process.execPath, [vitest, "run", ...files, ...args], { stdio: "inherit", env });
process.exit(run.status ?? 1);
