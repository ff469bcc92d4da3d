// @ts-check
/**
 * `npm start`: the whole gateway on this machine, offline, with no Cloudflare account.
 *
 * 1. starts the mock LLM (mock/server.mjs) on PORT+1 with a fresh random provider key;
 * 2. seeds a demo API key and a local admin key into the local CONFIG_KV (`wrangler kv bulk put
 *    --local`); the keys are kept in .wrangler/aigis-demo.json (git-ignored) and reused by later starts. Key format,
 *    hashing, KV naming and the record schema come from src/auth (loaded with tsx, as
 *    scripts/bench.mjs does), so the seeded key cannot drift from what the gateway accepts;
 * 3. runs `wrangler dev` on PORT (env PORT, default 8787) with AIGIS_CONFIG pointing at the mock
 *    and the provider key as MOCK_API_KEY (and a fresh AIGIS_PROBE_KEY; AIGIS_AUDIT_KEY and
 *    AIGIS_SESSION_KEY come from .wrangler/aigis-demo.json, so the local audit chain stays verifiable);
 * 4. waits for GET /healthz to answer 200, prints the gateway URL, the demo key, the admin key and a curl line,
 *    and runs until Ctrl-C or SIGTERM, which stop wrangler and the mock.
 *
 * Wrangler is run as `node node_modules/wrangler/bin/wrangler.js`, which is what `npx wrangler`
 * ends up running, minus the npm and shell layers between this script and wrangler's signals.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";
import { MODELS } from "../mock/llm.mjs";
import { startMockServer } from "../mock/server.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const STATE_DIR = ".wrangler/state";
const DEMO_FILE = join(ROOT, ".wrangler", "aigis-demo.json");
const HEALTH_TIMEOUT_MS = 60_000;

const require = createRequire(import.meta.url);
const WRANGLER = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
/** Local only: no account lookups, no telemetry; warnings and errors stay visible. */
const WRANGLER_ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "warn" };

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

/** @param {string} raw */
function parsePort(raw) {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65534) fail(`PORT must be an integer from 1 to 65534, got "${raw}"`);
  return port;
}

/**
 * Fails early if something already listens on `port`: the health check could otherwise be
 * answered by that process (a wrangler left over from an earlier run, say).
 * @param {number} port
 */
async function assertPortFree(port) {
  const probe = createServer();
  probe.listen(port, "127.0.0.1");
  try {
    await once(probe, "listening");
  } catch (err) {
    fail(`127.0.0.1:${port} is in use (${/** @type {Error} */ (err).message}); stop what runs there or set PORT`);
  }
  await new Promise((resolve) => probe.close(resolve));
}

/**
 * The gateway's own key format, hashing, KV naming and record schema (src/auth).
 * @typedef {object} KeyTools
 * @property {() => string} generateApiKey
 * @property {(key: string) => boolean} isWellFormedKey
 * @property {(text: string) => Promise<string>} sha256Hex
 * @property {(hash: string) => string} keyStorageName
 * @property {{ parse: (record: unknown) => unknown }} KeyRecordSchema
 * @returns {Promise<KeyTools>}
 */
async function keyTools() {
  const [format, keys, identity] = await Promise.all(
    ["../src/auth/key-format.ts", "../src/auth/api-keys.ts", "../src/auth/identity.ts"].map((path) => tsImport(path, import.meta.url)),
  );
  return { ...format, ...keys, ...identity };
}

/** The two local keys: one for clients, one for operators (admin scope). */
const LOCAL_KEYS = /** @type {const} */ ({
  demo: { client_id: "demo", tenant: "local", name: "Demo key", plan: "demo", scopes: ["chat", "files", "fine_tune"] },
  admin: { client_id: "local-admin", tenant: "local", name: "Local admin key", plan: "demo", scopes: ["admin"] },
});

/**
 * The local keys of an earlier start, or new ones saved for the next. A saved key that the
 * gateway would no longer accept (its format changed) is replaced.
 * @param {KeyTools} tools
 * The same file holds the local audit and dashboard session secrets.
 * @returns {Promise<Record<keyof typeof LOCAL_KEYS, { key: string, created: string }> & { audit_key: string, session_key: string }>}
 */
async function localKeys(tools) {
  /** @type {Record<string, any>} */
  let saved = {};
  try {
    saved = JSON.parse(await readFile(DEMO_FILE, "utf8"));
  } catch {
    // Missing or unreadable: make new ones.
  }
  const ok = (/** @type {unknown} */ k) =>
    typeof k === "object" && k !== null && "key" in k && typeof k.key === "string" && tools.isWellFormedKey(k.key) && "created" in k && typeof k.created === "string";
  const secretOk = (/** @type {unknown} */ v) => typeof v === "string" && v.length >= 32;
  if (ok(saved.demo) && ok(saved.admin) && secretOk(saved.audit_key) && secretOk(saved.session_key)) return /** @type {any} */ (saved);
  const fresh = {
    demo: ok(saved.demo) ? saved.demo : { key: tools.generateApiKey(), created: new Date().toISOString() },
    admin: ok(saved.admin) ? saved.admin : { key: tools.generateApiKey(), created: new Date().toISOString() },
    // Kept with the keys: the local audit trail stays verifiable across starts (npm run audit -- verify).
    audit_key: secretOk(saved.audit_key) ? saved.audit_key : randomBytes(32).toString("base64url"),
    session_key: secretOk(saved.session_key) ? saved.session_key : randomBytes(32).toString("base64url"),
  };
  await mkdir(dirname(DEMO_FILE), { recursive: true });
  await writeFile(DEMO_FILE, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
  return fresh;
}

/**
 * Stores the local keys' records in the local CONFIG_KV, under the SHA-256 of each key as
 * src/auth/api-keys.ts looks it up. Only hashes are written; the keys themselves are not.
 * @param {KeyTools} tools
 * @param {Record<keyof typeof LOCAL_KEYS, { key: string, created: string }>} keys
 */
async function seedKv(tools, keys) {
  const entries = [];
  for (const role of /** @type {(keyof typeof LOCAL_KEYS)[]} */ (Object.keys(LOCAL_KEYS))) {
    const record = { ...LOCAL_KEYS[role], scopes: [...LOCAL_KEYS[role].scopes], created: keys[role].created };
    tools.KeyRecordSchema.parse(record);
    entries.push({ key: tools.keyStorageName(await tools.sha256Hex(keys[role].key)), value: JSON.stringify(record) });
  }
  const dir = await mkdtemp(join(tmpdir(), "aigis-start-"));
  const file = join(dir, "kv.json");
  try {
    await writeFile(file, JSON.stringify(entries));
    const args = ["kv", "bulk", "put", file, "--binding", "CONFIG_KV", "--local", "--persist-to", STATE_DIR];
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: WRANGLER_ENV, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const [code] = await once(child, "exit");
    if (code !== 0) fail(`seeding the local keys failed (wrangler ${args.join(" ")} exited ${code}):\n${output}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Polls /healthz until it answers 200; rejects after HEALTH_TIMEOUT_MS or if wrangler exits.
 * @param {string} url
 * @param {import("node:child_process").ChildProcess} wrangler
 */
async function waitHealthy(url, wrangler) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null || wrangler.signalCode !== null) {
      throw new Error(`wrangler dev exited (${wrangler.exitCode ?? wrangler.signalCode}) before ${url} answered; see its output above`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = /** @type {Error} */ (err).cause instanceof Error ? /** @type {Error} */ (/** @type {Error} */ (err).cause).message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last}); see wrangler's output above`);
}

async function main() {
  const port = parsePort(process.env.PORT ?? "8787");
  await assertPortFree(port);
  const providerKey = `sk-mock-${randomBytes(24).toString("base64url")}`;
  const mock = await startMockServer({ port: port + 1, expectedKey: providerKey }).catch((err) =>
    fail(`could not start the mock LLM on 127.0.0.1:${port + 1}: ${err.message}`),
  );
  const tools = await keyTools();
  const keys = await localKeys(tools);
  await seedKv(tools, keys);

  const config = { providers: [{ id: "mock", base_url: mock.url, key_secret: "MOCK_API_KEY", models: [...MODELS] }] };
  const args = [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--persist-to", STATE_DIR,
    "--var", `AIGIS_CONFIG:${JSON.stringify(config)}`,
    "--var", `MOCK_API_KEY:${providerKey}`,
    // The extraction defence's fingerprint key (a Worker secret in production).
    "--var", `AIGIS_PROBE_KEY:${randomBytes(24).toString("base64url")}`,
    // The audit chain's key and the dashboard's session key (Worker secrets in production).
    "--var", `AIGIS_AUDIT_KEY:${keys.audit_key}`,
    "--var", `AIGIS_SESSION_KEY:${keys.session_key}`,
  ];
  // stdin is not passed on: wrangler's interactive hotkeys would otherwise take over the terminal.
  const wrangler = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: WRANGLER_ENV, stdio: ["ignore", "inherit", "inherit"] });

  let stopping = false;
  /** Stops wrangler (SIGTERM, then SIGKILL after 10 s) and the mock, then exits. @param {number} code */
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    if (wrangler.exitCode === null && wrangler.signalCode === null) {
      wrangler.kill("SIGTERM");
      const killer = setTimeout(() => wrangler.kill("SIGKILL"), 10_000);
      await once(wrangler, "exit");
      clearTimeout(killer);
    }
    await mock.close();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  // npm 11 exits on SIGTERM without passing it on: when our parent is gone, stop too, rather
  // than leave wrangler and workerd holding the ports.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && void stop(0), 1000).unref();
  wrangler.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`npm start: wrangler dev exited (${code ?? signal})`);
    void stop(code === 0 || code === null ? 1 : code);
  });

  const gateway = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(`${gateway}/healthz`, wrangler);
  } catch (err) {
    console.error(`npm start: ${/** @type {Error} */ (err).message}`);
    return stop(1);
  }
  const body = JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "Hello, Aigis" }] });
  console.log(`Gateway: ${gateway}`);
  console.log(`Demo key: ${keys.demo.key}`);
  console.log(`Admin key: ${keys.admin.key}`);
  console.log(`curl -s ${gateway}/v1/chat/completions -H "Authorization: Bearer ${keys.demo.key}" -H "Content-Type: application/json" -d '${body}'`);
  // Files and fine-tuning (docs/training-data.md): upload a JSONL training file, then start a job with its id.
  console.log(`curl -s ${gateway}/v1/files -H "Authorization: Bearer ${keys.demo.key}" -F purpose=fine-tune -F file=@train.jsonl`);
}

main().catch((err) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
