/**
 * Runs a benchmark script on code compiled the way `wrangler deploy` compiles the Worker, so
 * a CPU figure is the deployed code's and not tsx's. tsx compiles each module with esbuild's
 * `keepNames`, which wraps every function and closure in a `defineProperty` call; wrangler does
 * that only when `keep_names` is on, and wrangler.toml turns it off (the intake scan measured
 * about 12% slower with it on). Same esbuild version as wrangler (package.json pins both).
 *
 *   tsx scripts/run-as-deployed.ts scripts/bench-intake.ts [args...]
 *
 * The script is bundled into a temporary folder under node_modules/.cache, with packages left
 * external, and run with `node`; its stdout, stderr and exit code are the run's.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { unstable_readConfig } from "wrangler";

const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  console.error("usage: tsx scripts/run-as-deployed.ts <script.ts> [args...]");
  process.exit(2);
}
const root = fileURLToPath(new URL("..", import.meta.url));
const config = unstable_readConfig({ config: join(root, "wrangler.toml") }, { hideWarnings: true });
const keepNames = config.keep_names ?? true;
const minify = config.minify ?? false;
// Inside the project, so the bundle's package imports resolve from its node_modules (ESM
// ignores NODE_PATH); node_modules/.cache is where build tools keep such files.
const cacheDir = join(root, "node_modules", ".cache");
mkdirSync(cacheDir, { recursive: true });
const dir = mkdtempSync(join(cacheDir, "aigis-deployed-"));
try {
  const outfile = join(dir, "bench.mjs");
  await build({
    entryPoints: [resolve(script)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "es2022",
    keepNames,
    minify,
    packages: "external",
    outfile,
    logLevel: "error",
  });
  console.error(`(compiled as wrangler.toml builds the Worker: esbuild, keep_names ${keepNames}, minify ${minify})`);
  const run = spawnSync(process.execPath, [outfile, ...args], { stdio: "inherit", cwd: root });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
