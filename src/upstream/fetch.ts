/**
 * One outbound call to a provider: timeout, no redirects, client disconnect propagated.
 * Failures before the response headers become GatewayErrors the fallback logic understands.
 */
import { GatewayError } from "../errors";
import type { Provider } from "../env";
import { concatBytes } from "../util/bytes";

export interface UpstreamCall {
  response: Response;
  /** Aborts the upstream request (body read or stream included). */
  abort: (reason: string) => void;
  /** Stops the time-to-headers timer once a stream takes over with its idle timeout. */
  clearTimer: () => void;
  /** Whether the time-to-headers/body timer fired. */
  timedOut: () => boolean;
  latencyMs: number;
}

export function upstreamUrl(provider: Provider, path: string): string {
  const base = provider.base_url.replace(/\/+$/, "");
  const url = `${base}${path}`;
  return provider.api_version === undefined ? url : `${url}?api-version=${encodeURIComponent(provider.api_version)}`;
}

export async function callProvider(
  provider: Provider,
  init: { method: "POST" | "GET" | "DELETE"; path: string; headers: Record<string, string>; body?: string | FormData },
  clientSignal: AbortSignal | undefined,
): Promise<UpstreamCall> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort("timeout");
  }, provider.timeout_ms);
  const onClientGone = (): void => controller.abort("client disconnected");
  clientSignal?.addEventListener("abort", onClientGone, { once: true });

  const started = Date.now();
  let response: Response;
  try {
    response = await fetch(upstreamUrl(provider, init.path), {
      method: init.method,
      headers: init.headers,
      body: init.body ?? null,
      // A provider that redirects is misconfigured or compromised; following it could send
      // the provider key elsewhere.
      redirect: "manual",
      signal: controller.signal,
    });
  } catch {
    clearTimeout(timer);
    clientSignal?.removeEventListener("abort", onClientGone);
    throw new GatewayError(timedOut ? "upstream_timeout" : "upstream_unavailable", { detail: `provider ${provider.id}: ${timedOut ? "timeout" : "connection failed"}` });
  }
  return {
    response,
    abort: (reason) => controller.abort(reason),
    clearTimer: () => clearTimeout(timer),
    timedOut: () => timedOut,
    latencyMs: Date.now() - started,
  };
}

/**
 * Reads a body up to `maxBytes`. Over the cap the upstream is aborted and the error is
 * `upstream_response_too_large`; a timeout while reading is `upstream_timeout`.
 */
export async function readCapped(call: UpstreamCall, maxBytes: number, providerId: string): Promise<Uint8Array> {
  const body = call.response.body;
  if (body === null) return new Uint8Array(0);
  const declared = Number(call.response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    call.abort("response too large");
    throw new GatewayError("upstream_response_too_large", { detail: `provider ${providerId}: content-length ${declared}` });
  }
  const encoding = call.response.headers.get("content-encoding");
  if (Number.isFinite(declared) && (encoding === null || encoding === "identity")) {
    // Declared, under the cap and not compressed: one read by the runtime, which refuses a
    // body longer than its Content-Length itself (reading it chunk by chunk in JavaScript
    // cost a few percent of a request's CPU). A compressed body is decompressed as it is
    // read, so its Content-Length says nothing of what it becomes: it is counted below.
    try {
      return new Uint8Array(await call.response.arrayBuffer());
    } catch {
      throw readFailed(call, providerId);
    } finally {
      call.clearTimer();
    }
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        call.abort("response too large");
        reader.cancel().catch(() => {});
        throw new GatewayError("upstream_response_too_large", { detail: `provider ${providerId}: body over ${maxBytes}` });
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw readFailed(call, providerId);
  } finally {
    call.clearTimer();
  }
  return concatBytes(chunks, total);
}

/** A body read that failed: the provider's timeout, or a broken connection. */
function readFailed(call: UpstreamCall, providerId: string): GatewayError {
  const timedOut = call.timedOut();
  return new GatewayError(timedOut ? "upstream_timeout" : "upstream_unavailable", { detail: `provider ${providerId}: body read ${timedOut ? "timed out" : "failed"}` });
}
