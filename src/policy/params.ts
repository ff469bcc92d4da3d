/**
 * The parameter policy of a plan applied to a validated request body. Pure: returns the
 * body to forward (a copy when anything changed) and what was changed, or throws 403
 * `parameter_not_allowed` naming the field.
 */
import { GatewayError } from "../errors";
import type { ApiRoute } from "../routes";
import type { ParamPolicy } from "../rules/schema";
import { matchesModel } from "./models";

export interface ParamOutcome {
  body: Record<string, unknown>;
  /** Fields removed or lowered, for the response header and analytics (`strip:logprobs`, `clamp:n`). */
  changes: string[];
  /** True when logprobs were removed because logit_bias came with them. */
  logprobsStripped: boolean;
}

const deny = (param: string, why: string): GatewayError =>
  new GatewayError("parameter_not_allowed", { param, message: `The parameter '${param}' is not allowed for this key.`, detail: `policy: ${why}` });

const present = (b: Record<string, unknown>, k: string): boolean => b[k] !== undefined && b[k] !== null;

/** Token-id arrays: a number array, or an array of number arrays. */
function isTokenInput(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0) return false;
  return v.every((x) => typeof x === "number" || (Array.isArray(x) && x.every((y) => typeof y === "number")));
}

/** The hosted tools the provider runs; each type the plan's `tool_types` must allow. */
function checkTools(body: Record<string, unknown>, p: ParamPolicy): void {
  const typeAllowed = (type: string): boolean => p.tool_types.some((pattern) => matchesModel(pattern, type));
  // Chat's built-in search is a field, not a tool entry; it is the same provider-side fetch.
  if (present(body, "web_search_options") && !typeAllowed("web_search")) throw deny("web_search_options", "tool type web_search");
  if (!Array.isArray(body.tools)) return;
  body.tools.forEach((tool: unknown, i) => {
    if (tool === null || typeof tool !== "object") return;
    const t = tool as Record<string, unknown>;
    const type = String(t.type);
    if (!typeAllowed(type)) throw deny(`tools[${i}]`, `tool type ${type}`);
    if (type === "mcp") {
      const server = mcpServer(t);
      if (server.error !== undefined || !p.mcp_servers.some((entry) => mcpEntryMatches(entry, server.name))) {
        throw deny(`tools[${i}].${t.connector_id === undefined ? "server_url" : "connector_id"}`, server.error ?? `mcp server ${server.name} not listed`);
      }
    }
    if (type === "file_search" && Array.isArray(t.vector_store_ids)) {
      const j = t.vector_store_ids.findIndex((id) => !p.vector_stores.includes(String(id)));
      if (j >= 0) throw deny(`tools[${i}].vector_store_ids[${j}]`, "vector store not listed");
    }
  });
}

/** What a plan's `mcp_servers` entry is matched against: `connector:<id>` or the https host. */
function mcpServer(t: Record<string, unknown>): { name: string; error?: string } {
  if (typeof t.connector_id === "string") return { name: `connector:${t.connector_id}` };
  if (typeof t.server_url !== "string") return { name: "", error: "mcp tool without server_url" };
  let url: URL;
  try {
    url = new URL(t.server_url);
  } catch {
    return { name: "", error: "mcp server_url is not a URL" };
  }
  // Plain http would carry the tool's authorization header and the model's arguments in clear.
  if (url.protocol !== "https:") return { name: url.hostname, error: "mcp server_url is not https" };
  return { name: url.hostname.toLowerCase() };
}

function mcpEntryMatches(entry: string, name: string): boolean {
  if (entry.startsWith("*.")) return name.endsWith(entry.slice(1)) && name.length > entry.length - 1;
  return entry === name;
}

const OUTPUT_CAP_FIELDS = ["max_tokens", "max_completion_tokens", "max_output_tokens"] as const;

export function applyParamPolicy(route: ApiRoute, input: Record<string, unknown>, p: ParamPolicy): ParamOutcome {
  const body = { ...input };
  const changes: string[] = [];
  let logprobsStripped = false;

  const toggle = (field: string, mode: "allow" | "strip" | "reject"): void => {
    if (!present(body, field) || mode === "allow") return;
    if (mode === "reject") throw deny(field, `${field} not allowed`);
    delete body[field];
    changes.push(`strip:${field}`);
  };
  const cap = (field: string, rule: { max: number; action: "clamp" | "reject" }): void => {
    const v = body[field];
    if (typeof v !== "number" || v <= rule.max) return;
    if (rule.action === "reject") throw deny(field, `${field} over ${rule.max}`);
    body[field] = rule.max;
    changes.push(`clamp:${field}`);
  };

  if (body.stream === true && p.stream === "reject") throw deny("stream", "stream not allowed");
  for (const f of OUTPUT_CAP_FIELDS) cap(f, p.max_output_tokens);
  cap("n", p.n);
  cap("best_of", p.best_of);
  toggle("echo", p.echo);
  toggle("tools", p.tools);
  if (changes.includes("strip:tools")) {
    // tool_choice and parallel_tool_calls mean nothing without tools; the provider would refuse them.
    delete body.tool_choice;
    delete body.parallel_tool_calls;
  }
  checkTools(body, p);
  if (route === "chat" || route === "responses") {
    if (p.store === "reject" && body.store === true) throw deny("store", "store: true not allowed");
    if (p.store === "off" && body.store !== false) {
      body.store = false;
      changes.push("set:store");
    }
  }

  // Which fields carry logprobs on this route: chat `logprobs` (bool) + `top_logprobs`;
  // responses `top_logprobs`; legacy completions `logprobs` (an integer top-k).
  const logprobFields = route === "completions" ? ["logprobs"] : ["logprobs", "top_logprobs"];
  const wantsLogprobs = logprobFields.some((f) => present(body, f) && body[f] !== false && body[f] !== 0);
  if (present(body, "logit_bias") && wantsLogprobs) {
    if (p.logit_bias_with_logprobs === "reject") throw deny("logit_bias", "logit_bias with logprobs");
    if (p.logit_bias_with_logprobs === "strip_logprobs") {
      for (const f of logprobFields) delete body[f];
      changes.push("strip:logprobs");
      logprobsStripped = true;
    }
  }
  toggle("logit_bias", p.logit_bias);
  if (p.logprobs !== "allow") for (const f of logprobFields) toggle(f, p.logprobs);
  cap(route === "completions" ? "logprobs" : "top_logprobs", p.top_logprobs);

  const t = body.temperature;
  if (typeof t === "number" && (t < p.temperature.min || t > p.temperature.max)) {
    if (p.temperature.action === "reject") throw deny("temperature", "temperature out of range");
    body.temperature = Math.min(p.temperature.max, Math.max(p.temperature.min, t));
    changes.push("clamp:temperature");
  }

  if (p.token_arrays === "reject") {
    if (route === "completions" && isTokenInput(body.prompt)) throw deny("prompt", "token-id prompt");
    if (route === "embeddings" && isTokenInput(body.input)) throw deny("input", "token-id input");
  }
  return { body: changes.length === 0 ? input : body, changes, logprobsStripped };
}
