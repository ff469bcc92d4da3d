/**
 * Pure request-body checks, in the order the parse stage applies them: media type, UTF-8,
 * nesting depth (before JSON.parse, so a 10^5-deep array never reaches a recursive parser
 * or a re-serialiser), JSON, then the zod schema of the route.
 */
import type { z } from "zod";
import { GatewayError } from "../errors";

/** `application/json`, optionally with a UTF-8 charset (RFC 8259 section 8.1: JSON is UTF-8). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.toLowerCase().split(";").map((s) => s.trim());
  if (type !== "application/json") return false;
  return params.every((p) => !p.startsWith("charset=") || p === "charset=utf-8" || p === 'charset="utf-8"');
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new GatewayError("invalid_encoding", { detail: "body is not UTF-8" });
  }
}

/**
 * Deepest nesting of arrays and objects in JSON text, stopping as soon as `limit` is
 * passed. Linear, no recursion; brackets inside strings do not count.
 */
export function exceedsDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 /* [ */ || ch === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (ch === 93 /* ] */ || ch === 125 /* } */) depth--;
  }
  return false;
}

export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the input: it is never passed on.
    throw new GatewayError("invalid_json", { detail: "JSON.parse failed" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new GatewayError("invalid_json", { message: "Request body must be a JSON object.", detail: "top level is not an object" });
  }
  return value as Record<string, unknown>;
}

/** A field path in the OpenAI style: `messages[0].content`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? safeKey(String(seg)) : `.${safeKey(String(seg))}`;
  }
  return out;
}

/** Client-chosen key names appear in `param` only when they are short and plain. */
function safeKey(key: string): string {
  return /^[A-Za-z0-9_$-]{1,64}$/.test(key) ? key : "(unprintable)";
}

/**
 * For a union (`string | array`, a discriminated message ...), the issue of the one branch
 * that matched the value's shape, with its full path: `input[0].content` rather than `input`.
 */
function primaryIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union") return issue;
  // Branches that failed only because the value had another top-level type did not match.
  const matched = issue.errors.filter((b) => !(b.length === 1 && b[0]?.code === "invalid_type" && b[0].path.length === 0));
  const inner = matched.length === 1 ? matched[0]?.[0] : undefined;
  return inner === undefined ? issue : primaryIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
}

/** The value at `path` in the parsed body, to tell a missing field from a mistyped one. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/** The first schema issue as a GatewayError naming the field, never echoing the value. */
export function issueToError(issue: z.core.$ZodIssue, body: unknown): GatewayError {
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const param = formatPath([...issue.path, key]);
    return new GatewayError("unknown_parameter", { param, message: `Unrecognized request argument supplied: ${param}`, detail: "unknown field" });
  }
  const param = formatPath(issue.path);
  if (issue.code === "invalid_type" && valueAt(body, issue.path) === undefined) {
    return new GatewayError("missing_parameter", { param, message: `Missing required parameter: '${param}'.`, detail: "missing field" });
  }
  return new GatewayError("invalid_parameter", { param, message: `Invalid value for '${param}'.`, detail: `schema: ${issue.code}` });
}

export function validateBody(schema: z.ZodType<Record<string, unknown>>, body: Record<string, unknown>): Record<string, unknown> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  throw first === undefined ? new GatewayError("invalid_parameter", { detail: "schema: no issue" }) : issueToError(primaryIssue(first), body);
}
