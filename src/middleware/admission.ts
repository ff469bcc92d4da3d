/**
 * Stage 7: admission. Exactly one RPC call to the client's Durable Object per request,
 * which answers for everything that must be exact about the client (today: API keys
 * revoked since KV last caught up; the quota work adds limits and budgets to the same call).
 *
 * Failure is closed: an object that cannot answer means 503, never "admitted". Errors that
 * the runtime marks `.overloaded` are not retried (retrying feeds the overload); errors
 * marked `.retryable` are retried once with a fresh stub, as Cloudflare's guidance says.
 */
import type { MiddlewareHandler } from "hono";
import type { AdmitRequest, AdmitResult } from "../admission/client-state";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";

interface DurableObjectErrorFlags {
  overloaded?: boolean;
  retryable?: boolean;
}

export async function admitWithRetry(ns: AppEnv["Bindings"]["CLIENT_STATE"], clientId: string, req: AdmitRequest): Promise<AdmitResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ns.get(ns.idFromName(clientId)).admit(req);
    } catch (err) {
      const flags = (typeof err === "object" && err !== null ? err : {}) as DurableObjectErrorFlags;
      if (flags.overloaded === true) throw new GatewayError("admission_unavailable", { detail: "client object overloaded" });
      if (flags.retryable === true && attempt === 0) continue;
      throw new GatewayError("admission_unavailable", { detail: `client object failed${flags.retryable === true ? " twice" : ""}` });
    }
  }
}

/**
 * @example app.use("/v1/*", admission())
 */
export function admission(): MiddlewareHandler<AppEnv> {
  return async function admissionStage(c, next) {
    const identity = c.var.identity;
    const result = await admitWithRetry(c.env.CLIENT_STATE, identity.clientId, { keyHash: identity.keyHash ?? "", now: Date.now() });
    if (!result.ok) {
      throw new GatewayError("invalid_api_key", { detail: "api key revoked (client object)", headers: { "www-authenticate": 'Bearer realm="aigis", error="invalid_token"' } });
    }
    await next();
  };
}
