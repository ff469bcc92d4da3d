/**
 * The forward stage: sends the validated request to the provider chosen by model, with
 * fallback, and turns what comes back into the client's response.
 *
 * Fallback happens only before the first byte reaches the client (connection error,
 * timeout, 5xx): after that a retry could duplicate output the client already has.
 */
import type { Context } from "hono";
import { GatewayError } from "../errors";
import { getConfig, providerKey, type AppEnv, type Provider, type UpstreamOutcome } from "../env";
import { ROUTES } from "../routes";
import { callProvider, readCapped, type UpstreamCall } from "./fetch";
import { clientHeaders, upstreamHeaders } from "./headers";
import { providerChain, upstreamModel } from "./providers";
import { guardStream, type StreamKind } from "./stream-guard";
import { usageFromBody } from "./usage";
import { roundEmbeddings, roundingRewriter, roundLogprobs } from "../extraction/degrade";
import { createdResponseOf } from "../policy/objects";

const decoder = new TextDecoder();

/** Retry-After from a provider, if it is a sane number of seconds (RFC 9110 section 10.2.3). */
function retryAfter(h: Headers): Record<string, string> {
  const v = h.get("retry-after");
  if (v === null || !/^\d{1,5}$/.test(v.trim())) return {};
  return { "retry-after": v.trim() };
}

/** An identifier-like `param` from a provider error, or null; anything else could echo input. */
function safeParam(v: unknown): string | null {
  return typeof v === "string" && /^[A-Za-z0-9_.[\]-]{1,64}$/.test(v) ? v : null;
}

/** Maps a provider's non-2xx answer (after fallbacks) to the gateway's error. */
export async function providerError(call: UpstreamCall, provider: Provider): Promise<GatewayError> {
  const status = call.response.status;
  const detail = `provider ${provider.id}: status ${status}`;
  let param: string | null = null;
  if (status >= 400 && status < 500) {
    try {
      const body = JSON.parse(decoder.decode(await readCapped(call, 64 * 1024, provider.id))) as { error?: { param?: unknown } };
      param = safeParam(body.error?.param);
    } catch {
      // Unreadable error body: the status alone decides.
    }
  } else {
    call.abort("error response");
    await call.response.body?.cancel().catch(() => {});
  }
  if (status >= 300 && status < 400) return new GatewayError("upstream_error", { detail: `${detail} (redirect not followed)` });
  if (status === 429) return new GatewayError("upstream_rate_limited", { detail, headers: retryAfter(call.response.headers) });
  // The provider refusing the gateway's own key is the operator's problem, not the caller's.
  if (status === 401 || status === 403) return new GatewayError("upstream_error", { detail: `${detail} (provider rejected the gateway's credentials)` });
  if (status === 404) return new GatewayError("model_not_found", { param: "model", detail });
  // Provider messages are not relayed: they can quote the request or name the provider account.
  if (status >= 400 && status < 500) return new GatewayError("upstream_rejected", { param, detail });
  return new GatewayError("upstream_error", { detail });
}

/** Try the provider chain until one answers without a retryable failure. */
async function callChain(c: Context<AppEnv>, chain: Provider[], path: string, body: Record<string, unknown>, model: string): Promise<{ call: UpstreamCall; provider: Provider }> {
  const log = c.get("log");
  for (let i = 0; i < chain.length; i++) {
    const provider = chain[i] as Provider;
    const last = i === chain.length - 1;
    if (i > 0) log.fallbackUsed = true;
    log.provider = provider.id;
    const headers = upstreamHeaders(c.req.raw.headers, { scheme: provider.auth === "api-key" ? "api-key" : "bearer", key: providerKey(c.env, provider) }, c.get("requestId"));
    const text = JSON.stringify({ ...body, model: upstreamModel(provider, model) });
    let call: UpstreamCall;
    try {
      call = await callProvider(provider, { method: "POST", path, headers, body: text }, c.req.raw.signal);
    } catch (err) {
      if (!last && err instanceof GatewayError) continue;
      throw err;
    }
    log.upstreamLatencyMs = call.latencyMs;
    if (call.response.status >= 500 && !last) {
      call.abort("falling back");
      await call.response.body?.cancel().catch(() => {});
      continue;
    }
    return { call, provider };
  }
  // Unreachable while chain is non-empty; kept so a config bug can never mean "unchecked".
  throw new GatewayError("provider_not_configured", { detail: "empty provider chain" });
}

/** The handler for every proxied POST route. */
export async function forwardRequest(c: Context<AppEnv>): Promise<Response> {
  const config = getConfig(c.env);
  const spec = ROUTES[c.req.path];
  const body = c.get("body");
  const model = String(body.model);
  const chain = providerChain(config, model);
  if (chain.length === 0 || spec?.upstreamPath === undefined) throw new GatewayError("model_not_found", { param: "model", detail: "no provider serves this model" });

  // Streams: ask the provider for usage so the settle stage charges what it reports rather
  // than an estimate; the usage chunk is kept from clients that did not ask for it.
  const route = c.get("route");
  const clientWantsUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const askUsage = body.stream === true && (route === "chat" || route === "completions") && !clientWantsUsage;
  const sent = askUsage ? { ...body, stream_options: { ...(body.stream_options as object | undefined), include_usage: true } } : body;
  const { call, provider } = await callChain(c, chain, spec.upstreamPath, sent, model);
  const res = call.response;
  if (res.status < 200 || res.status >= 300) throw await providerError(call, provider);

  const headers = clientHeaders(res.headers);
  const log = c.get("log");
  const wantsStream = body.stream === true;
  const isSse = (res.headers.get("content-type") ?? "").startsWith("text/event-stream");

  if (wantsStream && isSse && res.body !== null) {
    call.clearTimer();
    const kind = c.get("route") as StreamKind;
    const guarded = guardStream(res.body, {
      kind,
      idleTimeoutMs: provider.idle_timeout_ms,
      maxBytes: config.max_response_bytes,
      abort: call.abort,
      maxOutputTokens: c.get("reservation")?.granted,
      countOutput: c.get("reservation") !== undefined,
      hideUsageChunk: askUsage,
      // A response the provider does not store cannot be continued: no ids worth keeping.
      keepResponse: body.store !== false,
      rewriter: c.get("probeDegrade") === undefined ? c.get("protection")?.rewriter(kind) : roundingRewriter(c.get("protection")?.rewriter(kind), c.get("probeDegrade").logprob_decimals),
    });
    const outcome = { reached: true, inputTokens: undefined, outputTokens: undefined, countedOutputTokens: undefined, aborted: false } as UpstreamOutcome;
    c.set("upstream", outcome);
    c.set(
      "streamDone",
      guarded.done.then((s) => {
        log.responseBytes = s.bytes;
        log.streamCut = s.outcome === "cut";
        if (s.errorCode !== "") log.errorCode = s.errorCode;
        if (s.usage !== undefined) Object.assign(log, { promptTokens: s.usage.promptTokens, completionTokens: s.usage.completionTokens, totalTokens: s.usage.totalTokens });
        outcome.inputTokens = s.usage?.promptTokens;
        outcome.outputTokens = s.usage?.completionTokens;
        outcome.countedOutputTokens = s.countedOutputTokens;
        // A stream the gateway or the client ended early is charged for what was generated.
        outcome.aborted = s.outcome !== "complete";
        if (s.createdResponse !== undefined) c.set("createdResponse", s.createdResponse);
        c.get("protection")?.record(log);
      }),
    );
    headers.set("content-type", "text/event-stream; charset=utf-8");
    headers.set("cache-control", "no-cache");
    return new Response(guarded.stream, { status: 200, headers });
  }
  if (wantsStream) throw new GatewayError("upstream_error", { detail: `provider ${provider.id}: stream requested, got ${res.headers.get("content-type") ?? "no content-type"}` });

  const bytes = await readCapped(call, config.max_response_bytes, provider.id);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new GatewayError("upstream_error", { detail: `provider ${provider.id}: response is not JSON` });
  }
  const usage = usageFromBody(parsed);
  if (usage !== undefined) Object.assign(log, { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, totalTokens: usage.totalTokens });
  c.set("upstream", { reached: true, inputTokens: usage?.promptTokens, outputTokens: usage?.completionTokens, countedOutputTokens: undefined, aborted: false });
  log.responseBytes = bytes.byteLength;
  // Response protection on the whole body: redacts, restores placeholders, or withholds it
  // (the provider was reached: usage above is charged either way).
  const protection = c.get("protection");
  let out: Uint8Array | string = bytes;
  if (protection !== undefined) {
    if (!protection.protectBody(parsed)) throw new GatewayError("response_blocked", { detail: "output blocked by rule" });
    // Re-encoded only when a check changed a text: most answers pass unchanged, and then the
    // client gets the provider's own bytes (as with protection off) without a stringify.
    if (protection.changed) out = JSON.stringify(parsed);
  }
  // A degraded client (extraction defence) gets coarser numbers: rounded logprobs, int8 embeddings.
  const degrade = c.get("probeDegrade");
  if (degrade !== undefined) {
    const rounded = roundLogprobs(parsed, degrade.logprob_decimals);
    const vectors = route === "embeddings" && degrade.embeddings_int8 ? roundEmbeddings(parsed) : 0;
    if (rounded || vectors > 0) out = JSON.stringify(parsed);
  }
  if (route === "responses" && body.store !== false) c.set("createdResponse", createdResponseOf(parsed));
  headers.set("content-type", "application/json");
  return new Response(out, { status: res.status, headers });
}
