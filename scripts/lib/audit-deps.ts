/**
 * The pure half of `npm run audit:deps` (issue 9, "Supply chain"): what Snyk-style scanners
 * check, done offline from package.json, package-lock.json and what npm prints. No I/O, so
 * every check is tested on small synthetic locks (test-node/audit-deps.test.mjs);
 * scripts/audit-deps.ts reads the files, measures sizes and runs `npm sbom` and `npm audit`.
 * What each check means and why: docs/supply-chain.md.
 *
 * @example
 * const lock = parseLock(JSON.parse(lockText));
 * const closure = runtimeClosure(lock, pkg);
 * const checks = [checkIntegrity(lock), checkInstallScripts(lock, pkg.allowScripts ?? {}).check];
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { UsageError } from "./cli";

/** Licences a runtime dependency may carry: permissive, no copyleft, no attribution beyond the notice. */
export const LICENCE_ALLOWLIST = ["MIT", "ISC", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "BlueOak-1.0.0", "Unlicense", "CC0-1.0"] as const;
/** More runtime packages than this fails the run: growth of what ships is a decision, not a drift. */
export const MAX_RUNTIME_PACKAGES = 10;
/** The only registry the lock may point at (TOOLCHAIN.md: the one reachable here, and npm's default). */
export const REGISTRY = "https://registry.npmjs.org/";
export const AUDIT_UNANSWERED = "npm audit: the registry's audit service did not answer; vulnerability data not checked";

const Deps = z.record(z.string(), z.string());
const LockEntrySchema = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  resolved: z.string().optional(),
  integrity: z.string().optional(),
  license: z.unknown().optional(),
  link: z.boolean().optional(),
  dev: z.boolean().optional(),
  inBundle: z.boolean().optional(),
  hasInstallScript: z.boolean().optional(),
  dependencies: Deps.optional(),
  optionalDependencies: Deps.optional(),
  peerDependencies: Deps.optional(),
  peerDependenciesMeta: z.record(z.string(), z.looseObject({ optional: z.boolean().optional() })).optional(),
});
const LockSchema = z.looseObject({
  // Version 1 locks have no `packages` map; 2 and 3 do (3 is what npm 7 and later write).
  lockfileVersion: z.number().int().min(2),
  packages: z.record(z.string(), LockEntrySchema),
});
const PackageJsonSchema = z.looseObject({
  name: z.string(),
  version: z.string().optional(),
  dependencies: Deps.optional(),
  optionalDependencies: Deps.optional(),
  allowScripts: z.record(z.string(), z.unknown()).optional(),
});
export type LockEntry = z.infer<typeof LockEntrySchema>;
export type Lock = z.infer<typeof LockSchema>;
export type PackageJson = z.infer<typeof PackageJsonSchema>;

/** A file this command reads is missing or not what npm writes: the run fails (nothing unchecked passes). */
export class InputError extends Error {
  override name = "InputError";
}

function parseWith<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const r = schema.safeParse(json);
  if (!r.success) throw new InputError(`${what}: ${r.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`);
  return r.data;
}
export const parseLock = (json: unknown): Lock => parseWith(LockSchema, json, "package-lock.json (lockfileVersion 2 or 3)");
export const parsePackageJson = (json: unknown): PackageJson => parseWith(PackageJsonSchema, json, "package.json");

export type Level = "fail" | "warn" | "info";
export interface Finding {
  level: Level;
  message: string;
}
export type CheckId = "integrity" | "install-scripts" | "licences" | "runtime-set" | "sbom" | "audit";
export interface Check {
  id: CheckId;
  /** `unchecked` only for the audit, when the registry's audit service does not answer. */
  status: "pass" | "fail" | "unchecked";
  summary: string;
  findings: Finding[];
}
const check = (id: CheckId, summary: string, findings: Finding[]): Check => ({ id, status: findings.some((f) => f.level === "fail") ? "fail" : "pass", summary, findings });

/** A package in the lock: its install path, the package's own name (aliases carry `name`) and entry. */
export interface Locked {
  path: string;
  name: string;
  entry: LockEntry;
}

/** Every installed package: not the root, not links or workspace folders (the project's own code). */
export function lockedPackages(lock: Lock): Locked[] {
  const out: Locked[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf("node_modules/");
    if (path === "" || entry.link === true || at < 0) continue;
    out.push({ path, name: entry.name ?? path.slice(at + "node_modules/".length), entry });
  }
  return out;
}
const label = (p: Locked) => `${p.name}@${p.entry.version ?? "?"}${p.path === `node_modules/${p.name}` ? "" : ` (${p.path})`}`;

/**
 * 1. Every locked package has a sha512 integrity hash and comes from the npm registry. A lock
 * written with `omit-lockfile-registry-resolved` (set on these machines) has no `resolved` for
 * registry packages: npm then fetches name@version from the registry and checks it against
 * the hash, so an absent URL is a registry package; a present one must be a registry tarball.
 * Bundled packages arrive inside their parent's tarball and are covered by its hash.
 */
export function checkIntegrity(lock: Lock): Check {
  const findings: Finding[] = [];
  const pkgs = lockedPackages(lock).filter((p) => p.entry.inBundle !== true);
  let unresolved = 0;
  for (const p of pkgs) {
    const { integrity, resolved, version } = p.entry;
    if (integrity === undefined) findings.push({ level: "fail", message: `${label(p)}: no integrity hash` });
    else if (!integrity.split(/\s+/).some((h) => h.startsWith("sha512-"))) findings.push({ level: "fail", message: `${label(p)}: integrity is not sha512 (${integrity.split("-")[0]})` });
    if (resolved === undefined) {
      unresolved++;
      if (version === undefined) findings.push({ level: "fail", message: `${label(p)}: neither a resolved URL nor a version` });
    } else if (!resolved.startsWith(REGISTRY) || !/\/-\/[^/]+\.tgz$/.test(resolved)) {
      findings.push({ level: "fail", message: `${label(p)}: resolved from ${resolved}, not an npm registry tarball` });
    }
  }
  const note = unresolved > 0 ? `; ${unresolved} without a resolved URL (fetched from the registry by name and version)` : "";
  const bad = new Set(findings.map((f) => f.message.split(":")[0])).size;
  return check("integrity", `${pkgs.length - bad} of ${pkgs.length} locked packages with a sha512 hash and a registry source${note}`, findings);
}

/** An `allowScripts` key as npm reads it (npm/rfcs#868): a bare name, name@exact||exact, or a source spec. */
type PolicyKey = { kind: "registry"; name: string; versions: string[] | null } | { kind: "source"; spec: string } | { kind: "ignored"; why: string };
type ActiveKey = Exclude<PolicyKey, { kind: "ignored" }>;
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
function parsePolicyKey(key: string): PolicyKey {
  if (/^(file:|git|https?:|\.|\/)/.test(key)) return { kind: "source", spec: key };
  const at = key.indexOf("@", 1);
  const name = at < 0 ? key : key.slice(0, at);
  const spec = at < 0 ? "" : key.slice(at + 1).trim();
  if (spec === "" || spec === "*") return { kind: "registry", name, versions: null };
  const versions = spec.split("||").map((v) => v.trim());
  if (versions.every((v) => EXACT.test(v))) return { kind: "registry", name, versions };
  return { kind: "ignored", why: "npm ignores ranges and tags in allowScripts (exact versions or the bare name only)" };
}

/** npm's verdict for one package: true allowed, false denied (deny wins), null not covered. */
function policyVerdict(p: Locked, keys: [ActiveKey, boolean][]): boolean | null {
  let allow = false;
  for (const [k, value] of keys) {
    let hit = false;
    if (k.kind === "source") hit = p.entry.resolved === k.spec;
    else if (k.kind === "registry" && k.name === p.name) {
      // Without a resolved URL npm cannot verify the version (script-allowed.js): a pinned
      // deny still blocks, a pinned allow is refused. Verified here with `npm ci`.
      if (k.versions === null) hit = true;
      else if (p.entry.resolved === undefined) hit = !value;
      else hit = k.versions.includes(p.entry.version ?? "");
    }
    if (hit && !value) return false;
    if (hit) allow = true;
  }
  return allow ? true : null;
}

export interface ScriptRow {
  package: string;
  status: "approved" | "denied";
}

/**
 * 2. Only approved packages run install scripts. npm 11.19 skips the scripts of a package
 * denied in `allowScripts` (`false`), runs those of an approved one, and also runs those of a
 * package the policy does not mention, printing only a warning (checked here with `npm ci`):
 * so an unmentioned package fails the run, and a denied one is reported "blocked, not run".
 * Entries for packages that are gone, or that have no install scripts, are warnings.
 */
export function checkInstallScripts(lock: Lock, allowScripts: Record<string, unknown>): { check: Check; rows: ScriptRow[] } {
  const findings: Finding[] = [];
  const keys: [ActiveKey, boolean][] = [];
  for (const [key, value] of Object.entries(allowScripts)) {
    const k = parsePolicyKey(key);
    if (typeof value !== "boolean") findings.push({ level: "warn", message: `allowScripts "${key}": the value must be true or false; npm ignores it` });
    else if (k.kind === "ignored") findings.push({ level: "warn", message: `allowScripts "${key}": ${k.why}` });
    else keys.push([k, value]);
  }
  const pkgs = lockedPackages(lock);
  const rows: ScriptRow[] = [];
  for (const p of pkgs.filter((x) => x.entry.hasInstallScript === true && x.entry.inBundle !== true)) {
    const verdict = policyVerdict(p, keys);
    if (verdict === null) {
      findings.push({ level: "fail", message: `${label(p)} has install scripts that allowScripts does not cover: npm runs them, with only a warning. Approve (npm install-scripts approve ${p.name}) or deny (npm install-scripts deny ${p.name})` });
    } else if (verdict) rows.push({ package: label(p), status: "approved" });
    else {
      rows.push({ package: label(p), status: "denied" });
      findings.push({ level: "info", message: `${label(p)}: install scripts denied in allowScripts: blocked, not run` });
    }
  }
  for (const [k, value] of keys) {
    const what = value ? "approval" : "denial";
    const named = k.kind === "registry" ? pkgs.filter((p) => p.name === k.name) : pkgs.filter((p) => p.entry.resolved === k.spec);
    const id = k.kind === "registry" ? k.name : k.spec;
    if (named.length === 0) findings.push({ level: "warn", message: `allowScripts: ${what} for ${id}, which is no longer in the lock (npm install-scripts prune)` });
    else if (!named.some((p) => p.entry.hasInstallScript === true)) findings.push({ level: "warn", message: `allowScripts: ${what} for ${id}, which has no install scripts` });
  }
  const approved = rows.filter((r) => r.status === "approved");
  const summary = `${approved.length} approved (${approved.map((r) => r.package).join(", ") || "none"}), ${rows.length - approved.length} denied`;
  return { check: check("install-scripts", summary, findings), rows };
}

/** Where Node (and npm's lock) finds `name` required from the package at `from`: nearest node_modules upwards. */
function resolveFrom(lock: Lock, from: string, name: string): string | null {
  for (let dir = from; ; dir = dir.includes("/node_modules/") ? dir.slice(0, dir.lastIndexOf("/node_modules/")) : "") {
    const path = `${dir === "" ? "" : `${dir}/`}node_modules/${name}`;
    if (Object.hasOwn(lock.packages, path)) return path;
    if (dir === "") return null;
  }
}

export interface Closure {
  /** Install paths of the production packages, sorted. */
  paths: string[];
  /** Required (not optional) dependencies the lock does not contain: `from -> name`. */
  missing: string[];
}

/**
 * The production closure: the root's dependencies and optionalDependencies, then each
 * package's dependencies, optionalDependencies and non-optional peerDependencies (npm 7+
 * installs those), resolved through nested node_modules as Node does. Dev dependencies are
 * never reached, whatever the lock's `dev` flags say.
 */
export function runtimeClosure(lock: Lock, root: Pick<PackageJson, "dependencies" | "optionalDependencies">): Closure {
  const seen = new Set<string>();
  const missing: string[] = [];
  const queue: [string, Record<string, string>, Set<string>][] = [["", { ...root.dependencies, ...root.optionalDependencies }, new Set(Object.keys(root.optionalDependencies ?? {}))]];
  while (queue.length > 0) {
    const [from, required, optional] = queue.shift()!;
    for (const name of Object.keys(required)) {
      const path = resolveFrom(lock, from, name);
      if (path === null) {
        if (!optional.has(name)) missing.push(`${from || "(root)"} -> ${name}`);
        continue;
      }
      const e = lock.packages[path]!;
      if (seen.has(path) || e.link === true) continue;
      seen.add(path);
      const peers = Object.fromEntries(Object.entries(e.peerDependencies ?? {}).filter(([n]) => e.peerDependenciesMeta?.[n]?.optional !== true));
      queue.push([path, { ...e.dependencies, ...e.optionalDependencies, ...peers }, new Set(Object.keys(e.optionalDependencies ?? {}))]);
    }
  }
  return { paths: [...seen].sort(), missing };
}

/**
 * Whether an SPDX licence expression (SPDX 2.3 annex D) is satisfied by the allowlist: OR
 * needs one side, AND both; `WITH exception` only adds permissions, so it follows its
 * licence; `+` ("or later") may be read as the version named. Anything unparseable,
 * `UNLICENSED` or `SEE LICENSE IN ...` is not allowed: an unknown licence is not a known one.
 */
export function licenceAllowed(expression: string, allow: readonly string[] = LICENCE_ALLOWLIST): boolean {
  const ids = new Set(allow.map((a) => a.toLowerCase()));
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const op = (word: string) => tokens[i]?.toUpperCase() === word && ++i > 0;
  const atom = (): boolean => {
    const t = tokens[i++];
    if (t === "(") {
      const v = or();
      if (tokens[i++] !== ")") throw new Error("unbalanced");
      return v;
    }
    if (t === undefined || t === ")" || /^(AND|OR|WITH)$/i.test(t)) throw new Error("expected a licence");
    return ids.has(t.replace(/\+$/, "").toLowerCase());
  };
  const withExc = () => {
    const v = atom();
    if (op("WITH") && !/^[\w.+-]+$/.test(tokens[i++] ?? "")) throw new Error("expected an exception");
    return v;
  };
  const and = (): boolean => {
    let v = withExc();
    while (op("AND")) v = withExc() && v;
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (op("OR")) v = and() || v;
    return v;
  };
  try {
    const v = or();
    return i === tokens.length && v;
  } catch {
    return false;
  }
}

/** The lock's `license`, else the installed package.json's (`license`, or the old `licenses: [{type}]`). */
export function licenceOf(entry: LockEntry, manifest: unknown): string | null {
  if (typeof entry.license === "string" && entry.license.trim() !== "") return entry.license.trim();
  const m = z.looseObject({ license: z.unknown().optional(), licenses: z.unknown().optional() }).safeParse(manifest);
  if (!m.success) return null;
  if (typeof m.data.license === "string" && m.data.license.trim() !== "") return m.data.license.trim();
  const legacy = [m.data.licenses, m.data.license].flat().flatMap((l) => (l !== null && typeof l === "object" && "type" in l && typeof l.type === "string" ? [l.type] : []));
  return legacy.length > 0 ? (legacy.length === 1 ? legacy[0]! : `(${legacy.join(" OR ")})`) : null;
}

export interface RuntimeRow {
  name: string;
  version: string;
  path: string;
  licence: string | null;
  /** Bytes of the files under the package's folder, nested node_modules excluded; null when not installed. */
  bytes: number | null;
}

/**
 * The runtime rows (closure order) and every other locked package as a dev row. `manifestOf`
 * reads an installed package.json (for licences the lock lacks), `sizeOf` measures a folder.
 */
export function inventory(lock: Lock, closure: Closure, manifestOf: (path: string) => unknown, sizeOf: (path: string) => number | null): { runtime: RuntimeRow[]; dev: { label: string; licence: string | null }[] } {
  const inRuntime = new Set(closure.paths);
  const all = lockedPackages(lock);
  const licence = (p: Locked) => licenceOf(p.entry, typeof p.entry.license === "string" ? null : manifestOf(p.path));
  const runtime = all.filter((p) => inRuntime.has(p.path)).map((p) => ({ name: p.name, version: p.entry.version ?? "?", path: p.path, licence: licence(p), bytes: sizeOf(p.path) }));
  const dev = all.filter((p) => !inRuntime.has(p.path)).map((p) => ({ label: label(p), licence: licence(p) }));
  return { runtime, dev };
}

/** 3. Runtime licences on the allowlist (fail); dev licences off it, grouped by licence (information). */
export function checkLicences(runtime: RuntimeRow[], dev: { label: string; licence: string | null }[]): { check: Check; devOffList: { licence: string; packages: string[] }[] } {
  const findings: Finding[] = runtime
    .filter((r) => r.licence === null || !licenceAllowed(r.licence))
    .map((r) => ({ level: "fail", message: `${r.name}@${r.version}: licence ${r.licence ?? "not declared"} is not on the allowlist` }));
  const groups = new Map<string, string[]>();
  for (const d of dev.filter((x) => x.licence === null || !licenceAllowed(x.licence))) {
    const key = d.licence ?? "not declared";
    groups.set(key, [...(groups.get(key) ?? []), d.label]);
  }
  const devOffList = [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([licence, packages]) => ({ licence, packages: packages.sort() }));
  const n = devOffList.reduce((s, g) => s + g.packages.length, 0);
  return { check: check("licences", `${runtime.length - findings.length} of ${runtime.length} runtime packages on the allowlist; ${n} dev packages off it (not shipped, information)`, findings), devOffList };
}

/** 4. The runtime set stays at or under the limit; the lock must hold every required dependency. */
export function checkRuntimeSet(runtime: RuntimeRow[], missing: string[], limit = MAX_RUNTIME_PACKAGES): Check {
  const findings: Finding[] = missing.map((m) => ({ level: "fail", message: `the lock lacks a required dependency: ${m} (run npm install)` }));
  if (runtime.length > limit) findings.push({ level: "fail", message: `${runtime.length} runtime packages, more than the limit of ${limit}: raise MAX_RUNTIME_PACKAGES in scripts/lib/audit-deps.ts and docs/supply-chain.md deliberately, or drop a dependency` });
  for (const r of runtime.filter((x) => x.bytes === null)) findings.push({ level: "warn", message: `${r.name}: not installed, size unknown (npm ci)` });
  const total = runtime.reduce((s, r) => s + (r.bytes ?? 0), 0);
  return check("runtime-set", `${runtime.length} of at most ${limit} packages, ${formatBytes(total)} unpacked`, findings);
}

const SbomSchema = z.looseObject({
  bomFormat: z.literal("CycloneDX"),
  specVersion: z.string(),
  metadata: z.looseObject({ component: z.looseObject({ name: z.string() }).optional() }).optional(),
  components: z.array(z.looseObject({ "bom-ref": z.string().optional(), name: z.string(), version: z.string().optional(), properties: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional() })),
  dependencies: z.array(z.looseObject({ ref: z.string(), dependsOn: z.array(z.string()).optional() })).optional(),
});
export type Sbom = z.infer<typeof SbomSchema>;

/**
 * The runtime SBOM from `npm sbom --sbom-format cyclonedx` (the full inventory): the
 * components npm itself marks `cdx:npm:package:development` are dropped. `--omit dev` is not
 * used because it also drops a production dependency that a dev dependency names as a peer
 * (npm/cli#7909; here zod, through openai). The root component is named after package.json,
 * not the checkout's folder, which npm uses.
 */
export function runtimeSbom(full: unknown, projectName: string): Sbom {
  const bom = parseWith(SbomSchema, full, "npm sbom output");
  const isDev = (c: Sbom["components"][number]) => (c.properties ?? []).some((p) => p.name === "cdx:npm:package:development" && p.value === "true");
  const components = bom.components.filter((c) => !isDev(c));
  const dropped = new Set(bom.components.filter(isDev).map((c) => c["bom-ref"]));
  const dependencies = bom.dependencies?.filter((d) => !dropped.has(d.ref)).map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((r) => !dropped.has(r)) }));
  const metadata = bom.metadata?.component === undefined ? bom.metadata : { ...bom.metadata, component: { ...bom.metadata.component, name: projectName } };
  return { ...bom, metadata, components, ...(dependencies === undefined ? {} : { dependencies }) };
}

/** 5. The SBOM written parses as CycloneDX and lists exactly the runtime packages. */
export function checkSbom(sbom: unknown, runtime: { name: string; version: string }[], where: string): Check {
  const parsed = SbomSchema.safeParse(sbom);
  if (!parsed.success) return check("sbom", `${where}: not a CycloneDX document`, [{ level: "fail", message: `${where}: ${parsed.error.issues[0]?.message ?? "unreadable"}` }]);
  const listed = new Set(parsed.data.components.map((c) => `${c.name}@${c.version ?? ""}`));
  const wanted = new Set(runtime.map((r) => `${r.name}@${r.version}`));
  const findings: Finding[] = [
    ...[...wanted].filter((w) => !listed.has(w)).map((w) => ({ level: "fail" as const, message: `${where} does not list the runtime package ${w}` })),
    ...[...listed].filter((l) => !wanted.has(l)).map((l) => ({ level: "warn" as const, message: `${where} lists ${l}, which is not in the runtime closure` })),
  ];
  return check("sbom", `${where}: CycloneDX ${parsed.data.specVersion}, ${listed.size} components`, findings);
}

const AuditSchema = z.looseObject({
  auditReportVersion: z.number(),
  vulnerabilities: z.record(z.string(), z.looseObject({ severity: z.string() })),
  metadata: z.looseObject({ vulnerabilities: z.record(z.string(), z.number()) }),
});

/**
 * 6. `npm audit --json --omit dev`. An answer with advisories: high and critical fail, lower
 * ones are listed. No answer (here the registry has no advisory endpoint: "audit endpoint
 * returned an error") is `unchecked`, said plainly, and does not fail the run.
 */
export function checkAudit(stdout: string, stderr = ""): Check {
  let answer;
  try {
    answer = AuditSchema.safeParse(JSON.parse(stdout));
  } catch {
    answer = null;
  }
  if (answer === null || !answer.success) {
    const said = stderr.split("\n").filter((l) => l.startsWith("npm error") && !l.includes("complete log"));
    return { id: "audit", status: "unchecked", summary: AUDIT_UNANSWERED, findings: said.slice(0, 1).map((l) => ({ level: "info", message: `npm said: ${l.slice("npm error ".length)}` })) };
  }
  const findings: Finding[] = Object.entries(answer.data.vulnerabilities).map(([name, v]) => ({ level: v.severity === "high" || v.severity === "critical" ? "fail" : "warn", message: `${name}: ${v.severity} severity advisory (npm audit --omit dev)` }));
  const counts = Object.entries(answer.data.metadata.vulnerabilities).filter(([k, n]) => k !== "total" && n > 0);
  return check("audit", `npm audit: ${counts.length === 0 ? "no known vulnerabilities in runtime packages" : counts.map(([k, n]) => `${n} ${k}`).join(", ")}`, findings);
}

export interface Bundle {
  path: string;
  bytes: number;
  gzipBytes: number;
}
export interface Report {
  project: string;
  lockfileVersion: number;
  checks: Check[];
  runtime: RuntimeRow[];
  scripts: ScriptRow[];
  devLicencesOffList: { licence: string; packages: string[] }[];
  bundle: Bundle | null;
  sbom: string | null;
  passed: boolean;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The readable report: one line per check, its findings, the runtime table, the information. */
export function formatReport(r: Report): string {
  const mark = { pass: "ok  ", fail: "FAIL", unchecked: "--  " } as const;
  const out = [`Supply chain of ${r.project} (package-lock.json v${r.lockfileVersion})`, ""];
  for (const c of r.checks) {
    out.push(`${mark[c.status]} ${c.id}: ${c.summary}`);
    for (const f of c.findings.filter((x) => x.level !== "info")) out.push(`       ${f.level === "fail" ? "fail" : "warn"}: ${f.message}`);
    for (const f of c.findings.filter((x) => x.level === "info")) out.push(`       ${f.message}`);
  }
  const cols = [["package", "version", "licence", "unpacked"], ...r.runtime.map((x) => [x.name, x.version, x.licence ?? "none", x.bytes === null ? "?" : formatBytes(x.bytes)])];
  const width = cols[0]!.map((_, i) => Math.max(...cols.map((row) => row[i]!.length)));
  out.push("", "Runtime packages (what the Worker ships):", ...cols.map((row) => `  ${row.map((v, i) => (i === 3 ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join("  ")}`.trimEnd()));
  out.push(r.bundle === null ? "  bundle: dist/index.js not built (npm run build)" : `  bundle: ${r.bundle.path} ${formatBytes(r.bundle.bytes)} (${formatBytes(r.bundle.gzipBytes)} gzipped)`);
  if (r.devLicencesOffList.length > 0) {
    out.push("", "Dev-dependency licences not on the allowlist (tools, not shipped; information):");
    for (const g of r.devLicencesOffList) out.push(`  ${g.licence}: ${g.packages.join(", ")}`);
  }
  const failed = r.checks.filter((c) => c.status === "fail").map((c) => c.id);
  out.push("", r.passed ? "All checks passed." : `Failed: ${failed.join(", ")}.`);
  return out.join("\n");
}

// One usage error for every CLI (exit 2); re-exported so callers import it from here.
export { UsageError } from "./cli";

export const USAGE = `Usage: npm run audit:deps -- [--out DIR] [--json]

Checks the locked dependencies offline (docs/supply-chain.md): integrity hashes and registry
sources, install-script approvals, runtime licences, the size of the runtime set; writes a
CycloneDX SBOM of the runtime packages; runs npm audit where the registry answers.
  --out DIR   where sbom.cdx.json goes (default dist/)
  --json      print the report as one JSON document
Exit: 0 all checks passed, 1 a check failed, 2 usage error.`;

export interface Command {
  out: string | null;
  json: boolean;
}

export function parseCommand(argv: string[]): Command | "help" {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", default: false } } }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return "help";
  if (values.out === "") throw new UsageError("--out: expected a directory");
  return { out: values.out ?? null, json: values.json };
}
