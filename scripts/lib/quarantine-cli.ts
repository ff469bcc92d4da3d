/**
 * The pure half of `npm run quarantine`: the command line, the gateway requests it makes and
 * the lines it prints. No I/O, so it is unit-tested directly (test-node/quarantine.test.mjs);
 * scripts/quarantine.ts does the HTTP calls and the file writes.
 */
import { OBJECT_IDS } from "../../src/files/objects";
import { CliError, gatewayOf, optionsOf, readCommand, refuseFlags, UsageError, type Env, type Gateway } from "./cli";

export { CliError, UsageError };

export const USAGE = `Usage: npm run quarantine -- <command> [options]

Reviews training files the gateway's intake scan quarantined and holds in R2
(docs/training-data.md, "Quarantine holds the file for review"), through the gateway's
admin endpoints (/admin/v1/quarantine).

Commands
  list [--client ID] [--limit N] [--after QID] [--json]
      Held files, oldest first: id, client, size, held and expiry times (UTC), file name.
      --limit 1 to 1000 (default 100); "more: --after QID" is printed when there are more.
  get QID [--json]
      One held file and the intake report that quarantined it (rules, lines, counts).
  content QID [--out FILE]
      The held bytes, exactly as uploaded, to stdout or to FILE (written readable by its
      owner only, as FILE.partial first and renamed once complete).
  release QID [--reason TEXT]
      Forwards the file to the files provider as the uploader's file; prints its file id.
  discard QID [--reason TEXT]
      Deletes the held file.

Options
  --gateway URL     the gateway (https://, or http:// to localhost); default AIGIS_GATEWAY_URL
  --admin-key KEY   the admin key (better: AIGIS_ADMIN_KEY, out of the shell history)
  --reason TEXT     why, for the audit trail (up to 200 characters)

Exit codes  0 done, 1 failed (the gateway refused or could not be reached), 2 bad usage`;

export type Command =
  | { kind: "help" }
  | { kind: "list"; gateway: Gateway; client?: string | undefined; limit?: number | undefined; after?: string | undefined; json: boolean }
  | { kind: "get"; gateway: Gateway; id: string; json: boolean }
  | { kind: "content"; gateway: Gateway; id: string; out?: string | undefined }
  | { kind: "release" | "discard"; gateway: Gateway; id: string; reason?: string | undefined };

const OPTIONS = optionsOf(["gateway", "admin-key", "client", "limit", "after", "out", "reason"], ["json"]);

/** Options each command takes, besides --gateway and --admin-key. */
const TAKES: Readonly<Record<string, readonly string[]>> = {
  list: ["client", "limit", "after", "json"],
  get: ["json"],
  content: ["out"],
  release: ["reason"],
  discard: ["reason"],
};

function heldId(text: string | undefined, command: string): string {
  if (text === undefined) throw new UsageError(`${command} needs the held file's id (qfile_…, as list shows)`, true);
  if (!OBJECT_IDS.quarantined_file.pattern.test(text)) throw new UsageError(`"${text}" is not a held file id (qfile_ and 32 hex characters)`);
  return text;
}

/** Parses a command line; `env` supplies AIGIS_GATEWAY_URL and AIGIS_ADMIN_KEY. */
export function parseCommand(argv: readonly string[], env: Env): Command {
  const line = readCommand(argv, OPTIONS, Object.keys(TAKES), "help");
  if (line === "help") return { kind: "help" };
  const { command, values: v, rest } = line;
  refuseFlags(command, v, ["gateway", "admin-key", ...TAKES[command]!], false);
  const str = (name: string): string | undefined => v[name] as string | undefined;
  const gateway = gatewayOf(v, env);
  if (gateway === undefined) throw new UsageError("no gateway: pass --gateway URL or set AIGIS_GATEWAY_URL");
  if (command === "list") {
    if (rest.length > 0) throw new UsageError(`list takes no arguments (got "${rest[0]}")`);
    const limit = str("limit");
    if (limit !== undefined && !/^(?:[1-9]\d{0,2}|1000)$/.test(limit)) throw new UsageError("--limit must be an integer from 1 to 1000");
    const after = str("after");
    return { kind: "list", gateway, client: str("client"), limit: limit === undefined ? undefined : Number(limit), after: after === undefined ? undefined : heldId(after, "--after"), json: v.json === true };
  }
  if (rest.length > 1) throw new UsageError(`${command} takes one id (got "${rest[1]}" too)`);
  const id = heldId(rest[0], command);
  if (command === "get") return { kind: "get", gateway, id, json: v.json === true };
  if (command === "content") return { kind: "content", gateway, id, out: str("out") };
  const reason = str("reason");
  if (reason !== undefined && reason.length > 200) throw new UsageError("--reason is at most 200 characters");
  return { kind: command as "release" | "discard", gateway, id, reason };
}

/** The HTTP request a command makes (path relative to the gateway). */
export function requestOf(cmd: Exclude<Command, { kind: "help" }>): { method: "GET" | "POST"; path: string; body?: string } {
  const base = "/admin/v1/quarantine";
  switch (cmd.kind) {
    case "list": {
      const q = new URLSearchParams();
      if (cmd.client !== undefined) q.set("client_id", cmd.client);
      if (cmd.limit !== undefined) q.set("limit", String(cmd.limit));
      if (cmd.after !== undefined) q.set("after", cmd.after);
      const query = q.toString();
      return { method: "GET", path: query === "" ? base : `${base}?${query}` };
    }
    case "get":
      return { method: "GET", path: `${base}/${cmd.id}` };
    case "content":
      return { method: "GET", path: `${base}/${cmd.id}/content` };
    case "release":
    case "discard":
      return { method: "POST", path: `${base}/${cmd.id}/${cmd.kind}`, ...(cmd.reason === undefined ? {} : { body: JSON.stringify({ reason: cmd.reason }) }) };
  }
}

/** What the gateway's error body says, for a failed call: the code and status, never a guess. */
export function failure(status: number, text: string, what: string): CliError {
  let code = "";
  try {
    code = String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? "");
  } catch {
    // Not the gateway's error shape (a proxy's page, say): the status alone.
  }
  const hint =
    code === "quarantined_file_not_found" ? " (not held: never was, already released or discarded, or expired)"
    : code === "insufficient_scope" ? " (the key lacks the admin scope)"
    : status === 404 && code === "not_found" ? " (the gateway has no quarantine endpoints: is it deployed at this version?)"
    : "";
  return new CliError(`${what}: HTTP ${status}${code === "" ? "" : ` ${code}`}${hint}`);
}

export interface HeldRow {
  id: string;
  client_id: string;
  filename: string;
  bytes: number;
  created_at: number;
  expires_at: number;
}

/** Control characters in client-supplied text are shown as `?`, so a name cannot rewrite the terminal. */
const safe = (s: string): string => s.replace(/[\p{Cc}]/gu, "?");
const utc = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** One line of `list`. */
export function formatHeld(h: HeldRow): string {
  return `${h.id}  client=${safe(h.client_id)}  ${h.bytes} B  held ${utc(h.created_at)}  expires ${utc(h.expires_at)}  ${safe(h.filename)}`;
}

/** `get`, for a person: the file, then each finding of its report on one line. */
export function formatDetail(value: Record<string, unknown>): string {
  const h = value as unknown as HeldRow & { sha256: string; report_id: string; tenant: string };
  const lines = [formatHeld(h), `  tenant=${safe(h.tenant)}  sha256=${h.sha256}  report=${h.report_id}`];
  const report = (value.intake_report as { report?: { findings?: { rule: string; action: string; message: string; line?: number; lines?: number[]; count?: number }[] } } | null)?.report;
  if (report === undefined) lines.push("  (no intake report: the uploader's record could not be found)");
  for (const f of report?.findings ?? []) {
    const where = f.line !== undefined ? `line ${f.line}` : f.lines !== undefined ? `lines ${f.lines.slice(0, 10).join(",")}${f.lines.length > 10 ? ",…" : ""}` : "";
    lines.push(`  ${f.rule} (${f.action}) ${where}: ${safe(f.message)}`);
  }
  return lines.join("\n");
}
