// @ts-check
/**
 * The peer gateway of `npm run bench -- --peer`: @portkey-ai/gateway (a devDependency), run
 * as its own Node process on a free loopback port, in front of the benchmark's mock LLM.
 * docs/benchmarks.md ("Peer benchmark") says what it does and does not do in this setup.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PEER_PACKAGE = "@portkey-ai/gateway";
/** How long the peer may take to listen; it prints a banner after a 1 s spinner, but listens at once. */
const START_TIMEOUT_MS = 20_000;
/** After SIGTERM, how long before SIGKILL. */
const STOP_TIMEOUT_MS = 3_000;

/**
 * The installed peer's entry point and version. Resolved, not joined to node_modules, so a
 * hoisted or nested install both work.
 */
export function peerInstall() {
  const entry = fileURLToPath(import.meta.resolve(`${PEER_PACKAGE}/build/start-server.js`));
  /** @type {{ version: string }} */
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8"));
  return { entry, version: pkg.version };
}

/**
 * What each request to the peer carries: the provider and the upstream base URL it proxies
 * to, and the mock's key as the provider key (the peer forwards `Authorization` upstream).
 * @param {{ url: string, key: string }} upstream the mock's base URL (ending in /v1) and key
 * @returns {Record<string, string>}
 */
export function peerHeaders(upstream) {
  return { authorization: `Bearer ${upstream.key}`, "x-portkey-provider": "openai", "x-portkey-custom-host": upstream.url };
}

/**
 * The environment the peer runs with: only what Node needs. The peer reads proxy settings
 * (HTTP_PROXY, HTTPS_PROXY), a Redis cache (REDIS_CONNECTION_STRING), an allowlist of custom
 * hosts (TRUSTED_CUSTOM_HOSTS) and cloud credentials from its environment; any of those
 * inherited from the shell would change what is measured, or where its requests go.
 * @param {NodeJS.ProcessEnv} env
 */
export function peerEnv(env) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const name of ["PATH", "HOME", "TMPDIR"]) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A port nobody listens on now; the peer takes it a moment later (a clash fails the start, loudly). */
async function freePort() {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no TCP address for the peer");
  return address.port;
}

/**
 * Starts the peer and waits until it answers on its port. `close` stops it (SIGTERM, then
 * SIGKILL); it is also killed when this process exits, and exits by itself when this process
 * dies (scripts/lib/peer-child.mjs).
 * @param {{ url: string, key: string }} upstream
 */
export async function startPeer(upstream) {
  const { entry } = peerInstall();
  const port = await freePort();
  const preload = new URL("./peer-child.mjs", import.meta.url).href;
  const child = spawn(process.execPath, ["--import", preload, entry, `--port=${port}`, "--headless"], { env: peerEnv(process.env), stdio: ["pipe", "pipe", "pipe"] });
  /** @type {string[]} */
  const lines = [];
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    lines.push(...chunk.toString("utf8").split(/[\r\n]+/).filter((l) => l.trim() !== ""));
    lines.splice(0, Math.max(0, lines.length - 30));
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  // process.exit (Ctrl-C in the benchmark) runs no async cleanup: the kill must be synchronous.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = once(child, "exit");
  /** @type {Error | undefined} */
  let spawnError;
  // Without a listener a spawn error would be thrown; it is reported by waitListening instead.
  exited.catch((err) => (spawnError = err));

  const close = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.kill("SIGTERM");
    await exited.catch(() => {});
    clearTimeout(timer);
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitListening(base, child, () => spawnError);
  } catch (err) {
    await close();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\npeer output:\n${lines.join("\n")}`);
  }
  return { url: `${base}/v1/chat/completions`, port, pid: child.pid, headers: peerHeaders(upstream), logs: () => lines.join("\n"), close };
}

/**
 * Polls the peer's root route (it answers any GET / with a greeting) until it answers.
 * @param {string} base
 * @param {import("node:child_process").ChildProcess} child
 * @param {() => Error | undefined} spawnError
 */
async function waitListening(base, child, spawnError) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const failed = spawnError();
    if (failed !== undefined) throw new Error(`the peer did not start: ${failed.message}`);
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the peer exited (${child.exitCode ?? child.signalCode}) before listening`);
    try {
      const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the peer did not listen on ${base} within ${START_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
