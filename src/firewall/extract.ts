/**
 * What the model will read: every piece of client text in a validated request body, with
 * where it sits (for redaction and for the `param` of an error) and who "speaks" it (for
 * rules that apply to some roles only).
 *
 * The walk is generic on purpose. A list of the fields to scan would miss whatever the next
 * API version adds, or what `unknown_fields: pass` lets through; here every string is
 * scanned unless its key is known to hold an identifier, an enum or opaque data
 * (`NOT_TEXT`). Forgetting a key in that list costs CPU, never a missed scan: the failure
 * mode is closed.
 */

/** Who a text is attributed to; `definition` is tool and schema text the client supplies. */
export type TextRole = "system" | "developer" | "user" | "assistant" | "tool" | "definition";
export const TEXT_ROLES: readonly TextRole[] = ["system", "developer", "user", "assistant", "tool", "definition"];

export type PathSegment = string | number;

export interface TextSlot {
  path: PathSegment[];
  text: string;
  role: TextRole;
  /** False for object keys of free-form schemas: scanned, but there is no value to rewrite. */
  writable: boolean;
}

export interface ImageRef {
  path: PathSegment[];
  url: string;
}

export interface Extraction {
  texts: TextSlot[];
  images: ImageRef[];
  /** Characters of text found, for analytics and budgets. */
  chars: number;
}

/**
 * Keys whose string values the model does not read as text: ids, enum settings, opaque or
 * binary data (audio, files, encrypted reasoning), and metadata stored beside the request.
 * `file_data` and audio are base64 the gateway cannot read; docs/firewall.md says so.
 */
const NOT_TEXT = new Set([
  "model", "role", "type", "id", "tool_call_id", "call_id", "caller_id", "previous_response_id", "conversation",
  "detail", "format", "voice", "service_tier", "reasoning_effort", "effort", "verbosity", "user", "safety_identifier",
  "prompt_cache_key", "prompt_cache_retention", "encoding_format", "status", "phase", "metadata", "stop",
  "logit_bias", "file_id", "file_data", "filename", "data", "encrypted_content", "modalities", "include",
  "truncation", "tool_choice", "approval_request_id", "vector_store_ids", "syntax", "search_context_size",
  "background", "server_url", "server_label", "connector_id", "authorization", "require_approval", "allowed_domains",
  "timezone", "ranking_options", "filters", "generate_summary", "namespace",
]);

/** Keys whose whole value (object or array) is settings or stored data, never prompt text. */
const NOT_TEXT_TREE = new Set(["metadata", "logit_bias", "stop", "tool_choice", "include", "filters", "ranking_options", "vector_store_ids", "modalities", "allowed_domains", "encrypted_content"]);

/** Free-form JSON Schema objects: their property names are read by the model too. */
const SCHEMA_KEYS = new Set(["parameters", "schema", "output_schema", "input_schema"]);

/** Top-level fields that define tools or output formats, not conversation. */
const DEFINITION_KEYS = new Set(["tools", "functions", "response_format", "text"]);

/** Responses-API item types whose text comes back from a tool. */
const TOOL_OUTPUT_TYPES = new Set(["function_call_output", "custom_tool_call_output", "mcp_approval_response", "local_shell_call_output", "shell_call_output", "apply_patch_call_output", "tool_search_output", "program_output"]);
const MODEL_CALL_TYPES = new Set(["function_call", "custom_tool_call", "reasoning"]);

const ROLE_OF_VALUE: Readonly<Record<string, TextRole>> = {
  system: "system",
  developer: "developer",
  user: "user",
  assistant: "assistant",
  tool: "tool",
  function: "tool",
};

export class ExtractionLimitError extends Error {
  constructor(readonly path: PathSegment[]) {
    super("too many text parts");
  }
}

export class MalformedTextError extends Error {
  constructor(readonly path: PathSegment[]) {
    super("text is not well-formed UTF-16");
  }
}

/** `String.prototype.isWellFormed` (ES2024): a lone surrogate cannot be encoded as UTF-8 for the provider. */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Collects every client text of `body`.
 * Throws `MalformedTextError` for a lone surrogate anywhere in a string (JSON allows
 * `"\ud800"`; UTF-8 cannot carry it) and `ExtractionLimitError` past `maxTexts` strings.
 *
 * @example
 * extractTexts({ model: "m", messages: [{ role: "user", content: "hi" }] }).texts
 * // [{ path: ["messages", 0, "content"], text: "hi", role: "user", writable: true }]
 */
export function extractTexts(body: Record<string, unknown>, maxTexts = 10_000): Extraction {
  const out: Extraction = { texts: [], images: [], chars: 0 };
  const path: PathSegment[] = [];

  const push = (text: string, role: TextRole, writable: boolean): void => {
    if (!isWellFormed(text)) throw new MalformedTextError([...path]);
    if (text.length === 0) return;
    if (out.texts.length >= maxTexts) throw new ExtractionLimitError([...path]);
    out.texts.push({ path: [...path], text, role, writable });
    out.chars += text.length;
  };

  const walk = (value: unknown, key: PathSegment | undefined, role: TextRole, inSchema: boolean): void => {
    if (typeof value === "string") {
      if (typeof key === "string" && NOT_TEXT.has(key) && !inSchema) {
        // Identifiers are not read as prose, but they must still be encodable.
        if (!isWellFormed(value)) throw new MalformedTextError([...path]);
        return;
      }
      if (key === "url" || key === "image_url" || key === "file_url") {
        out.images.push({ path: [...path], url: value });
        return;
      }
      push(value, role, true);
      return;
    }
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walk(value[i], key, role, inSchema);
        path.pop();
      }
      return;
    }
    const obj = value as Record<string, unknown>;
    let here = role;
    const r = obj.role;
    const t = obj.type;
    if (!inSchema) {
      if (typeof r === "string" && Object.hasOwn(ROLE_OF_VALUE, r)) here = ROLE_OF_VALUE[r] as TextRole;
      else if (typeof t === "string" && TOOL_OUTPUT_TYPES.has(t)) here = "tool";
      else if (typeof t === "string" && MODEL_CALL_TYPES.has(t)) here = "assistant";
    }
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      path.push(k);
      if (inSchema) {
        // Property names of a schema are prose to the model ("ignore_all_rules": {...}).
        push(k, "definition", false);
        walk(v, k, "definition", true);
      } else if (NOT_TEXT_TREE.has(k)) {
        checkWellFormed(v);
      } else if (SCHEMA_KEYS.has(k) && v !== null && typeof v === "object") {
        walk(v, k, "definition", true);
      } else {
        const childRole = path.length === 1 && DEFINITION_KEYS.has(k) ? "definition" : path.length === 1 && k === "instructions" ? "system" : here;
        walk(v, k, childRole, false);
      }
      path.pop();
    }
  };

  const checkWellFormed = (value: unknown): void => {
    if (typeof value === "string") {
      if (!isWellFormed(value)) throw new MalformedTextError([...path]);
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (!isWellFormed(k)) throw new MalformedTextError([...path]);
        checkWellFormed(v);
      }
    }
  };

  walk(body, undefined, "user", false);
  return out;
}

/** Replaces the string at `path` in `body` (which the firewall owns: the validated copy). */
export function setAtPath(body: Record<string, unknown>, path: readonly PathSegment[], value: string): void {
  let node: unknown = body;
  for (let i = 0; i < path.length - 1; i++) node = (node as Record<PathSegment, unknown>)[path[i] as PathSegment];
  (node as Record<PathSegment, unknown>)[path[path.length - 1] as PathSegment] = value;
}

/** `messages[2].content[0].text`, the OpenAI style of `param`. */
export function paramOf(path: readonly PathSegment[]): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s === "" ? p : `.${p}`;
  return s;
}
