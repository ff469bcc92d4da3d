/**
 * What the operator CLIs (`npm run audit`, `keys`, `quarantine`, `rules`) share: the strict
 * command line, its errors and exit codes, the gateway and KV location flags, and the process
 * entry. Each CLI's own commands and usage text stay in its lib/*-cli.ts and scripts/*.ts.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { pathToFileURL } from "node:url";
import { WranglerError } from "./wrangler-kv";

export type Env = Readonly<Record<string, string | undefined>>;
export type Values = Record<string, string | boolean | undefined>;
type Options = NonNullable<ParseArgsConfig["options"]>;

/** Bad input: exit 2, with the whole usage when the command line's shape is wrong (`showUsage`). */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

/** The operation failed (unknown key id, wrangler or gateway error): exit 1. */
export class CliError extends Error {
  override name = "CliError";
}

/** `parseArgs` options: each name a string or a boolean flag, and `-h`/`--help`, which every CLI takes. */
export function optionsOf(strings: readonly string[], booleans: readonly string[] = []): Options {
  const options: Options = { help: { type: "boolean", short: "h" } };
  for (const name of strings) options[name] = { type: "string" };
  for (const name of booleans) options[name] = { type: "boolean" };
  return options;
}

/**
 * The strict command line of a CLI with commands: `"help"` for -h/--help or the help command
 * (and, with `bare: "help"`, for no command at all), otherwise a command from `commands`, the
 * flags given and the positionals after the command. Every parse error is a `UsageError`
 * with the usage. Which flags a command takes is for the caller (`refuseFlags`).
 */
export function readCommand(
  argv: readonly string[],
  options: Options,
  commands: readonly string[],
  bare: "help" | "error" = "error",
): "help" | { command: string; values: Values; rest: string[] } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown === null ? (message.split("\n")[0] ?? "bad arguments") : `unknown option ${unknown[1]}`, true);
  }
  const { values } = parsed;
  const [command, ...rest] = parsed.positionals;
  if (values.help === true || command === "help" || (command === undefined && bare === "help")) return "help";
  if (command === undefined) throw new UsageError("no command given", true);
  // A list rather than a lookup in a record of commands, where "constructor" would be one.
  if (!commands.includes(command)) throw new UsageError(`unknown command "${command}"`, true);
  return { command, values, rest };
}

/** Refuses the first flag given (in command-line order) that `command` does not take. */
export function refuseFlags(command: string, values: Values, takes: readonly string[], showUsage = true): void {
  const flag = Object.keys(values).find((f) => values[f] !== undefined && !takes.includes(f));
  if (flag !== undefined) throw new UsageError(`${command} does not take --${flag}`, showUsage);
}

export interface Gateway {
  url: string;
  adminKey: string;
}

/**
 * The admin key is a bearer credential: it goes over https, or plain http only to this
 * machine (`npm start`).
 */
export function gatewayFrom(url: string | undefined, adminKey: string | undefined): Gateway | undefined {
  if (url === undefined || url === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--gateway "${url}" is not a URL`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname);
  if (!(parsed.protocol === "https:" || (parsed.protocol === "http:" && loopback))) {
    throw new UsageError("--gateway must be https:// (plain http only to localhost): the admin key would travel in clear");
  }
  if (adminKey === undefined || adminKey === "") throw new UsageError("--gateway needs an admin key: set AIGIS_ADMIN_KEY (or --admin-key)");
  return { url: parsed.href.replace(/\/+$/, ""), adminKey };
}

/**
 * One call to a running gateway's admin API with the admin key (a `body` is JSON). Throws
 * `CliError` when the gateway cannot be reached; what it answers is the caller's to judge.
 */
export async function callGateway(gateway: Gateway, path: string, timeoutMs: number, request: { method: "GET" | "POST"; body?: string | undefined }): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${gateway.adminKey}` };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  try {
    // A bearer credential is not replayed to wherever a redirect points.
    return await fetch(`${gateway.url}${path}`, { method: request.method, headers, redirect: "error", signal: AbortSignal.timeout(timeoutMs), ...(request.body === undefined ? {} : { body: request.body }) });
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new CliError(`could not reach the gateway at ${gateway.url}: ${cause}`);
  }
}

/** The gateway from --gateway/--admin-key, else AIGIS_GATEWAY_URL/AIGIS_ADMIN_KEY; undefined when neither names one. */
export function gatewayOf(values: Values, env: Env): Gateway | undefined {
  return gatewayFrom((values.gateway as string | undefined) ?? env.AIGIS_GATEWAY_URL, (values["admin-key"] as string | undefined) ?? env.AIGIS_ADMIN_KEY);
}

/** Where KV records live. `persistTo` is the hidden `--persist-to` (tests use a temp dir). */
export interface Location {
  remote: boolean;
  env?: string | undefined;
  config: string;
  persistTo?: string | undefined;
}

/** The flags that say which KV namespace a command uses. */
export const KV_FLAGS: readonly string[] = ["remote", "env", "config", "persist-to"];

/** The KV location from the `KV_FLAGS`; `--persist-to` names local state, so not with `--remote`. */
export function locationOf(values: Values): Location {
  if (values.remote === true && values["persist-to"] !== undefined) throw new UsageError("--persist-to is for local state; it cannot go with --remote");
  return { remote: values.remote === true, env: values.env as string | undefined, config: (values.config as string | undefined) ?? "wrangler.toml", persistTo: values["persist-to"] as string | undefined };
}

export interface Cli<C extends { kind: string }> {
  /** The npm script's name, which starts every message. */
  name: string;
  usage: string;
  parse(): C;
  /** Resolves with the exit code; nothing is 0. */
  run(cmd: Exclude<C, { kind: "help" }>): Promise<number | void>;
}

/**
 * Runs one command line; resolves with the exit code: 0 done, 1 failed (`CliError`,
 * `WranglerError`, anything unexpected), 2 bad usage (`UsageError`). Anything but a
 * `UsageError` from `parse` is a bug and is not caught.
 */
export async function runCli<C extends { kind: string }>(cli: Cli<C>): Promise<number> {
  let cmd: C;
  try {
    cmd = cli.parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(err.showUsage ? `${cli.name}: ${err.message}\n\n${cli.usage}` : `${cli.name}: ${err.message} (npm run ${cli.name} -- --help for the usage)`);
    return 2;
  }
  if (cmd.kind === "help") {
    console.log(cli.usage);
    return 0;
  }
  try {
    return (await cli.run(cmd as Exclude<C, { kind: "help" }>)) ?? 0;
  } catch (err) {
    // Some input is only found wanting once running (audit's missing secret): still bad usage.
    if (err instanceof UsageError) {
      console.error(`${cli.name}: ${err.message}`);
      return 2;
    }
    if (err instanceof CliError) console.error(`${cli.name}: ${err.message}`);
    else if (err instanceof WranglerError) console.error(`${cli.name}: ${err.message}\n${err.output}`);
    else console.error(`${cli.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

/**
 * Runs `main` on this process's command line when `moduleUrl` (the caller's `import.meta.url`)
 * is the script node started, and not when the module is imported.
 */
export async function runIfScript(moduleUrl: string, main: (argv: readonly string[], env: Env) => Promise<number>): Promise<void> {
  if (process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href) {
    process.exitCode = await main(process.argv.slice(2), process.env);
  }
}
