/**
 * `npm run analytics -- <report> [--hours N] [--limit N] [--json] [--sql]`: the documented
 * reports of docs/analytics.md through the Workers Analytics Engine SQL API. Account id and
 * token come from the environment (CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN, the names
 * wrangler reads too). Pure parts and their tests: lib/analytics-reports.ts.
 */
import { pathToFileURL } from "node:url";
import { buildQuery, formatTable, parseCommand, parseSqlResponse, REPORTS, USAGE, UsageError } from "./lib/analytics-reports";

export interface Io {
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the command; returns the exit code (0 ok, 1 the API failed, 2 bad usage). */
export async function runAnalytics(argv: string[], io: Io): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`analytics: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === "help") {
    io.out(USAGE);
    return 0;
  }
  const sql = buildQuery(command.report, command.options);
  if (command.sqlOnly) {
    io.out(sql);
    return 0;
  }
  const account = io.env.CLOUDFLARE_ACCOUNT_ID;
  const token = io.env.CLOUDFLARE_API_TOKEN;
  if (!account || !token) {
    io.err("analytics: set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (a token with Account Analytics: Read), or use --sql to print the query");
    return 2;
  }
  if (!/^[0-9a-f]{32}$/.test(account)) {
    io.err("analytics: CLOUDFLARE_ACCOUNT_ID must be the 32-character account id");
    return 2;
  }
  try {
    const res = await io.fetch(`https://api.cloudflare.com/client/v4/accounts/${account}/analytics_engine/sql`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: sql,
    });
    const result = parseSqlResponse(res.status, await res.text());
    io.out(command.json ? JSON.stringify(result.data) : formatTable(REPORTS[command.report]!.title, result));
    return 0;
  } catch (err) {
    io.err(`analytics: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const io: Io = { env: process.env, fetch, out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };
  runAnalytics(process.argv.slice(2), io).then((code) => process.exit(code));
}
