/**
 * `npm run grafana`: writes docs/grafana/aigis-dashboard.json from scripts/lib/grafana.ts, the
 * one place the dashboard's SQL is written (docs/grafana.md).
 *
 *   npm run grafana                          write the file
 *   npm run grafana -- --check               exit 1 when the file differs from what would be written
 *   npm run grafana -- --alerts [--dataset]  print the alert rules' SQL with a literal dataset name
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DATASET } from "./lib/analytics-reports";
import { alertsText, dashboardJson } from "./lib/grafana";

export const DASHBOARD_PATH = fileURLToPath(new URL("../docs/grafana/aigis-dashboard.json", import.meta.url));

const USAGE = "Usage: npm run grafana -- [--check] [--out PATH] | --alerts [--dataset NAME]";

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the command; returns the exit code (0 done, 1 the file is out of date, 2 bad usage). */
export function runGrafana(argv: string[], io: Io): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        check: { type: "boolean", default: false },
        out: { type: "string", default: DASHBOARD_PATH },
        alerts: { type: "boolean", default: false },
        dataset: { type: "string", default: DATASET },
      },
    }));
  } catch (err) {
    io.err(`grafana: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (values.alerts) {
    try {
      io.out(alertsText(values.dataset));
      return 0;
    } catch (err) {
      io.err(`grafana: --dataset: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
  }
  const json = dashboardJson();
  if (values.check) {
    let current = "";
    try {
      current = readFileSync(values.out, "utf8");
    } catch {
      // A missing file is out of date like a stale one.
    }
    if (current === json) return 0;
    io.err(`grafana: ${values.out} is out of date: run npm run grafana`);
    return 1;
  }
  writeFileSync(values.out, json);
  io.out(`wrote ${values.out}`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = runGrafana(process.argv.slice(2), { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) });
}
