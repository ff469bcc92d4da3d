/**
 * CPU profiles of a Worker under load, taken through workerd's inspector (Chrome DevTools
 * protocol): `npm run bench -- --profile DIR`. Inside workerd the Worker's clock stands still,
 * so where its CPU goes can only be seen from outside, by V8's sampling profiler.
 *
 * The inspector is only opened for the targets being profiled; its figures are marked as such,
 * because an attached profiler slows the isolate.
 */
import { createServer } from "node:net";
import WebSocket from "ws";

/** A free loopback port for an inspector (taken by the OS, then released for workerd to bind). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/**
 * @typedef {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} CpuProfile
 */

/**
 * Runs `work` with V8's sampling profiler on the Worker `name` behind inspector `port`.
 * @template T
 * @param {number} port
 * @param {string} name the Worker's name (Miniflare's `name`)
 * @param {() => Promise<T>} work
 * @returns {Promise<{ result: T, profile: CpuProfile }>}
 */
export async function profileWhile(port, name, work) {
  const targets = /** @type {{ id: string, webSocketDebuggerUrl: string }[]} */ (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json());
  const target = targets.find((t) => t.id.includes(name)) ?? targets[0];
  if (target === undefined) throw new Error(`inspector on port ${port} lists no Worker`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let next = 0;
  /** @type {Map<number, (msg: { result?: unknown, error?: unknown }) => void>} */
  const waiting = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    if (typeof msg.id === "number") waiting.get(msg.id)?.(msg);
  });
  /** @param {string} method @param {Record<string, unknown>} [params] */
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, (msg) => (msg.error !== undefined ? reject(new Error(`${method}: ${JSON.stringify(msg.error)}`)) : resolve(msg.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("Profiler.enable");
    // 200 us: fine enough for per-request costs of tens of microseconds over a 10 s run.
    await call("Profiler.setSamplingInterval", { interval: 200 });
    await call("Profiler.start");
    const result = await work();
    const stopped = /** @type {{ profile: CpuProfile }} */ (await call("Profiler.stop"));
    return { result, profile: stopped.profile };
  } finally {
    ws.close();
  }
}

/**
 * The functions with the most self time, as shares of all samples (idle included, so the
 * shares of a busy isolate add up to its busy share).
 * @param {CpuProfile} profile
 * @param {number} n
 * @returns {{ share: number, name: string }[]}
 */
export function topSelf(profile, n) {
  /** @type {Map<number, number>} */
  const time = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    time.set(id, (time.get(id) ?? 0) + dt);
    total += dt;
  });
  /** @type {Map<string, number>} */
  const byName = new Map();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url === "" ? "" : ` ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
    const key = `${functionName || "(anonymous)"}${file}`;
    byName.set(key, (byName.get(key) ?? 0) + (time.get(node.id) ?? 0));
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, t]) => ({ share: total === 0 ? 0 : t / total, name }));
}
