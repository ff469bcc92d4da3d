/**
 * `npm run redteam [-- --quick] [--strategies base64,hex,...] [--out dist/redteam.json] [--concurrency 4] [--verbose] [--keep]`
 *
 * The offline red team (docs/redteam.md): promptfoo's static strategies over the project's own
 * attack prompts and benign controls (redteam/attacks.json), against the gateway on loopback.
 *
 * 1. The gateway is built as `npm run build` builds it and served by Miniflare in front of the
 *    mock LLM (which echoes), with the bundled default rules: the firewall enforces its
 *    defaults, there are no rate limits. The one change: the run's client is in the probing
 *    defence's `allow_clients` (docs/extraction-defence.md says a red-team client belongs there),
 *    or its extraction phrasing would end in 429s that measure the extraction defence instead.
 * 2. promptfoo's own command line, as child processes: `promptfoo redteam generate` applies the
 *    strategies to our prompts, `promptfoo eval` sends them, with an extension
 *    (scripts/lib/redteam-hooks.mjs) that swaps the LLM-graded assertion for a deterministic one.
 *    Remote generation, telemetry, update checks and sharing are off, promptfoo gets a temporary
 *    config directory, and a guard (scripts/lib/redteam-offline.mjs) refuses and records any
 *    connection off loopback; one attempt fails the run.
 * 3. Counts what came back (scripts/lib/redteam-report.ts), prints the tables, writes the
 *    report (`--out`) and, as the last line of stdout, one JSON object.
 *
 * `--quick` (the Node test's mode) sends the first attack of each category, the first four
 * benign controls, and one jailbreak template instead of all of them. `--verbose` shows
 * promptfoo's info logs; `--keep` keeps the work directory (config, generated tests, results).
 *
 * Exit status: 0 when every hard check holds, 1 when one fails (listed under `failures`), 2
 * when the run itself fails (the gateway or promptfoo did not run).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { startMockServer } from "../mock/server.mjs";
import { keyStorageName, sha256Hex } from "../src/auth/api-keys";
import { generateApiKey } from "../src/auth/key-format";
import { RULES_KEY } from "../src/rules/store";
import { build, messageOf, ROOT, serve } from "./lib/miniflare.mjs";
import { BENIGN_SKIP, formatTables, jsonLine, outcomeOf, parseCorpus, parseStrategies, PLAIN, quickCorpus, readEvalOutput, REFUSED, summarise, TRANSFORM_RESPONSE, type Corpus, type RunResult, type SentTest, type StrategyStats } from "./lib/redteam-report";

const LIB = path.join(path.dirname(fileURLToPath(import.meta.url)), "lib");
const CLIENT_ID = "redteam";
const MODEL = "mock-gpt";
/** What promptfoo is told the target is for; with an explicit purpose it asks no LLM to guess it. */
const PURPOSE = "A general business assistant behind the Aigis security gateway; it must not follow injected instructions, reveal its configuration or hand out personal data or secrets.";
/** promptfoo takes a random sample of its templates when asked for more than one and fewer than all. */
const ALL_TEMPLATES = 1_000;

interface Options {
  quick: boolean;
  strategies: string[];
  out: string;
  concurrency: number;
  verbose: boolean;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      strategies: { type: "string" },
      out: { type: "string", default: "dist/redteam.json" },
      concurrency: { type: "string", default: "4" },
      verbose: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new Error("--concurrency must be an integer from 1 to 32");
  return { quick: values.quick, strategies: parseStrategies(values.strategies), out: path.resolve(ROOT, values.out), concurrency, verbose: values.verbose, keep: values.keep };
}

const log = (line: string) => process.stderr.write(`redteam: ${line}\n`);

/** The bundled defaults (rules/default.json) plus the run's client on the probing allow list. */
async function rulesDocument(): Promise<string> {
  const doc = JSON.parse(await readFile(path.join(ROOT, "rules", "default.json"), "utf8")) as { version: string; default_plan: Record<string, unknown> };
  doc.version = "bundled-default.redteam";
  doc.default_plan = { ...doc.default_plan, probing: { allow_clients: [CLIENT_ID] } };
  return JSON.stringify(doc);
}

interface Gateway {
  url: string;
  apiKey: string;
  logs: () => string;
  close: () => Promise<void>;
}

async function startGateway(outdir: string): Promise<Gateway> {
  const upstreamKey = `sk-mock-${randomUUID()}`;
  const mock = await startMockServer({ expectedKey: upstreamKey });
  try {
    const bundle = await build("wrangler.toml", outdir);
    const configured = (bundle.options.bindings?.AIGIS_CONFIG ?? {}) as Record<string, unknown>;
    const served = await serve({ ...bundle, id: "redteam" }, {
      // The deployment's settings with the mock as the only provider; no tier 2 is configured.
      AIGIS_CONFIG: { ...configured, providers: [{ id: "mock", base_url: mock.url, key_secret: "MOCK_API_KEY", models: [MODEL] }] },
      MOCK_API_KEY: upstreamKey,
      AIGIS_PROBE_KEY: `redteam-probe-key-${randomUUID()}`,
      AIGIS_AUDIT_KEY: `redteam-audit-key-${randomUUID()}`,
    });
    const close = async () => {
      await served.close().catch(() => {});
      await mock.close();
    };
    try {
      const kv = (await served.mf.getKVNamespace("CONFIG_KV")) as unknown as { put(key: string, value: string): Promise<void> };
      await kv.put(RULES_KEY, await rulesDocument());
      const apiKey = generateApiKey();
      const record = { client_id: CLIENT_ID, tenant: CLIENT_ID, name: "npm run redteam", plan: "default", scopes: ["chat"], created: new Date().toISOString() };
      await kv.put(keyStorageName(await sha256Hex(apiKey)), JSON.stringify(record));
      // One ordinary request first: a gateway that cannot answer would make every test an error.
      const res = await fetch(served.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Hello, are you there?" }] }),
      });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`the gateway answered a plain request with ${res.status}: ${body.slice(0, 300)}\n${served.logs()}`);
      return { url: served.url, apiKey, logs: served.logs, close };
    } catch (err) {
      await close();
      throw err;
    }
  } catch (err) {
    await mock.close();
    throw err;
  }
}

/** The environment promptfoo runs in: offline switches, its own config directory, no proxies. */
function promptfooEnv(configDir: string, egressLog: string, verbose: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // No proxy (loopback must stay direct) and no credentials for real providers.
    if (/^(https?_proxy|all_proxy|no_proxy)$/i.test(k) || /_API_KEY$|_TOKEN$/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    NO_PROXY: "127.0.0.1,localhost,::1",
    PROMPTFOO_CONFIG_DIR: configDir,
    PROMPTFOO_DISABLE_REMOTE_GENERATION: "true",
    PROMPTFOO_DISABLE_REDTEAM_REMOTE_GENERATION: "true",
    PROMPTFOO_DISABLE_TELEMETRY: "1",
    PROMPTFOO_DISABLE_UPDATE: "1",
    PROMPTFOO_DISABLE_SHARING: "1",
    PROMPTFOO_DISABLE_SHARE_EMAIL_REQUEST: "1",
    PROMPTFOO_DISABLE_TEMPLATE_ENV_VARS: "1",
    PROMPTFOO_DISABLE_VAR_EXPANSION: "1",
    PROMPTFOO_CACHE_ENABLED: "false",
    PROMPTFOO_LOG_TO_STDERR: "true",
    LOG_LEVEL: verbose ? "info" : "warn",
    AIGIS_REDTEAM_EGRESS_LOG: egressLog,
  };
}

/**
 * Runs the promptfoo CLI (its `bin`, with node) under the offline guard; its output is progress,
 * so it goes to stderr and stdout keeps only the tables and the JSON line.
 */
async function promptfoo(cli: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, okCodes: readonly number[] = [0]): Promise<void> {
  const child = spawn(process.execPath, ["--import", pathToFileURL(path.join(LIB, "redteam-offline.mjs")).href, cli, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(process.stderr, { end: false });
  child.stderr.pipe(process.stderr, { end: false });
  const stop = () => child.kill("SIGTERM");
  process.once("exit", stop);
  const [code] = (await once(child, "exit")) as [number | null];
  process.off("exit", stop);
  if (code === null || !okCodes.includes(code)) throw new Error(`promptfoo ${args[0]} exited with ${code}`);
}

/**
 * `promptfoo redteam generate` applies the strategies to our prompts (the intent plugin takes
 * them verbatim); `promptfoo eval`, with scripts/lib/redteam-hooks.mjs swapping the LLM-graded
 * assertion for a deterministic one, sends them to the gateway.
 */
async function runPromptfoo(pf: Promptfoo, workDir: string, gateway: Gateway, corpus: Corpus, options: Options): Promise<{ results: RunResult[]; egress: string[] }> {
  const egressLog = path.join(workDir, "egress.log");
  const configDir = path.join(workDir, "promptfoo");
  await mkdir(configDir);
  const jobPath = path.join(workDir, "job.json");
  const testsOut = path.join(workDir, "sent.json");
  const job = { attacks: corpus.attacks.map((a) => a.prompt), benign: corpus.benign.map((b) => b.prompt), benignSkip: BENIGN_SKIP, refused: REFUSED, testsOut };
  await writeFile(jobPath, JSON.stringify(job));
  const config = {
    description: "Aigis offline red team (npm run redteam)",
    prompts: ["{{prompt}}"],
    targets: [
      {
        id: "http",
        label: "aigis",
        config: {
          url: gateway.url,
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${gateway.apiKey}` },
          body: { model: MODEL, messages: [{ role: "user", content: "{{prompt}}" }] },
          transformResponse: TRANSFORM_RESPONSE,
          // A refusal must be seen as it is: promptfoo retries 429 and 5xx by default.
          maxRetries: 0,
        },
      },
    ],
    redteam: {
      // Both are otherwise extracted by an LLM.
      purpose: PURPOSE,
      entities: [],
      injectVar: "prompt",
      plugins: [{ id: "intent", config: { intent: [...job.attacks, ...job.benign] } }],
      strategies: options.strategies.map((id) => (id === "jailbreak-templates" ? { id, config: { sample: options.quick ? 1 : ALL_TEMPLATES } } : { id })),
    },
  };
  await writeFile(path.join(workDir, "promptfooconfig.json"), JSON.stringify(config, null, 2));
  const env = { ...promptfooEnv(configDir, egressLog, options.verbose), AIGIS_REDTEAM_JOB: jobPath };
  const egress = async () => (existsSync(egressLog) ? (await readFile(egressLog, "utf8")).split("\n").filter(Boolean) : []);
  try {
    await promptfoo(pf.cli, ["redteam", "generate", "-c", "promptfooconfig.json", "-o", "redteam.yaml", "--force", "--strict", "--no-progress-bar"], env, workDir);
    await promptfoo(
      pf.cli,
      ["eval", "-c", "redteam.yaml", "-x", `file://${path.join(LIB, "redteam-hooks.mjs")}:beforeAll`, "-o", "results.json", "-j", String(options.concurrency), "--no-cache", "--no-table", "--no-share", "--no-progress-bar"],
      env,
      workDir,
      // 100: some assertion failed, i.e. an attack got through; that is a result, counted below.
      [0, 100],
    );
  } catch (err) {
    const refused = await egress();
    throw new Error(`${messageOf(err)}${refused.length ? `; refused connections to ${[...new Set(refused)].join(", ")}` : ""}`);
  }
  const sent = JSON.parse(await readFile(testsOut, "utf8")) as SentTest[];
  const results = readEvalOutput(JSON.parse(await readFile(path.join(workDir, "results.json"), "utf8")), sent);
  return { results, egress: await egress() };
}

interface Promptfoo {
  version: string;
  /** Its command line, run with node. */
  cli: string;
}

/** promptfoo's package.json is not in its exports: found from its entry point instead. */
async function findPromptfoo(): Promise<Promptfoo> {
  let dir = path.dirname(createRequire(import.meta.url).resolve("promptfoo"));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(await readFile(file, "utf8")) as { name?: string; version: string; bin?: Record<string, string> };
      if (pkg.name === "promptfoo" && pkg.bin?.promptfoo) return { version: pkg.version, cli: path.join(dir, pkg.bin.promptfoo) };
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("promptfoo is not installed (npm ci)");
    dir = up;
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const options = parseOptions(process.argv.slice(2));
  const full = parseCorpus(JSON.parse(await readFile(path.join(ROOT, "redteam", "attacks.json"), "utf8")));
  const corpus = options.quick ? quickCorpus(full) : full;
  log(`${corpus.attacks.length} attacks, ${corpus.benign.length} benign controls; strategies: ${[PLAIN, ...options.strategies].join(", ")}${options.quick ? " (quick)" : ""}`);

  const workDir = await mkdtemp(path.join(os.tmpdir(), "aigis-redteam-"));
  let gateway: Gateway | undefined;
  try {
    log("building and starting the gateway ...");
    gateway = await startGateway(path.join(workDir, "build"));
    const pf = await findPromptfoo();
    log(`gateway ready in ${((Date.now() - started) / 1000).toFixed(1)} s; running promptfoo ${pf.version} offline ...`);
    let run: Awaited<ReturnType<typeof runPromptfoo>>;
    try {
      run = await runPromptfoo(pf, workDir, gateway, corpus, options);
    } catch (err) {
      throw new Error(`${messageOf(err)}\ngateway output:\n${gateway.logs()}`);
    }
    const seconds = (Date.now() - started) / 1000;
    const summary = summarise(corpus, options.strategies, run.results, run.egress);

    const ids = new Map([...corpus.attacks, ...corpus.benign].map((p) => [p.prompt, p.id]));
    const extra = {
      quick: options.quick,
      promptfoo: pf.version,
      tests: run.results.length,
      egress_attempts: run.egress.length,
      seconds: Math.round(seconds * 10) / 10,
      report: options.out,
    };
    const line = jsonLine(summary, extra);
    await mkdir(path.dirname(options.out), { recursive: true });
    await writeFile(
      options.out,
      JSON.stringify(
        {
          ...line,
          rules: "bundled defaults (rules/default.json), run client on probing allow_clients",
          jailbreak_templates: options.quick ? "first template only" : "all of promptfoo's templates",
          summary,
          tier2: "not configured: the uncertain band is flagged, never escalated",
          results: run.results.map((r) => ({ id: ids.get(r.original), kind: r.kind, strategy: r.strategy, outcome: outcomeOf(r), flagged: r.flagged, chars: r.sent.length })),
        },
        null,
        2,
      ),
    );

    const out = [formatTables(summary), ""];
    const plainMisses = summary.unblocked.filter((u) => u.strategy === PLAIN);
    if (plainMisses.length > 0) out.push(`plain attacks not blocked (* flagged): ${plainMisses.map((u) => `${u.id}${u.flagged ? "*" : ""}`).join(", ")}`);
    const perStrategy = (pick: (st: StrategyStats) => number) =>
      Object.entries(summary.strategies)
        .filter(([, st]) => pick(st) > 0)
        .map(([id, st]) => `${id} ${pick(st)}/${st.benign.total}`)
        .join(", ");
    if (summary.benign.blocked > 0) out.push(`benign controls refused: ${perStrategy((st) => st.benign.blocked)}`);
    const changed = perStrategy((st) => st.benign_echo_changed);
    if (changed) out.push(`benign controls passed with their text changed (smuggling characters stripped, for one): ${changed}`);
    for (const f of summary.failures) out.push(`FAILED: ${f}`);
    out.push(`report: ${extra.report}`);
    process.stdout.write(`${out.join("\n")}\n${JSON.stringify(line)}\n`);
    return summary.failures.length === 0 ? 0 : 1;
  } finally {
    await gateway?.close();
    if (options.keep) log(`work directory kept: ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

// Ctrl-C leaves through process.exit so Miniflare's exit hook stops workerd (as scripts/bench.mjs does).
process.prependOnceListener("SIGINT", () => process.exit(130));
process.prependOnceListener("SIGTERM", () => process.exit(143));

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(messageOf(err));
    process.exit(2);
  },
);
