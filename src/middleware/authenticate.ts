/**
 * Stage 4: authenticate. Resolves the caller's credential to an identity, or refuses with
 * 401 and one generic message (RFC 6750 section 3.1: `error="invalid_token"`); which check
 * failed goes to analytics only. The active rules are loaded here as well, so that every
 * data point from this stage on, rejections included, carries the rules version.
 */
import type { MiddlewareHandler } from "hono";
import { extractKey, verifyApiKey } from "../auth/api-keys";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { getRules } from "../rules/store";

/**
 * @example app.use("/v1/*", authenticate())
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateStage(c, next) {
    const log = c.var.log;
    const now = Date.now();
    const rules = await getRules(c.env.CONFIG_KV, now);
    c.set("rules", rules);
    log.rulesVersion = `${rules.version}@${rules.hash}`;

    const result = await verifyApiKey(c.env.CONFIG_KV, extractKey(c.req.raw.headers), now);
    if (typeof result === "string") {
      throw new GatewayError("invalid_api_key", { detail: `api key ${result}`, headers: { "www-authenticate": 'Bearer realm="aigis", error="invalid_token"' } });
    }
    log.clientId = result.clientId;
    log.tenant = result.tenant;
    c.set("identity", result);
    await next();
  };
}
