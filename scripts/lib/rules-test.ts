/**
 * The pure half of `npm run rules -- test`: reading the samples file, turning a gateway's
 * response into what is compared, the comparison and the report. No I/O, so all of it is
 * unit-tested directly (test-node/rules-test.test.mjs); scripts/rules-test-run.ts runs the
 * gateways.
 */
import { z } from "zod";
import { diffJson } from "./rules-cli";

// ---------------------------------------------------------------------------------------
// Samples

/** One recorded request: where it goes, as which plan, with which body. */
export const SampleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "letters, digits and . _ : - only, at most 64").optional(),
  path: z.string().regex(/^\/v1\/[a-z/]+$/, 'a /v1 path such as "/v1/chat/completions"'),
  /** The plan the sample's API key belongs to (the rules document's `plans.<name>`). */
  plan: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
    .default("default"),
  body: z.record(z.string(), z.unknown()),
});

export interface Sample {
  id: string;
  /** 1-based line in the samples file. */
  line: number;
  path: string;
  plan: string;
  body: Record<string, unknown>;
}

export type ParsedSamples = { ok: true; samples: Sample[] } | { ok: false; errors: string[] };

// Text shown on a terminal: control characters (escape sequences) are not passed on.
const clean = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");

/**
 * Parses a JSONL samples file: one JSON object per line, blank lines skipped. Every bad
 * line is reported with its line number (`name:3: ...`). A sample without `id` is named
 * after its line (`line-3`).
 * @example parseSamples('{"path": "/v1/chat/completions", "body": {}}', "s.jsonl") // { ok: true, samples: [{ id: "line-1", line: 1, plan: "default", ... }] }
 */
export function parseSamples(text: string, name: string): ParsedSamples {
  const samples: Sample[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      errors.push(`${name}:${line}: invalid JSON: ${clean((err as Error).message.replace(/, ".*" is not valid JSON$/s, ""))}`);
      return;
    }
    const parsed = SampleSchema.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) errors.push(`${name}:${line}: ${clean(issue.path.join(".") || "(line)")}: ${clean(issue.message)}`);
      return;
    }
    const id = parsed.data.id ?? `line-${line}`;
    const before = seen.get(id);
    if (before !== undefined) {
      errors.push(`${name}:${line}: id "${id}" is already used on line ${before}`);
      return;
    }
    seen.set(id, line);
    samples.push({ id, line, path: parsed.data.path, plan: parsed.data.plan, body: parsed.data.body });
  });
  if (errors.length === 0 && samples.length === 0) errors.push(`${name}: no samples`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, samples };
}

// ---------------------------------------------------------------------------------------
// Outcomes

/** What one gateway did with one sample, as far as a client (and the mock provider) can see. */
export interface Outcome {
  status: number;
  /** `error.code` of an error response, else null. */
  code: string | null;
  /** Every `x-aigis-*` response header, names lower-cased. */
  headers: Record<string, string>;
  /** For `mock-echo-request`: the body the provider received, as the client got it back; else undefined. */
  forwarded?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The echoed request in a response of `mock-echo-request` (mock/llm.mjs): a text field
 * holding `{"url", "headers", "body"}`, wherever the endpoint puts its text (chat
 * `message.content`, completions `text`, responses `output[].content[].text`).
 */
export function echoedBody(response: unknown): unknown {
  let found: unknown;
  const walk = (v: unknown): void => {
    if (found !== undefined) return;
    if (typeof v === "string") {
      if (!v.startsWith('{"url"')) return;
      try {
        const echo = JSON.parse(v) as unknown;
        if (isObject(echo) && Object.hasOwn(echo, "body")) found = echo.body;
      } catch {
        // Not the echo (or cut short): keep looking.
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) Object.values(v).forEach(walk);
  };
  walk(response);
  return found;
}

/**
 * The comparable outcome of one response. `echo`: the sample asked `mock-echo-request`, so
 * a successful JSON response carries the forwarded body.
 */
export function outcomeOf(status: number, headers: Iterable<[string, string]>, bodyText: string, echo: boolean): Outcome {
  const aigis: Record<string, string> = {};
  for (const [k, v] of headers) if (k.toLowerCase().startsWith("x-aigis-")) aigis[k.toLowerCase()] = v;
  const sorted = Object.fromEntries(Object.entries(aigis).sort(([a], [b]) => (a < b ? -1 : 1)));
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined; // a stream, or not JSON
  }
  const error = isObject(json) && isObject(json.error) ? json.error : undefined;
  const code = error !== undefined && typeof error.code === "string" ? error.code : null;
  const out: Outcome = { status, code, headers: sorted };
  if (echo && status === 200 && json !== undefined) {
    const forwarded = echoedBody(json);
    if (forwarded !== undefined) out.forwarded = forwarded;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Comparison

export interface SampleDiff {
  status?: [number, number];
  /** Shown when the status or the code differs. */
  code?: [string | null, string | null];
  headers: { name: string; a: string | null; b: string | null }[];
  /** JSON paths where the forwarded bodies differ; `(root)` when only one side has one. */
  body: string[];
}

/** Whether `diff` shows any change. */
export const changed = (d: SampleDiff): boolean => d.status !== undefined || d.code !== undefined || d.headers.length > 0 || d.body.length > 0;

/** What differs between A's and B's outcome of one sample. */
export function compareOutcomes(a: Outcome, b: Outcome): SampleDiff {
  const d: SampleDiff = { headers: [], body: [] };
  if (a.status !== b.status) d.status = [a.status, b.status];
  if (a.code !== b.code || a.status !== b.status) d.code = [a.code, b.code];
  const names = [...new Set([...Object.keys(a.headers), ...Object.keys(b.headers)])].sort();
  for (const name of names) {
    const va = a.headers[name] ?? null;
    const vb = b.headers[name] ?? null;
    if (va !== vb) d.headers.push({ name, a: va, b: vb });
  }
  if (a.forwarded !== undefined && b.forwarded !== undefined) d.body = [...new Set(diffJson(a.forwarded, b.forwarded).map((c) => c.path))];
  else if (a.forwarded !== undefined || b.forwarded !== undefined) d.body = ["(root)"];
  return d;
}

// ---------------------------------------------------------------------------------------
// Report

export interface SampleResult {
  id: string;
  line: number;
  path: string;
  plan: string;
  a: Outcome;
  b: Outcome;
  diff: SampleDiff;
}

export interface Side {
  /** `version@hash`. */
  label: string;
  /** The file, or "bundled defaults". */
  source: string;
}

const MAX_VALUE_CHARS = 60;
const value = (v: string | null): string => {
  if (v === null) return "-";
  const s = clean(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s;
};
const MAX_PATHS = 8;

/** `400 prompt_blocked`, `200`. */
const statusText = (status: number, code: string | null): string => (code === null ? String(status) : `${status} ${clean(code)}`);

/**
 * One line for a changed sample: `id: 400 prompt_blocked → 200; x-aigis-firewall: - → flagged;
 * body: messages[0].content, logprobs`. Undefined when nothing changed.
 */
export function formatResult(r: SampleResult): string | undefined {
  if (!changed(r.diff)) return undefined;
  const parts: string[] = [];
  if (r.diff.status !== undefined || r.diff.code !== undefined) parts.push(`${statusText(r.a.status, r.a.code)} → ${statusText(r.b.status, r.b.code)}`);
  for (const h of r.diff.headers) parts.push(`${h.name}: ${value(h.a)} → ${value(h.b)}`);
  if (r.diff.body.length > 0 && (r.a.forwarded === undefined || r.b.forwarded === undefined)) {
    parts.push(`body: ${r.a.forwarded === undefined ? "not forwarded" : "forwarded"} → ${r.b.forwarded === undefined ? "not forwarded" : "forwarded"}`);
  } else if (r.diff.body.length > 0) {
    const shown = r.diff.body.slice(0, MAX_PATHS).join(", ");
    parts.push(`body: ${shown}${r.diff.body.length > MAX_PATHS ? ` (+${r.diff.body.length - MAX_PATHS} more)` : ""}`);
  }
  return `${clean(r.id)}: ${parts.join("; ")}`;
}

/** The whole text report: both documents, one line per changed sample, the summary line. */
export function formatReport(a: Side, b: Side, samplesFile: string, results: readonly SampleResult[]): string {
  const lines = [`A  ${clean(a.label)}  ${clean(a.source)}`, `B  ${clean(b.label)}  ${clean(b.source)}`, `samples  ${clean(samplesFile)}`, ""];
  const changes = results.map(formatResult).filter((l): l is string => l !== undefined);
  lines.push(...changes);
  if (changes.length > 0) lines.push("");
  lines.push(summaryLine(results));
  return lines.join("\n");
}

/** `N samples, M would change`. */
export function summaryLine(results: readonly SampleResult[]): string {
  const m = results.filter((r) => changed(r.diff)).length;
  return `${results.length} sample${results.length === 1 ? "" : "s"}, ${m} would change`;
}

/** The `--json` report: one object. */
export function jsonReport(a: Side, b: Side, samplesFile: string, results: readonly SampleResult[]) {
  return {
    a,
    b,
    samples_file: samplesFile,
    samples: results.length,
    changed: results.filter((r) => changed(r.diff)).length,
    results: results.map((r) => ({ ...r, changed: changed(r.diff) })),
  };
}
