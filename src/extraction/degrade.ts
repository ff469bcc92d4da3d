/**
 * The `degrade` action (issue 7): what a client that looks like it is probing still gets.
 * The request keeps working (an SDK sees the same shapes), but the parameters that leak the
 * most about the model carry less: fewer alternatives per position, logprobs rounded,
 * logit_bias clamped to a few small entries, one choice, embeddings rounded to 8 bits.
 *
 * Why each one: a logit-bias sweep (Carlini et al. 2024) reads `top_logprobs − 1` biased
 * logits per query with a bias large enough to lift any token into the top; with one
 * alternative and biases of ±5 it reads none. Rounding logprobs to 0.1 nat takes away the
 * precision that equation-solving extraction needs; `n = 1` stops several samples per query;
 * embedding inversion (vec2text, Morris et al. 2023) works on full-precision vectors.
 *
 * Pure functions over JSON: the request body is copied, response JSON is changed in place
 * (the caller owns it and re-serialises it).
 */
import type { ApiRoute } from "../routes";
import type { JsonObject } from "../util/json";
import { isJsonObject } from "../util/json";
import type { EventRewriter } from "../protect/response";
import type { ProbePolicy } from "./score";

type Degrade = ProbePolicy["degrade"];

/**
 * The request body as a degraded client sends it, and the names of the fields changed.
 *
 * @example degradeRequest("chat", { model: "m", messages, logprobs: true, top_logprobs: 20, n: 4 }, policy.degrade)
 * // { body: { …, top_logprobs: 1, n: 1 }, changed: ["top_logprobs", "n"] }
 */
export function degradeRequest(route: ApiRoute, body: JsonObject, d: Degrade): { body: JsonObject; changed: string[] } {
  const out: JsonObject = { ...body };
  const changed: string[] = [];
  const cap = (field: string, max: number) => {
    const v = out[field];
    if (typeof v === "number" && v > max) {
      out[field] = max;
      changed.push(field);
    }
  };
  if (route === "chat" || route === "responses") cap("top_logprobs", d.top_logprobs);
  // Legacy completions: `logprobs` is the integer number of alternatives.
  if (route === "completions") cap("logprobs", d.top_logprobs);
  if (route !== "embeddings" && route !== "responses") {
    cap("n", 1);
    cap("best_of", 1);
  }
  const bias = out.logit_bias;
  if (isJsonObject(bias)) {
    const clamped = clampBias(bias, d.logit_bias_tokens, d.max_bias);
    if (clamped !== null) {
      out.logit_bias = clamped;
      changed.push("logit_bias");
    }
  }
  return { body: out, changed };
}

/** logit_bias with at most `keep` entries (lowest ids first) within ±max, or null when it already is. */
function clampBias(bias: JsonObject, keep: number, max: number): JsonObject | null {
  const ids = Object.keys(bias).sort((a, b) => Number(a) - Number(b));
  let same = ids.length <= keep;
  const out: JsonObject = {};
  for (const id of ids.slice(0, keep)) {
    const v = bias[id];
    const n = typeof v === "number" ? Math.max(-max, Math.min(max, v)) : 0;
    if (n !== v) same = false;
    out[id] = n;
  }
  return same ? null : out;
}

/**
 * Rounds every logprob in a response body or stream event of any text route, in place:
 * `logprob` fields (chat, responses), `token_logprobs` and the legacy `top_logprobs` maps
 * (completions). Returns whether anything was there to round. A walk over the whole JSON
 * rather than per-route paths, so a provider's extra logprob fields are rounded too.
 */
export function roundLogprobs(json: unknown, decimals: number): boolean {
  const f = 10 ** decimals;
  const r = (x: number) => Math.round(x * f) / f;
  let found = false;
  const walk = (v: unknown, key: string): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const e = v[i];
        if (key === "token_logprobs" && typeof e === "number") {
          v[i] = r(e);
          found = true;
        } else if (typeof e === "object" && e !== null) walk(e, key);
      }
      return;
    }
    if (!isJsonObject(v)) return;
    // The legacy top_logprobs entry is a map token -> logprob.
    const legacyMap = key === "top_logprobs";
    for (const k of Object.keys(v)) {
      const e = v[k];
      if (typeof e === "number") {
        if (k === "logprob" || legacyMap) {
          v[k] = r(e);
          found = true;
        }
      } else if (typeof e === "object" && e !== null) walk(e, k);
    }
  };
  walk(json, "");
  return found;
}

/**
 * Rounds each embedding of an embeddings response to 8-bit steps of its largest component
 * (what int8 quantisation keeps), in place; base64 embeddings are decoded and re-encoded.
 * Returns how many vectors were rounded.
 */
export function roundEmbeddings(json: unknown): number {
  if (!isJsonObject(json) || !Array.isArray(json.data)) return 0;
  let count = 0;
  for (const item of json.data) {
    if (!isJsonObject(item)) continue;
    const e = item.embedding;
    if (Array.isArray(e)) {
      if (!e.every((x) => typeof x === "number")) continue;
      const v = Float64Array.from(e as number[]);
      quantise(v);
      item.embedding = Array.from(v);
      count++;
    } else if (typeof e === "string") {
      const v = decodeFloat32(e);
      if (v === null) continue;
      quantise(v);
      item.embedding = encodeFloat32(v);
      count++;
    }
  }
  return count;
}

function quantise(v: Float32Array | Float64Array): void {
  let max = 0;
  for (const x of v) max = Math.max(max, Math.abs(x));
  if (max === 0 || !Number.isFinite(max)) return;
  const step = max / 127;
  for (let i = 0; i < v.length; i++) v[i] = Math.round(v[i]! / step) * step;
}

function decodeFloat32(b64: string): Float32Array | null {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return null;
  }
  if (bin.length % 4 !== 0) return null;
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  // Float32Array reads platform byte order; the wire is little-endian, as are Workers' hosts.
  return new Float32Array(bytes.buffer);
}

function encodeFloat32(v: Float32Array): string {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * A stream's event rewriter with logprobs rounded first, for a degraded client: the rounded
 * event is what response protection (`inner`, if any) then sees and forwards.
 */
export function roundingRewriter(inner: EventRewriter | undefined, decimals: number): EventRewriter {
  return {
    rewrite(raw, event, json) {
      let text = raw;
      if (json !== undefined && raw.includes("logprob") && roundLogprobs(json, decimals)) {
        text = `${event !== "" ? `event: ${event}\n` : ""}data: ${JSON.stringify(json)}\n\n`;
      }
      return inner === undefined ? { out: text, blocked: false } : inner.rewrite(text, event, json);
    },
    finish: () => inner?.finish() ?? { out: "", blocked: false },
  };
}
