/**
 * Workers KV through the wrangler CLI (`wrangler kv key put|list`, `wrangler kv bulk get|put`),
 * so that scripts reach the same namespaces as `wrangler dev` (local, `--persist-to`) and
 * the deployed Worker (`--remote`) without an API client of their own.
 *
 * Wrangler runs as `node node_modules/wrangler/bin/wrangler.js` with an argument array: no
 * shell, so no quoting of the JSON values. Each call costs about a second (wrangler's start).
 *
 * @example
 * const target = { binding: "CONFIG_KV", remote: false, config: "/repo/wrangler.toml", persistTo: "/repo/.wrangler/state", cwd: "/repo" };
 * await kvPut(target, "apikey:ab12…", JSON.stringify(record));
 * const values = await kvBulkGet(target, (await kvList(target, "apikey:")).names);
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const WRANGLER = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

/** The Cloudflare bulk-get API takes at most 100 keys per request; wrangler does not split. */
const REMOTE_BULK_GET_MAX = 100;
/** Local `kv key list` is a single miniflare `list()` call, which returns at most 1,000 keys. */
const LOCAL_LIST_MAX = 1000;

/** Which namespace a call reaches. Paths are absolute. */
export interface KvTarget {
  binding: string;
  remote: boolean;
  /** wrangler `--env`. */
  env?: string | undefined;
  config: string;
  /** Local state directory (ignored with `remote`). */
  persistTo: string;
  /** Where wrangler runs. */
  cwd: string;
}

/** Wrangler exited non-zero or printed something this module cannot read. */
export class WranglerError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = "WranglerError";
  }
}

function targetArgs(t: KvTarget): string[] {
  const where = t.remote ? ["--remote"] : ["--local", "--persist-to", t.persistTo];
  return ["--binding", t.binding, ...where, "--config", t.config, ...(t.env === undefined ? [] : ["--env", t.env])];
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Runs wrangler; resolves with its stdout, rejects with both streams on a non-zero exit. */
export async function runWrangler(args: readonly string[], t: Pick<KvTarget, "remote" | "cwd">): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" };
  // Local calls need no account: keep wrangler from looking one up.
  if (!t.remote) env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: t.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) {
    const output = `${stdout}\n${stderr}`.replace(ANSI, "").trim();
    throw new WranglerError(`wrangler ${args.slice(0, 3).join(" ")} failed (exit ${code})`, output);
  }
  return stdout;
}

/** The JSON document in wrangler's stdout, which may be followed by a status line ("Success!"). */
function jsonIn(stdout: string, open: "[" | "{", what: string): unknown {
  const start = stdout.indexOf(open);
  const end = stdout.lastIndexOf(open === "[" ? "]" : "}");
  try {
    if (start === -1 || end < start) throw new Error("no JSON");
    return JSON.parse(stdout.slice(start, end + 1)) as unknown;
  } catch {
    throw new WranglerError(`could not read the output of wrangler ${what}`, stdout);
  }
}

/** Writes one value (text). Name and value are positional arguments, so neither may look like a flag. */
export async function kvPut(t: KvTarget, name: string, value: string): Promise<void> {
  if (name.startsWith("-") || value.startsWith("-")) throw new Error("kvPut: a name or value starting with '-' would be read as a wrangler flag");
  await runWrangler(["kv", "key", "put", name, value, ...targetArgs(t)], t);
}

/**
 * Writes several values in one wrangler call (`kv bulk put`), from a temporary file rather
 * than the command line: no size limit of an argument, no flag-like values. Used where a
 * value can be large (a rules document and its history) or where two values belong together.
 */
export async function kvBulkPut(t: KvTarget, entries: ReadonlyArray<{ name: string; value: string }>): Promise<void> {
  if (entries.length === 0) return;
  const dir = await mkdtemp(join(tmpdir(), "aigis-kv-"));
  try {
    const file = join(dir, "values.json");
    await writeFile(file, JSON.stringify(entries.map((e) => ({ key: e.name, value: e.value }))), { mode: 0o600 });
    await runWrangler(["kv", "bulk", "put", file, ...targetArgs(t)], t);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Key names under `prefix`. Remote listing follows every cursor; local listing stops at
 * 1,000 names, reported as `truncated`.
 */
export async function kvList(t: KvTarget, prefix: string): Promise<{ names: string[]; truncated: boolean }> {
  const out = jsonIn(await runWrangler(["kv", "key", "list", "--prefix", prefix, ...targetArgs(t)], t), "[", "kv key list");
  if (!Array.isArray(out)) throw new WranglerError("wrangler kv key list did not print a list", JSON.stringify(out));
  const names = out.map((k: unknown) => (typeof k === "object" && k !== null && "name" in k ? String(k.name) : ""));
  return { names: names.filter((n) => n !== ""), truncated: !t.remote && names.length >= LOCAL_LIST_MAX };
}

/**
 * Values by name (`null` for a missing name), in as few wrangler calls as the API allows.
 * Local output is `{name: {value}}`, remote output `{name: value}`; both are read. The file
 * wrangler needs holds only the names.
 */
export async function kvBulkGet(t: KvTarget, names: readonly string[]): Promise<Map<string, string | null>> {
  const values = new Map<string, string | null>();
  if (names.length === 0) return values;
  const dir = await mkdtemp(join(tmpdir(), "aigis-kv-"));
  try {
    const chunk = t.remote ? REMOTE_BULK_GET_MAX : names.length;
    for (let i = 0; i < names.length; i += chunk) {
      const file = join(dir, `names-${i}.json`);
      await writeFile(file, JSON.stringify(names.slice(i, i + chunk)), { mode: 0o600 });
      const out = jsonIn(await runWrangler(["kv", "bulk", "get", file, ...targetArgs(t)], t), "{", "kv bulk get");
      for (const [name, entry] of Object.entries(out as Record<string, unknown>)) values.set(name, valueOf(entry));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const name of names) if (!values.has(name)) values.set(name, null);
  return values;
}

function valueOf(entry: unknown): string | null {
  if (entry === null || entry === undefined) return null;
  if (typeof entry === "string") return entry;
  if (typeof entry === "object" && "value" in entry) return entry.value === null ? null : String(entry.value);
  // The API may hand back a JSON value already parsed.
  return JSON.stringify(entry);
}
