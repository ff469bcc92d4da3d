/**
 * Stage 4: authenticate. Resolves the caller's credential (an API key, or a JWT from a
 * configured OIDC issuer) to an identity, or refuses with
 * 401 and one generic message (RFC 6750 section 3.1: `error="invalid_token"`); which check
 * failed goes to analytics only. The active rules are loaded here as well, so that every
 * data point from this stage on, rejections included, carries the rules version.
 * An address with too many recent failures is refused first, at no cost (auth/throttle.ts).
 */
import type { MiddlewareHandler } from "hono";
import { extractKey, verifyApiKey } from "../auth/api-keys";
import { GatewayError } from "../errors";
import { looksLikeJwt } from "../auth/jwt";
import { verifyJwtCached } from "../auth/jwt-cache";
import { getConfig, secretOf, type AppEnv } from "../env";
import { getRules } from "../rules/store";
import { signalSource } from "../rules/signal";
import { blockedFor, clientAddress, recordFailure } from "../auth/throttle";

/**
 * @example app.use("/v1/*", authenticate())
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateStage(c, next) {
    const log = c.var.log;
    const now = Date.now();
    const rules = await getRules(c.env.CONFIG_KV, now, signalSource(c.env.RULES_SIGNAL));
    c.set("rules", rules);
    log.rulesVersion = `${rules.version}@${rules.hash}`;

    const address = clientAddress(c.req.raw.headers);
    const wait = blockedFor(address, now);
    if (wait > 0) {
      const seconds = String(Math.ceil(wait / 1000));
      throw new GatewayError("auth_rate_limited", { detail: "too many failed authentications", headers: { "retry-after": seconds } });
    }

    const credential = extractKey(c.req.raw.headers);
    const issuers = getConfig(c.env).auth.jwt_issuers;
    // API keys start with their prefix and never contain dots; anything shaped like a JWT
    // goes to the issuers, when any are configured.
    const isJwt = credential !== undefined && issuers.length > 0 && looksLikeJwt(credential);
    const result = isJwt ? await verifyJwtCached(credential, issuers, (name) => secretOf(c.env, name), now) : await verifyApiKey(c.env.CONFIG_KV, credential, now);
    if (typeof result === "string") {
      // Counted after the response: the 401 does not wait for the limiter.
      c.executionCtx.waitUntil(recordFailure(c.env.AUTH_FAILURES, address, now).catch(() => {}));
      throw new GatewayError("invalid_api_key", { detail: `${isJwt ? "jwt" : "api key"} ${result}`, headers: { "www-authenticate": 'Bearer realm="aigis", error="invalid_token"' } });
    }
    log.clientId = result.clientId;
    log.tenant = result.tenant;
    c.set("identity", result);
    await next();
  };
}
