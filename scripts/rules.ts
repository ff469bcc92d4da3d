/**
 * `npm run rules -- validate|diff|push|rollback|test`: rules documents as code. Validates
 * files with the Worker's own schema, shows what a push would change, pushes through
 * wrangler (local `.wrangler/state` by default, `--remote` for the deployed namespace)
 * keeping the last ten replaced documents in `rules:history`, rolls back through them, and
 * dry-runs a document against recorded sample requests.
 * `npm run rules -- --help` for the usage; docs/rules.md ("Rules as code") for the design.
 *
 * Pure parts live in lib/rules-cli.ts and lib/rules-test.ts, KV access in
 * lib/wrangler-kv.ts, the dry run's gateways in rules-test-run.ts.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { DEFAULT_RULES } from "../src/rules/defaults";
import { KV_CACHE_TTL_S, RULES_KEY, RULES_TTL_MS, hashText } from "../src/rules/store";
import { runCli, runIfScript, type Env } from "./lib/cli";
import { ROOT, describeTarget, targetFor } from "./lib/key-store";
import {
  CliError,
  HISTORY_KEY,
  HISTORY_MAX,
  META_KEY,
  USAGE,
  checkDocument,
  currentFrom,
  diffJson,
  formatDiff,
  label,
  parseCommand,
  parseHistory,
  planPush,
  sendSignal,
  takeLatest,
  type Command,
  type Gateway,
  type Current,
  type HistoryEntry,
  type PushMeta,
} from "./lib/rules-cli";
import { WranglerError, kvBulkGet, kvBulkPut, type KvTarget } from "./lib/wrangler-kv";
import { formatReport, jsonReport, parseSamples, type Side } from "./lib/rules-test";
import { runRulesTest, type GatewayRules } from "./rules-test-run";

/** Cloudflare documents KV writes reaching other locations in "up to 60 seconds or more". */
const KV_PROPAGATION_S = 60;
const PROPAGATION =
  `A running gateway picks it up within about ${RULES_TTL_MS / 1000 + KV_CACHE_TTL_S} s (${RULES_TTL_MS / 1000} s rules cache per isolate ` +
  `plus ${KV_CACHE_TTL_S} s KV edge cache) where KV has propagated; KV's own global propagation can take up to ${KV_PROPAGATION_S} s more.`;
const NO_GATEWAY = `${PROPAGATION} (No --gateway: pass it, or set AIGIS_GATEWAY_URL, to have it take effect within about ${RULES_TTL_MS / 1000} s.)`;

/**
 * After a KV write: hands the document to the gateway when one was given, and prints the
 * bound that applies. Resolves with the exit code (1 when the gateway did not take it: KV
 * holds the document either way, and pushing it again with --gateway repeats the signal).
 */
async function signal(gateway: Gateway | undefined, seq: number, text: string): Promise<number> {
  if (gateway === undefined) {
    console.log(NO_GATEWAY);
    return 0;
  }
  const outcome = await sendSignal(gateway, seq, text, fetch);
  if (!outcome.ok) {
    console.error(`rules: ${outcome.why}`);
    console.error(`KV holds the document (seq ${seq}), so it still takes effect the slow way. ${PROPAGATION}`);
    return 1;
  }
  if (outcome.stored) {
    console.log(`Signalled seq ${seq} to ${gateway.url}: running isolates pick it up within about ${RULES_TTL_MS / 1000} s (rules cache) plus one Durable Object round trip.`);
  } else if (outcome.seq === seq) {
    console.log(`${gateway.url} already had seq ${seq}: running isolates pick it up within about ${RULES_TTL_MS / 1000} s.`);
  } else {
    console.log(`${gateway.url} did not take seq ${seq}: it already holds seq ${outcome.seq}, which wins over this push until KV's meta catches up. ${PROPAGATION}`);
  }
  return 0;
}

/** A path as the operator gave it, or relative to the working directory. */
const shown = (file: string): string => relative(process.cwd(), file) || file;

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Every rules/*.json but the generated JSON Schema. */
async function defaultFiles(): Promise<string[]> {
  const dir = join(ROOT, "rules");
  const names = (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "schema.json").sort();
  return names.map((n) => shown(join(dir, n)));
}

async function validate(cmd: Extract<Command, { kind: "validate" }>): Promise<number> {
  const files = cmd.files.length > 0 ? cmd.files : await defaultFiles();
  if (files.length === 0) throw new CliError("no rules documents found under rules/");
  let bad = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readText(file);
    } catch (err) {
      console.error((err as Error).message);
      bad++;
      continue;
    }
    const checked = await checkDocument(text, file);
    if (checked.ok) console.log(`ok  ${file}  ${label(checked)}`);
    else {
      bad++;
      for (const line of checked.errors) console.error(line);
    }
  }
  if (bad > 0) console.error(`${bad} of ${files.length} document(s) invalid`);
  return bad > 0 ? 1 : 0;
}

/** The document in force and the history, in one wrangler call. */
async function readState(t: KvTarget): Promise<{ current: Current; history: HistoryEntry[] }> {
  const values = await kvBulkGet(t, [RULES_KEY, HISTORY_KEY, META_KEY]);
  // The meta's seq counts even when the meta describes another text: seq only ever grows.
  const current = await currentFrom(values.get(RULES_KEY) ?? null, values.get(META_KEY) ?? null, JSON.stringify(DEFAULT_RULES));
  return { current, history: parseHistory(values.get(HISTORY_KEY) ?? null) };
}

function describeCurrent(c: Current): string {
  if (c.source === "bundled") return `${label(c)} (bundled defaults: nothing pushed)`;
  const when = c.pushed_at === null ? "" : `, pushed ${c.pushed_at}`;
  return `${label(c)}${c.valid ? "" : " (INVALID: ignored by the gateway)"}${when}`;
}

async function diff(cmd: Extract<Command, { kind: "diff" }>): Promise<number> {
  const text = await readText(cmd.file);
  const checked = await checkDocument(text, cmd.file);
  if (!checked.ok && checked.json === undefined) throw new CliError(checked.errors.join("\n"));
  const t = targetFor(cmd.where);
  const { current } = await readState(t);
  let currentJson: unknown;
  try {
    currentJson = JSON.parse(current.text);
  } catch {
    currentJson = current.text;
  }
  const fileLabel = checked.ok ? label(checked) : `${label({ hash: await hashText(text) })} (INVALID)`;
  console.log(`current  ${describeCurrent(current)} in ${describeTarget(t)}`);
  console.log(`file     ${fileLabel}  ${cmd.file}`);
  const changes = diffJson(currentJson, checked.json);
  if (changes.length > 0) console.log(`\n${formatDiff(changes)}\n\n${changes.length} change(s).`);
  else if (checked.ok && checked.hash === current.hash) console.log("\nNo differences: same text.");
  else console.log("\nNo differences in content (the texts differ in layout only, so the hash differs).");
  if (!checked.ok) {
    for (const line of checked.errors) console.error(line);
    console.error("The file is invalid: push would refuse it.");
    return 1;
  }
  return 0;
}

async function push(cmd: Extract<Command, { kind: "push" }>): Promise<number> {
  const text = await readText(cmd.file);
  const checked = await checkDocument(text, cmd.file);
  if (!checked.ok) {
    for (const line of checked.errors) console.error(line);
    throw new CliError(`${cmd.file} is invalid; nothing was pushed`);
  }
  const t = targetFor(cmd.where);
  const { current, history } = await readState(t);
  const plan = planPush(current, history, checked, Date.now());
  if (plan.action === "unchanged") {
    console.log(`${label(checked)} is already in force in ${describeTarget(t)}; nothing was written.`);
    // Repeats a signal that failed (the seq is the one written with it).
    if (cmd.gateway !== undefined && current.seq > 0) return await signal(cmd.gateway, current.seq, text);
    return 0;
  }
  // One bulk write: the history with the replaced document, the document, and its meta.
  await kvBulkPut(t, [
    { name: HISTORY_KEY, value: JSON.stringify(plan.history) },
    { name: RULES_KEY, value: text },
    { name: META_KEY, value: JSON.stringify(plan.meta) },
  ]);
  console.log(`Pushed ${label(checked)} from ${cmd.file} to ${describeTarget(t)}.`);
  console.log(`version  ${checked.version}\nhash     ${checked.hash}`);
  if (plan.kept !== undefined) console.log(`Replaced ${label(plan.kept)}, kept in the history (${plan.history.length} of ${HISTORY_MAX}; npm run rules -- rollback restores it).`);
  else if (current.source === "bundled") console.log("Replaced the bundled defaults (nothing to keep in the history; push rules/default.json to return to them).");
  if (plan.skipped !== undefined) console.error(`note: ${plan.skipped}`);
  console.log(`seq      ${plan.meta.seq}`);
  return await signal(cmd.gateway, plan.meta.seq, text);
}

async function rollback(cmd: Extract<Command, { kind: "rollback" }>): Promise<number> {
  const t = targetFor(cmd.where);
  const { current, history } = await readState(t);
  const latest = takeLatest(history);
  if (latest === undefined) throw new CliError(`the history in ${describeTarget(t)} is empty: nothing to roll back to (in force: ${describeCurrent(current)})`);
  const { entry, rest } = latest;
  const checked = await checkDocument(entry.text, `${HISTORY_KEY} ${label(entry)}`);
  if (!checked.ok) {
    for (const line of checked.errors) console.error(line);
    throw new CliError(`the newest history entry ${label(entry)} no longer validates; nothing was changed (push a valid document instead)`);
  }
  const meta: PushMeta = { version: checked.version, hash: checked.hash, pushed_at: new Date().toISOString(), seq: current.seq + 1 };
  await kvBulkPut(t, [
    { name: HISTORY_KEY, value: JSON.stringify(rest) },
    { name: RULES_KEY, value: entry.text },
    { name: META_KEY, value: JSON.stringify(meta) },
  ]);
  console.log(`Rolled back ${describeTarget(t)} from ${label(current)} to ${label(checked)}${entry.pushed_at === null ? "" : ` (first pushed ${entry.pushed_at})`}.`);
  console.log(`version  ${checked.version}\nhash     ${checked.hash}`);
  console.log(`${rest.length} older version(s) left in the history; ${label(current)} is not kept.`);
  console.log(`seq      ${meta.seq}`);
  return await signal(cmd.gateway, meta.seq, entry.text);
}

/** A valid document's text and its side of the report; `CliError` (exit 1) when invalid. */
async function testSide(file: string): Promise<{ rules: GatewayRules; side: Side }> {
  const text = await readText(file);
  const checked = await checkDocument(text, file);
  if (!checked.ok) {
    for (const line of checked.errors) console.error(line);
    throw new CliError(`${file} is invalid; nothing was run`);
  }
  return { rules: { text }, side: { label: label(checked), source: file } };
}

async function test(cmd: Extract<Command, { kind: "test" }>): Promise<number> {
  const b = await testSide(cmd.file);
  let a: { rules: GatewayRules; side: Side };
  if (cmd.against !== undefined) a = await testSide(cmd.against);
  else {
    const bundled = await currentFrom(null, null, JSON.stringify(DEFAULT_RULES));
    a = { rules: { text: undefined }, side: { label: label(bundled), source: "bundled defaults" } };
  }
  const samplesFile = cmd.samples ?? shown(join(ROOT, "rules", "samples.jsonl"));
  let samplesText: string;
  try {
    samplesText = await readFile(samplesFile, "utf8");
  } catch (err) {
    console.error(`rules: cannot read ${samplesFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return 2;
  }
  const parsed = parseSamples(samplesText, samplesFile);
  if (!parsed.ok) {
    for (const line of parsed.errors) console.error(line);
    console.error("rules: the samples file is invalid; nothing was run");
    return 2;
  }
  const results = await runRulesTest(a.rules, b.rules, parsed.samples, (line) => console.error(line));
  if (cmd.json) console.log(JSON.stringify(jsonReport(a.side, b.side, samplesFile, results)));
  else console.log(formatReport(a.side, b.side, samplesFile, results));
  return 0;
}

function run(cmd: Exclude<Command, { kind: "help" }>): Promise<number> {
  if (cmd.kind === "validate") return validate(cmd);
  if (cmd.kind === "diff") return diff(cmd);
  if (cmd.kind === "push") return push(cmd);
  if (cmd.kind === "test") return test(cmd);
  return rollback(cmd);
}

/** Runs one command line; resolves with the exit code (0 done, 1 failed or invalid, 2 bad usage). */
export function main(argv: readonly string[], env: Env = process.env): Promise<number> {
  return runCli({ name: "rules", usage: USAGE, parse: () => parseCommand(argv, env), run });
}

await runIfScript(import.meta.url, main);
