// @ts-check
/**
 * Builds the gateway exactly as `npm run build` does and serves the bundle with Miniflare on
 * loopback: what `npm run bench` and `npm run simulate:extraction` run against.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, NoOpLog } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** No network for wrangler: nothing but loopback is reachable here anyway. */
export const OFFLINE_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

/** @param {unknown} err */
export const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/** @typedef {{ bundle: string, options: import("wrangler").Unstable_MiniflareWorkerOptions["workerOptions"] }} Bundle */
/** @typedef {Bundle & { id: string }} Built */

/**
 * Builds one Worker exactly as `npm run build` builds the gateway.
 * @param {string} config wrangler config, relative to the repository root
 * @param {string} outdir
 * @returns {Promise<Bundle>}
 */
export async function build(config, outdir) {
  const configPath = path.join(ROOT, config);
  await run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "--config", configPath]);
  // Options come from the same config file, so compatibility flags, vars and bindings cannot
  // drift from what is deployed; main says which file the bundle was written to.
  const derived = unstable_getMiniflareWorkerOptions(configPath);
  return { bundle: path.join(outdir, `${path.parse(derived.main ?? "index").name}.js`), options: derived.workerOptions };
}

/**
 * @param {string} command
 * @param {string[]} args
 * @returns {Promise<void>}
 */
export function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...OFFLINE_ENV, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    /** @type {Buffer[]} */
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const text = Buffer.concat(output).toString("utf8").trim().split("\n").slice(-25).join("\n");
      reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${text}`));
    });
  });
}

/**
 * Serves a built bundle with Miniflare on a free loopback port. No inspector unless asked
 * for (`inspectorPort`, to profile it: scripts/lib/profile.mjs), no request log, runtime
 * output kept only for error reports.
 * @param {Built} worker
 * @param {Record<string, unknown>} bindings added to, or replacing, those from the config
 * @param {{ inspectorPort?: number }} [opts]
 */
export async function serve(worker, bindings, opts = {}) {
  /** @type {string[]} */
  const lines = [];
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 30));
  };
  const mf = new Miniflare({
    ...worker.options,
    name: worker.id,
    modules: true,
    scriptPath: worker.bundle,
    // Module names are paths relative to this root; the default (cwd) cannot reach os.tmpdir().
    modulesRoot: path.dirname(worker.bundle),
    bindings: { ...worker.options.bindings, ...bindings },
    host: "127.0.0.1",
    port: 0,
    cf: false,
    ...(opts.inspectorPort === undefined ? {} : { inspectorPort: opts.inspectorPort }),
    log: new NoOpLog(),
    logRequests: false,
    /** @param {import("node:stream").Readable} stdout @param {import("node:stream").Readable} stderr */
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", keep);
      stderr.on("data", keep);
    },
  });
  try {
    const base = await mf.ready;
    return { mf, url: new URL("/v1/chat/completions", base).href, logs: () => lines.join("\n"), close: () => mf.dispose() };
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw new Error(`${messageOf(err)}\nruntime output:\n${lines.join("\n")}`);
  }
}

