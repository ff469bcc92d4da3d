// `npm run audit:deps` (issue 9, supply chain): each check on small synthetic locks, the CLI with a
// fake npm in a temporary project, and one run of the real command on this repository.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT, runScript } from "./cli.mjs";
import { runAuditDeps } from "../scripts/audit-deps.ts";
import {
  AUDIT_UNANSWERED,
  checkAudit,
  checkInstallScripts,
  checkIntegrity,
  checkLicences,
  checkRuntimeSet,
  checkSbom,
  inventory,
  licenceAllowed,
  licenceOf,
  MAX_RUNTIME_PACKAGES,
  parseCommand,
  parseLock,
  runtimeClosure,
  runtimeSbom,
} from "../scripts/lib/audit-deps.ts";

const SHA = "sha512-Zm9v";
/** A lock with the root entry and the given packages. */
const lockOf = (packages) => parseLock({ lockfileVersion: 3, packages: { "": { name: "app", version: "1.0.0" }, ...packages } });
const pkg = (version, extra = {}) => ({ version, integrity: SHA, license: "MIT", ...extra });
const messages = (check, level) => check.findings.filter((f) => f.level === level).map((f) => f.message);

describe("integrity and source", () => {
  test("registry packages with sha512 pass; root, links and workspace folders are exempt", () => {
    const c = checkIntegrity(
      lockOf({
        "node_modules/a": pkg("1.0.0"),
        "node_modules/b": pkg("2.0.0", { resolved: "https://registry.npmjs.org/b/-/b-2.0.0.tgz" }),
        "node_modules/ws-pkg": { resolved: "packages/ws-pkg", link: true },
        "packages/ws-pkg": { name: "ws-pkg", version: "0.0.1" },
      }),
    );
    assert.equal(c.status, "pass");
    assert.match(c.summary, /^2 of 2 locked packages/);
    assert.match(c.summary, /1 without a resolved URL/);
  });

  test("a missing integrity hash fails, naming the package", () => {
    const c = checkIntegrity(lockOf({ "node_modules/a": pkg("1.0.0"), "node_modules/x/node_modules/y": { version: "3.0.0", license: "MIT" } }));
    assert.equal(c.status, "fail");
    assert.deepEqual(messages(c, "fail"), ["y@3.0.0 (node_modules/x/node_modules/y): no integrity hash"]);
  });

  test("a sha1-only hash fails", () => {
    const c = checkIntegrity(lockOf({ "node_modules/old": pkg("0.1.0", { integrity: "sha1-abc=" }) }));
    assert.deepEqual(messages(c, "fail"), ["old@0.1.0: integrity is not sha512 (sha1)"]);
  });

  test("a resolved URL off the npm registry fails: git, another host, a local tarball, plain http", () => {
    const c = checkIntegrity(
      lockOf({
        "node_modules/g": pkg("1.0.0", { resolved: "git+ssh://git@github.com/x/g.git#0123abc" }),
        "node_modules/h": pkg("1.0.0", { resolved: "https://evil.example/h/-/h-1.0.0.tgz" }),
        "node_modules/f": pkg("1.0.0", { resolved: "file:../f-1.0.0.tgz" }),
        "node_modules/p": pkg("1.0.0", { resolved: "http://registry.npmjs.org/p/-/p-1.0.0.tgz" }),
        "node_modules/ok": pkg("1.0.0", { resolved: "https://registry.npmjs.org/ok/-/ok-1.0.0.tgz" }),
      }),
    );
    assert.equal(c.status, "fail");
    const failed = messages(c, "fail").map((m) => m.split(":")[0]);
    assert.deepEqual(failed, ["g@1.0.0", "h@1.0.0", "f@1.0.0", "p@1.0.0"]);
    assert.match(c.summary, /^1 of 5 locked packages/);
  });

  test("a bundled package is covered by its parent's tarball", () => {
    const c = checkIntegrity(lockOf({ "node_modules/p": pkg("1.0.0"), "node_modules/p/node_modules/inner": { version: "1.0.0", inBundle: true } }));
    assert.equal(c.status, "pass");
  });
});

describe("install scripts", () => {
  const scripted = (extra = {}) => pkg("0.27.3", { hasInstallScript: true, ...extra });

  test("approved packages pass, nested copies match by name", () => {
    const r = checkInstallScripts(lockOf({ "node_modules/esbuild": scripted(), "node_modules/tsx/node_modules/esbuild": scripted({ version: "0.28.2" }) }), { esbuild: true });
    assert.equal(r.check.status, "pass");
    assert.deepEqual(r.rows.map((x) => x.status), ["approved", "approved"]);
    assert.match(r.check.summary, /^2 approved/);
  });

  test("install scripts that allowScripts does not mention fail: npm 11 runs them with only a warning", () => {
    const r = checkInstallScripts(lockOf({ "node_modules/esbuild": scripted(), "node_modules/evil": scripted({ version: "1.0.0" }) }), { esbuild: true });
    assert.equal(r.check.status, "fail");
    assert.equal(messages(r.check, "fail").length, 1);
    assert.match(messages(r.check, "fail")[0], /^evil@1\.0\.0 has install scripts .*\(npm install-scripts approve evil\) or deny \(npm install-scripts deny evil\)$/);
  });

  test("a denied package is reported as blocked, not run, and does not fail", () => {
    const r = checkInstallScripts(lockOf({ "node_modules/promptfoo-dep": scripted({ version: "2.0.0" }) }), { "promptfoo-dep": false });
    assert.equal(r.check.status, "pass");
    assert.deepEqual(r.rows, [{ package: "promptfoo-dep@2.0.0", status: "denied" }]);
    assert.deepEqual(messages(r.check, "info"), ["promptfoo-dep@2.0.0: install scripts denied in allowScripts: blocked, not run"]);
  });

  test("deny wins over allow", () => {
    const r = checkInstallScripts(lockOf({ "node_modules/x": scripted() }), { x: true, "x@0.27.3": false });
    assert.equal(r.rows[0].status, "denied");
  });

  test("stale approvals warn: a package no longer locked, and one without install scripts", () => {
    const r = checkInstallScripts(lockOf({ "node_modules/workerd": scripted(), "node_modules/plain": pkg("1.0.0") }), { workerd: true, sharp: true, plain: true });
    assert.equal(r.check.status, "pass");
    assert.deepEqual(messages(r.check, "warn"), [
      "allowScripts: approval for sharp, which is no longer in the lock (npm install-scripts prune)",
      "allowScripts: approval for plain, which has no install scripts",
    ]);
  });

  test("a pinned approval needs a resolved URL to be honoured (npm cannot verify the version otherwise)", () => {
    const pinned = { "esbuild@0.27.3": true };
    assert.equal(checkInstallScripts(lockOf({ "node_modules/esbuild": scripted() }), pinned).check.status, "fail");
    const resolved = scripted({ resolved: "https://registry.npmjs.org/esbuild/-/esbuild-0.27.3.tgz" });
    assert.equal(checkInstallScripts(lockOf({ "node_modules/esbuild": resolved }), pinned).check.status, "pass");
    assert.equal(checkInstallScripts(lockOf({ "node_modules/esbuild": resolved }), { "esbuild@0.27.4": true }).check.status, "fail");
    assert.equal(checkInstallScripts(lockOf({ "node_modules/esbuild": scripted() }), { "esbuild@0.27.3": false }).rows[0].status, "denied");
  });

  test("ranges and non-boolean values are ignored, as npm ignores them", () => {
    const r = checkInstallScripts(lockOf({ "node_modules/esbuild": scripted() }), { "esbuild@^0.27.0": true, sharp: "yes" });
    assert.equal(r.check.status, "fail");
    assert.equal(messages(r.check, "warn").length, 2);
  });
});

describe("runtime closure", () => {
  const lock = lockOf({
    "node_modules/a": pkg("1.0.0", { dependencies: { d: "^2.0.0", "@s/x": "1" } }),
    "node_modules/a/node_modules/d": pkg("2.0.0", { dependencies: { e: "1" } }),
    "node_modules/d": pkg("1.0.0", { dev: true }),
    "node_modules/e": pkg("1.0.0"),
    "node_modules/@s/x": pkg("1.0.0", { peerDependencies: { p: "1", q: "1" }, peerDependenciesMeta: { q: { optional: true } } }),
    "node_modules/p": pkg("1.0.0"),
    "node_modules/q": pkg("1.0.0", { dev: true }),
    "node_modules/tool": pkg("1.0.0", { dev: true, dependencies: { d: "1" } }),
  });

  test("follows nested node_modules and required peers; skips dev deps and optional peers", () => {
    const c = runtimeClosure(lock, { dependencies: { a: "1.0.0" } });
    assert.deepEqual(c.paths, ["node_modules/@s/x", "node_modules/a", "node_modules/a/node_modules/d", "node_modules/e", "node_modules/p"]);
    assert.deepEqual(c.missing, []);
  });

  test("a required dependency missing from the lock is listed; a missing optional one is not", () => {
    const c = runtimeClosure(lock, { dependencies: { a: "1.0.0", gone: "1" }, optionalDependencies: { maybe: "1" } });
    assert.deepEqual(c.missing, ["(root) -> gone"]);
  });
});

describe("licences", () => {
  test("SPDX expressions against the allowlist", () => {
    const cases = {
      MIT: true,
      mit: true,
      "(MIT OR Apache-2.0)": true,
      "MIT OR GPL-3.0-only": true,
      "(GPL-2.0-only OR (BSD-3-Clause AND ISC))": true,
      "Apache-2.0 WITH LLVM-exception": true,
      "Apache-2.0+": true,
      "GPL-3.0-only": false,
      "MIT AND GPL-2.0-only": false,
      "(MIT AND Zlib)": false,
      UNLICENSED: false,
      "SEE LICENSE IN LICENSE.md": false,
      "(MIT": false,
      "MIT OR": false,
      "MIT Apache-2.0": false,
      "": false,
    };
    for (const [expr, want] of Object.entries(cases)) assert.equal(licenceAllowed(expr), want, expr);
  });

  test("the lock's licence first, then the installed package.json, old `licenses` arrays included", () => {
    assert.equal(licenceOf({ license: "ISC" }, { license: "GPL-3.0-only" }), "ISC");
    assert.equal(licenceOf({}, { license: "BSD-2-Clause" }), "BSD-2-Clause");
    assert.equal(licenceOf({}, { licenses: [{ type: "MIT" }, { type: "Apache-2.0" }] }), "(MIT OR Apache-2.0)");
    assert.equal(licenceOf({}, null), null);
  });

  test("a GPL runtime dependency (reached transitively) fails; the same licence on a dev tool is information", () => {
    const lock = lockOf({
      "node_modules/a": pkg("1.0.0", { dependencies: { copyleft: "1" } }),
      "node_modules/copyleft": pkg("1.0.0", { license: undefined }),
      "node_modules/devtool": pkg("1.0.0", { dev: true, license: "GPL-3.0-only" }),
    });
    const manifests = { "node_modules/copyleft": { license: "GPL-3.0-or-later" } };
    const inv = inventory(lock, runtimeClosure(lock, { dependencies: { a: "1" } }), (p) => manifests[p] ?? null, () => 10);
    const r = checkLicences(inv.runtime, inv.dev);
    assert.equal(r.check.status, "fail");
    assert.deepEqual(messages(r.check, "fail"), ["copyleft@1.0.0: licence GPL-3.0-or-later is not on the allowlist"]);
    assert.deepEqual(r.devOffList, [{ licence: "GPL-3.0-only", packages: ["devtool@1.0.0"] }]);
  });

  test("an OR-expression with one allowed side passes, an undeclared licence fails", () => {
    const row = (licence) => ({ name: "x", version: "1.0.0", path: "node_modules/x", licence, bytes: 1 });
    assert.equal(checkLicences([row("(MIT OR Apache-2.0)")], []).check.status, "pass");
    assert.deepEqual(messages(checkLicences([row(null)], []).check, "fail"), ["x@1.0.0: licence not declared is not on the allowlist"]);
  });
});

describe("runtime set size", () => {
  const rows = (n) => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, version: "1.0.0", path: `node_modules/p${i}`, licence: "MIT", bytes: 1024 }));
  test(`at most ${MAX_RUNTIME_PACKAGES} packages pass; one more fails`, () => {
    assert.equal(checkRuntimeSet(rows(MAX_RUNTIME_PACKAGES), []).status, "pass");
    const over = checkRuntimeSet(rows(MAX_RUNTIME_PACKAGES + 1), []);
    assert.equal(over.status, "fail");
    assert.match(messages(over, "fail")[0], /^11 runtime packages, more than the limit of 10/);
    assert.equal(checkRuntimeSet(rows(3), [], 2).status, "fail");
  });
  test("a dependency missing from the lock fails; an uninstalled one only warns", () => {
    assert.equal(checkRuntimeSet(rows(1), ["(root) -> gone"]).status, "fail");
    const c = checkRuntimeSet([{ ...rows(1)[0], bytes: null }], []);
    assert.equal(c.status, "pass");
    assert.equal(messages(c, "warn").length, 1);
  });
});

describe("SBOM", () => {
  const dev = [{ name: "cdx:npm:package:development", value: "true" }];
  const full = {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    metadata: { component: { "bom-ref": "app@1.0.0", name: "checkout-folder" } },
    components: [
      { "bom-ref": "a@1.0.0", name: "a", version: "1.0.0", properties: [] },
      { "bom-ref": "tool@2.0.0", name: "tool", version: "2.0.0", properties: dev },
    ],
    dependencies: [{ ref: "app@1.0.0", dependsOn: ["a@1.0.0", "tool@2.0.0"] }, { ref: "a@1.0.0", dependsOn: [] }, { ref: "tool@2.0.0", dependsOn: ["a@1.0.0"] }],
  };

  test("the runtime SBOM drops what npm marks as development, in components and the graph", () => {
    const s = runtimeSbom(full, "app");
    assert.deepEqual(s.components.map((c) => c["bom-ref"]), ["a@1.0.0"]);
    assert.deepEqual(s.dependencies, [{ ref: "app@1.0.0", dependsOn: ["a@1.0.0"] }, { ref: "a@1.0.0", dependsOn: [] }]);
    assert.equal(s.metadata.component.name, "app");
    assert.throws(() => runtimeSbom({ bomFormat: "SPDX" }, "app"), /npm sbom output/);
  });

  test("the check fails when a runtime package is missing or the file is not CycloneDX", () => {
    const s = runtimeSbom(full, "app");
    assert.equal(checkSbom(s, [{ name: "a", version: "1.0.0" }], "sbom.cdx.json").status, "pass");
    const missing = checkSbom(s, [{ name: "a", version: "1.0.0" }, { name: "zod", version: "4.6.7" }], "sbom.cdx.json");
    assert.deepEqual(messages(missing, "fail"), ["sbom.cdx.json does not list the runtime package zod@4.6.7"]);
    assert.equal(checkSbom({ spdxVersion: "SPDX-2.3" }, [], "x").status, "fail");
  });
});

describe("npm audit", () => {
  test("no answer from the registry's audit service: unchecked, said plainly, not a failure", () => {
    const npm405 = JSON.stringify({ message: "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk", statusCode: 405 });
    const c = checkAudit(npm405, "npm warn audit 405\nnpm error audit endpoint returned an error\nnpm error A complete log of this run can be found in: x");
    assert.equal(c.status, "unchecked");
    assert.equal(c.summary, AUDIT_UNANSWERED);
    assert.deepEqual(messages(c, "info"), ["npm said: audit endpoint returned an error"]);
    assert.equal(checkAudit("").status, "unchecked");
  });

  const answer = (vulnerabilities) =>
    JSON.stringify({
      auditReportVersion: 2,
      vulnerabilities,
      metadata: { vulnerabilities: { info: 0, low: 0, moderate: Object.values(vulnerabilities).filter((v) => v.severity === "moderate").length, high: Object.values(vulnerabilities).filter((v) => v.severity === "high").length, critical: 0, total: Object.keys(vulnerabilities).length } },
    });

  test("an answer: high and critical fail, lower severities are listed", () => {
    const high = checkAudit(answer({ hono: { severity: "high" }, jose: { severity: "moderate" } }));
    assert.equal(high.status, "fail");
    assert.match(high.summary, /1 moderate, 1 high/);
    assert.deepEqual(messages(high, "warn"), ["jose: moderate severity advisory (npm audit --omit dev)"]);
    assert.equal(checkAudit(answer({ jose: { severity: "moderate" } })).status, "pass");
    assert.match(checkAudit(answer({})).summary, /no known vulnerabilities/);
  });
});

describe("command", () => {
  test("usage", () => {
    assert.deepEqual(parseCommand([]), { out: null, json: false });
    assert.deepEqual(parseCommand(["--out", "x", "--json"]), { out: "x", json: true });
    assert.equal(parseCommand(["--help"]), "help");
    assert.throws(() => parseCommand(["--nope"]), /Unknown option/);
    assert.throws(() => parseCommand(["positional"]), /positional/);
  });

  /** A one-dependency project in a temp folder; npm is a fake that answers sbom and audit. */
  async function project(auditStdout) {
    const root = await mkdtemp(join(tmpdir(), "aigis-audit-deps-"));
    await writeFile(join(root, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", dependencies: { a: "1.0.0" }, allowScripts: { gone: true } }));
    await writeFile(join(root, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "": { name: "app", version: "1.0.0", dependencies: { a: "1.0.0" } }, "node_modules/a": pkg("1.0.0"), "node_modules/a/node_modules/b": pkg("1.0.0") } }));
    await mkdir(join(root, "node_modules/a/node_modules/b"), { recursive: true });
    await writeFile(join(root, "node_modules/a/index.js"), "x".repeat(100));
    await writeFile(join(root, "node_modules/a/node_modules/b/index.js"), "y".repeat(5000));
    const sbom = { bomFormat: "CycloneDX", specVersion: "1.5", components: [{ name: "a", version: "1.0.0" }, { name: "b", version: "1.0.0" }] };
    const calls = [];
    const out = [];
    const npm = async (args) => {
      calls.push(args.join(" "));
      return args[0] === "sbom" ? { code: 0, stdout: JSON.stringify(sbom), stderr: "" } : { code: 1, stdout: auditStdout, stderr: "" };
    };
    const code = await runAuditDeps(["--json"], { root, npm, out: (t) => out.push(t), err: (t) => out.push(t) });
    return { root, code, calls, report: JSON.parse(out.join("\n")) };
  }

  test("with a fake npm: sizes exclude nested node_modules, the SBOM lands in dist/, an advisory fails the run", async () => {
    const r = await project(JSON.stringify({ auditReportVersion: 2, vulnerabilities: { a: { severity: "critical" } }, metadata: { vulnerabilities: { critical: 1, total: 1 } } }));
    try {
      assert.deepEqual(r.calls, ["sbom --sbom-format cyclonedx", "audit --json --omit dev"]);
      assert.equal(r.code, 1);
      const status = Object.fromEntries(r.report.checks.map((c) => [c.id, c.status]));
      assert.deepEqual(status, { integrity: "pass", "install-scripts": "pass", licences: "pass", "runtime-set": "pass", sbom: "pass", audit: "fail" });
      assert.deepEqual(r.report.runtime.map((x) => [x.path, x.bytes]), [["node_modules/a", 100]]);
      assert.equal(r.report.sbom, join("dist", "sbom.cdx.json"));
      assert.match(r.report.checks.find((c) => c.id === "install-scripts").findings[0].message, /approval for gone/);
      // b is in npm's inventory but not the runtime closure: listed as a warning.
      assert.match(JSON.stringify(r.report.checks.find((c) => c.id === "sbom").findings), /lists b@1\.0\.0/);
      const written = JSON.parse(await readFile(join(r.root, "dist", "sbom.cdx.json"), "utf8"));
      assert.equal(written.components.length, 2);
    } finally {
      await rm(r.root, { recursive: true, force: true });
    }
  });

  test("with a fake npm whose audit service does not answer: exit 0", async () => {
    const r = await project("");
    try {
      assert.equal(r.code, 0);
      assert.equal(r.report.checks.at(-1).status, "unchecked");
    } finally {
      await rm(r.root, { recursive: true, force: true });
    }
  });

  test("this repository: every check passes and the runtime SBOM is written", async () => {
    const out = await mkdtemp(join(tmpdir(), "aigis-sbom-"));
    try {
      const r = await runScript("scripts/audit-deps.ts", ["--out", out]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /All checks passed\./);
      assert.match(r.stdout, /npm audit: /);
      const sbom = JSON.parse(await readFile(join(out, "sbom.cdx.json"), "utf8"));
      assert.equal(sbom.bomFormat, "CycloneDX");
      const lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8"));
      const pkgJson = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
      const listed = new Set(sbom.components.map((c) => `${c.name}@${c.version}`));
      for (const name of Object.keys(pkgJson.dependencies)) assert.ok(listed.has(`${name}@${lock.packages[`node_modules/${name}`].version}`), name);
      assert.ok(!listed.has(`wrangler@${lock.packages["node_modules/wrangler"].version}`), "a dev dependency in the runtime SBOM");
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
