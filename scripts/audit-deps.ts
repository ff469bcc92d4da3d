/**
 * `npm run audit:deps -- [--out DIR] [--json]`: the supply-chain checks of issue 9, offline.
 * Reads package.json and package-lock.json, measures the runtime packages in node_modules and
 * the built bundle, writes a CycloneDX SBOM of the runtime packages (`npm sbom`) and runs
 * `npm audit` where the registry answers. Pure parts and their tests: lib/audit-deps.ts;
 * what is checked and why: docs/supply-chain.md.
 */
import { spawn } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import {
  checkAudit,
  checkInstallScripts,
  checkIntegrity,
  checkLicences,
  checkRuntimeSet,
  checkSbom,
  formatReport,
  inventory,
  parseCommand,
  parseLock,
  parsePackageJson,
  runtimeClosure,
  runtimeSbom,
  USAGE,
  UsageError,
  type Bundle,
  type Check,
  type Report,
} from "./lib/audit-deps";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** npm sbom and npm audit each take about a second here; a registry that hangs is cut off. */
const NPM_TIMEOUT_MS = 120_000;

export interface NpmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}
export interface Io {
  root: string;
  npm: (args: string[]) => Promise<NpmResult>;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** npm as the one running this script (`npm_execpath` under `npm run`), else the one on PATH. */
export function runNpm(root: string) {
  return (args: string[]): Promise<NpmResult> =>
    new Promise((done) => {
      const execPath = process.env.npm_execpath;
      const [cmd, argv] = execPath?.endsWith(".js") ? [process.execPath, [execPath, ...args]] : ["npm", args];
      const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: NPM_TIMEOUT_MS });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", (e) => done({ code: null, stdout, stderr: `${stderr}${e.message}` }));
      child.on("close", (code) => done({ code, stdout, stderr }));
    });
}

/** Bytes of the regular files under `dir`, nested node_modules (other packages) excluded; null when absent. */
function folderBytes(dir: string): number | null {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  let total = 0;
  for (const e of entries) {
    if (e.isDirectory() && e.name !== "node_modules") total += folderBytes(join(dir, e.name)) ?? 0;
    else if (e.isFile()) total += lstatSync(join(dir, e.name)).size;
  }
  return total;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

function bundleOf(root: string): Bundle | null {
  try {
    const bytes = readFileSync(join(root, "dist", "index.js"));
    return { path: "dist/index.js", bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
  } catch {
    return null;
  }
}

/** Runs the command; returns the exit code (0 every check passed, 1 one failed, 2 bad usage). */
export async function runAuditDeps(argv: string[], io: Io): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`audit:deps: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === "help") {
    io.out(USAGE);
    return 0;
  }
  let pkg, lock;
  try {
    pkg = parsePackageJson(readJson(join(io.root, "package.json")));
    lock = parseLock(readJson(join(io.root, "package-lock.json")));
  } catch (err) {
    // Unreadable inputs fail the run: nothing that was not checked may pass.
    io.err(`audit:deps: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  const closure = runtimeClosure(lock, pkg);
  const { runtime, dev } = inventory(
    lock,
    closure,
    (path) => {
      try {
        return readJson(join(io.root, path, "package.json"));
      } catch {
        return null;
      }
    },
    (path) => folderBytes(join(io.root, path)),
  );
  const scripts = checkInstallScripts(lock, pkg.allowScripts ?? {});
  const licences = checkLicences(runtime, dev);
  const checks: Check[] = [checkIntegrity(lock), scripts.check, licences.check, checkRuntimeSet(runtime, closure.missing)];

  const outDir = command.out === null ? join(io.root, "dist") : resolve(command.out);
  const sbomPath = join(outDir, "sbom.cdx.json");
  const shown = relative(io.root, sbomPath);
  const sbomName = shown.startsWith("..") || isAbsolute(shown) ? sbomPath : shown;
  let sbomWritten: string | null = null;
  const sbom = await io.npm(["sbom", "--sbom-format", "cyclonedx"]);
  try {
    if (sbom.code !== 0) throw new Error(`npm sbom exited ${sbom.code}: ${sbom.stderr.trim().split("\n").slice(-2).join(" ")}`);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(sbomPath, `${JSON.stringify(runtimeSbom(JSON.parse(sbom.stdout), pkg.name), null, 2)}\n`);
    sbomWritten = sbomName;
    checks.push(checkSbom(readJson(sbomPath), runtime, sbomName));
  } catch (err) {
    checks.push({ id: "sbom", status: "fail", summary: `${sbomName} not written`, findings: [{ level: "fail", message: err instanceof Error ? err.message : String(err) }] });
  }
  const audit = await io.npm(["audit", "--json", "--omit", "dev"]);
  checks.push(checkAudit(audit.stdout, audit.stderr));

  const report: Report = {
    project: `${pkg.name}@${pkg.version ?? "?"}`,
    lockfileVersion: lock.lockfileVersion,
    checks,
    runtime,
    scripts: scripts.rows,
    devLicencesOffList: licences.devOffList,
    bundle: bundleOf(io.root),
    sbom: sbomWritten,
    passed: checks.every((c) => c.status !== "fail"),
  };
  io.out(command.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.passed ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const io: Io = { root: ROOT, npm: runNpm(ROOT), out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };
  runAuditDeps(process.argv.slice(2), io).then((code) => process.exit(code));
}
