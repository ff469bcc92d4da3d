/**
 * Keeps docs/security.md (the OWASP matrix) honest: every test it cites must still exist
 * under the cited title, every `src/` path it names must exist, and every OWASP item must
 * keep its section and its row in the summary. Rename or delete a cited test and this fails.
 *
 * The citation format, documented at the top of docs/security.md:
 *
 *   `test/proxy.test.ts` › "missing, unknown and query-string keys: 401 with WWW-Authenticate"
 *
 * a test file in backticks, " › " (U+203A), then the title of an it(...) / test(...) call in
 * double quotes, exactly as written in the file (a plain string literal, not a template with
 * ${...}, not a describe).
 *
 * Paths resolve from this file's location, so a copy of the repository checks itself.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOC_PATH = "docs/security.md";
const doc = fs.readFileSync(path.join(ROOT, DOC_PATH), "utf8");

const ITEMS = [
  ["API1:2023", "Broken Object Level Authorization"],
  ["API2:2023", "Broken Authentication"],
  ["API3:2023", "Broken Object Property Level Authorization"],
  ["API4:2023", "Unrestricted Resource Consumption"],
  ["API5:2023", "Broken Function Level Authorization"],
  ["API6:2023", "Unrestricted Access to Sensitive Business Flows"],
  ["API7:2023", "Server Side Request Forgery"],
  ["API8:2023", "Security Misconfiguration"],
  ["API9:2023", "Improper Inventory Management"],
  ["API10:2023", "Unsafe Consumption of APIs"],
  ["LLM01:2025", "Prompt Injection"],
  ["LLM02:2025", "Sensitive Information Disclosure"],
  ["LLM03:2025", "Supply Chain"],
  ["LLM04:2025", "Data and Model Poisoning"],
  ["LLM05:2025", "Improper Output Handling"],
  ["LLM06:2025", "Excessive Agency"],
  ["LLM07:2025", "System Prompt Leakage"],
  ["LLM08:2025", "Vector and Embedding Weaknesses"],
  ["LLM09:2025", "Misinformation"],
  ["LLM10:2025", "Unbounded Consumption"],
];
const STATUSES = new Set(["covered", "partly", "not covered", "not applicable"]);

const CITATION = /`((?:test|test-node)\/[A-Za-z0-9._\/-]+)` › "([^"\n]+)"/g;

/** Every citation on the page, with the line it is on. */
function citationsIn(text) {
  const out = [];
  for (const m of text.matchAll(CITATION)) {
    out.push({ file: m[1], title: m[2], line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

/** A JavaScript string literal's body, unescaped (the escapes test titles use). */
function unescape(body) {
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])/g, (_, e) => {
    if (e.startsWith("u{")) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return { n: "\n", t: "\t", r: "\r", 0: "\0" }[e] ?? e;
  });
}

const TEST_CALL =
  /\b(?:it|test)((?:\.(?:only|skip|todo|concurrent|sequential|fails|skipIf\([^)]*\)|runIf\([^)]*\)))*)\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\$]|\\.|\$(?!\{))*)`)/g;

const testsOf = new Map();
/** The titles of a test file's it/test calls: title → skipped (a .skip or .todo). */
function testTitles(file) {
  if (!testsOf.has(file)) {
    const src = fs.readFileSync(path.join(ROOT, file), "utf8");
    const titles = new Map();
    for (const m of src.matchAll(TEST_CALL)) {
      const skipped = /\.(skip|todo)\b/.test(m[1]);
      const title = unescape(m[2] ?? m[3] ?? m[4] ?? "");
      titles.set(title, (titles.get(title) ?? false) || skipped);
    }
    testsOf.set(file, titles);
  }
  return testsOf.get(file);
}

/** The page's `### ` sections, by heading. */
function sections(text) {
  const out = new Map();
  let heading = null;
  let body = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) {
      if (heading !== null) out.set(heading, body.join("\n"));
      heading = line.startsWith("### ") ? line.slice(4).trim() : null;
      body = [];
    } else if (heading !== null) body.push(line);
  }
  if (heading !== null) out.set(heading, body.join("\n"));
  return out;
}

const citations = citationsIn(doc);
const report = (problems) => assert.deepEqual(problems, [], `${DOC_PATH}:\n  ${problems.join("\n  ")}`);

test("the page cites tests, and every › on it belongs to a well-formed citation", () => {
  assert.ok(citations.length > 0, `${DOC_PATH} cites no tests in the documented format`);
  const problems = [];
  doc.split("\n").forEach((line, i) => {
    const arrows = line.split("›").length - 1;
    const cited = citationsIn(line).length;
    if (arrows !== cited) problems.push(`line ${i + 1}: ${arrows} "›" but ${cited} well-formed citation(s): ${line.trim()}`);
  });
  report(problems);
});

test("every cited test file exists", () => {
  const missing = [...new Set(citations.map((c) => c.file))].filter((f) => !fs.existsSync(path.join(ROOT, f)));
  report(missing.map((f) => `no such test file: ${f}`));
});

test("every cited title is a test in its file, and not skipped", () => {
  const problems = [];
  for (const c of citations) {
    if (!fs.existsSync(path.join(ROOT, c.file))) continue; // reported above
    const titles = testTitles(c.file);
    if (!titles.has(c.title)) problems.push(`line ${c.line}: ${c.file} has no it/test titled "${c.title}"`);
    else if (titles.get(c.title)) problems.push(`line ${c.line}: ${c.file} › "${c.title}" is skipped`);
  }
  report(problems);
});

test("every src/ path the page names exists", () => {
  const paths = [...new Set([...doc.matchAll(/`(src\/[^`\s]*)`/g)].map((m) => m[1]))];
  assert.ok(paths.length > 0, "the page names no src/ paths");
  report(paths.filter((p) => !fs.existsSync(path.join(ROOT, p))).map((p) => `no such path: ${p}`));
});

test("every OWASP item has its section and one summary row with a status", () => {
  const secs = sections(doc);
  const problems = [];
  for (const [id, name] of ITEMS) {
    const label = `${id} ${name}`;
    if (!secs.has(label)) problems.push(`no section "### ${label}"`);
    const rows = doc.split("\n").filter((l) => l.startsWith(`| ${label} |`));
    if (rows.length !== 1) {
      problems.push(`${rows.length} summary rows for ${label}, expected 1`);
      continue;
    }
    const [status, why] = rows[0].split("|").slice(2, 4).map((s) => s.trim());
    if (!STATUSES.has(status)) problems.push(`${label}: status "${status}" is not one of ${[...STATUSES].join(", ")}`);
    if (!why) problems.push(`${label}: the summary row says nothing about why`);
    // A covered item must show its proof.
    if (status === "covered" && citationsIn(secs.get(label) ?? "").length === 0) problems.push(`${label} is "covered" but its section cites no test`);
  }
  report(problems);
});
