// @ts-check
/**
 * `npm run bench -- --peer` without the load: the JSON summary and its ratios, the target
 * checks, and the peer gateway's process (one request through it to the mock, loopback
 * only, no process left behind). Nothing here is timed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { startMockServer } from "../mock/server.mjs";
import { ratioChecks, ratios, summarise } from "../scripts/lib/bench-summary.mjs";
import { peerEnv, peerHeaders, startPeer } from "../scripts/lib/peer.mjs";

/** @param {number} rps @param {Partial<import("../scripts/lib/bench-summary.mjs").Stats>} [rest] */
const stat = (rps, rest = {}) => ({ rps, p50: 4, p99: 40, requests: Math.round(rps * 10), non2xx: 0, errors: 0, otherCpu: 2.5, ...rest });
const BUNDLE = { raw: 1000, gzip: 300 };
const SETTINGS = { connections: 20, duration: 10, rounds: 1, limits: "on" };

test("the JSON summary adds peer_rps, ratio_vs_peer and the peer's latencies next to the others", () => {
  const stats = new Map([
    ["bare", stat(3000, { p50: 4.04 })],
    ["bare_do", stat(2500)],
    ["gateway", stat(1800, { p99: 61.26 })],
    ["peer", stat(1000, { p50: 17, p99: 95 })],
  ]);
  const out = summarise(stats, BUNDLE, SETTINGS);
  assert.deepEqual(Object.keys(out).slice(0, 7), ["bare_rps", "bare_do_rps", "gateway_rps", "peer_rps", "ratio_vs_bare", "ratio_vs_bare_do", "ratio_vs_peer"]);
  assert.equal(out.peer_rps, 1000);
  assert.equal(out.ratio_vs_peer, 1.8);
  assert.equal(out.ratio_vs_bare_do, 0.72);
  assert.equal(out.ratio_vs_bare, 0.6);
  assert.deepEqual(out.p50_ms, { bare: 4, bare_do: 4, gateway: 4, peer: 17 });
  assert.deepEqual(out.p99_ms, { bare: 40, bare_do: 40, gateway: 61.3, peer: 95 });
  assert.equal(out.other_cpu_pct, 2.5);
  assert.equal(out.errors, undefined);
});

test("without a peer the summary keeps exactly its earlier keys", () => {
  const stats = new Map([
    ["bare", stat(3000)],
    ["bare_do", stat(2500)],
    ["gateway", stat(2000)],
  ]);
  const keys = Object.keys(summarise(stats, BUNDLE, SETTINGS));
  assert.deepEqual(keys, [
    "bare_rps",
    "bare_do_rps",
    "gateway_rps",
    "ratio_vs_bare",
    "ratio_vs_bare_do",
    "p50_ms",
    "p99_ms",
    "bundle_bytes",
    "bundle_gzip_bytes",
    "connections",
    "duration_s",
    "rounds",
    "limits",
    "other_cpu_pct",
  ]);
});

test("a target that served nothing gives a null ratio, and its failures are reported", () => {
  const stats = new Map([
    ["gateway", stat(1800)],
    ["peer", stat(0, { requests: 50, non2xx: 50 })],
  ]);
  assert.deepEqual(ratios(stats), [["peer", null]]);
  const out = summarise(stats, BUNDLE, SETTINGS);
  assert.equal(out.ratio_vs_peer, null);
  assert.deepEqual(out.errors, { peer: { requests: 50, non2xx: 50, errors: 0 } });
  assert.deepEqual(ratioChecks(stats), [{ id: "peer", ratio: null, target: 1.5, met: false }]);
});

test("the targets: at least 1.5x the peer and 0.8x bare_do, checked only for targets that ran", () => {
  const checks = (/** @type {Array<[string, number]>} */ entries) => ratioChecks(new Map(entries.map(([id, rps]) => [id, stat(rps)])));
  assert.deepEqual(checks([["bare", 3000], ["bare_do", 2500], ["gateway", 2000], ["peer", 1333]]), [
    { id: "bare_do", ratio: 0.8, target: 0.8, met: true },
    { id: "peer", ratio: 1.5, target: 1.5, met: true },
  ]);
  assert.deepEqual(checks([["bare_do", 2600], ["gateway", 2000], ["peer", 1400]]), [
    { id: "bare_do", ratio: 0.769, target: 0.8, met: false },
    { id: "peer", ratio: 1.429, target: 1.5, met: false },
  ]);
  assert.deepEqual(checks([["bare_do", 2000], ["gateway", 2000]]), [{ id: "bare_do", ratio: 1, target: 0.8, met: true }]);
});

test("the peer is told the provider and the mock's URL, and gets the mock's key as the provider key", () => {
  assert.deepEqual(peerHeaders({ url: "http://127.0.0.1:5000/v1", key: "sk-x" }), {
    authorization: "Bearer sk-x",
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": "http://127.0.0.1:5000/v1",
  });
});

test("the peer inherits no proxy, cache or credential settings from the shell", () => {
  const env = peerEnv({ PATH: "/bin", HOME: "/home/x", HTTP_PROXY: "http://proxy:3128", HTTPS_PROXY: "x", REDIS_CONNECTION_STRING: "redis://r", TRUSTED_CUSTOM_HOSTS: "a", AWS_SECRET_ACCESS_KEY: "s" });
  assert.deepEqual(env, { PATH: "/bin", HOME: "/home/x" });
});

/**
 * Whether `pid` still runs. A process that has exited but not been reaped yet (an orphan
 * waits for whichever process adopts it) is a zombie: it counts as gone.
 * @param {number | undefined} pid
 */
function alive(pid) {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return !existsSync("/proc/self/stat");
  }
}

/** @param {() => boolean} condition @param {string} what */
async function waitFor(condition, what) {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The local addresses listening on `port`, from Linux's socket tables (hex, as the kernel writes them).
 * @param {number} port
 */
function listeners(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // local_address is field 1 (ADDR:PORT), st is field 3; 0A is LISTEN.
      .filter((f) => f[3] === "0A" && f[1]?.endsWith(`:${hexPort}`))
      .map((f) => (f[1] ?? "").split(":")[0]),
  );
}

test("the peer answers through the mock on loopback only, and stops with close()", { timeout: 60_000 }, async () => {
  const mock = await startMockServer({ expectedKey: "sk-peer-test" });
  const peer = await startPeer({ url: mock.url, key: "sk-peer-test" });
  try {
    const res = await fetch(peer.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...peer.headers },
      body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "echo me through the peer" }] }),
    });
    const body = /** @type {{ choices: Array<{ message: { content: string } }> }} */ (await res.json());
    assert.equal(res.status, 200);
    assert.equal(body.choices[0]?.message.content, "echo me through the peer");
    if (existsSync("/proc/net/tcp")) assert.deepEqual(listeners(peer.port), ["0100007F"], "listens on 127.0.0.1 and nowhere else");
  } finally {
    await peer.close();
    await mock.close();
  }
  assert.equal(alive(peer.pid), false);
});

test("the peer exits by itself when the benchmark process is killed", { timeout: 60_000 }, async () => {
  // A stand-in for the benchmark: starts a peer, prints its pid, then waits to be killed.
  const script = `import { startPeer } from ${JSON.stringify(new URL("../scripts/lib/peer.mjs", import.meta.url).href)};
const peer = await startPeer({ url: "http://127.0.0.1:9/v1", key: "sk-unused" });
console.log(peer.pid);
setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const [chunk] = await once(parent.stdout, "data");
    const pid = Number(String(chunk).trim());
    assert.ok(alive(pid), "the peer runs");
    parent.kill("SIGKILL");
    await waitFor(() => !alive(pid), "the orphaned peer to exit");
  } finally {
    parent.kill("SIGKILL");
  }
});
