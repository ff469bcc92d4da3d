/**
 * Stage 4: authenticate. Resolves the caller's credential (an API key, or a JWT from a
 * configured OIDC issuer) to an identity, or refuses with
 * 401 and one generic message (RFC 6750 section 3.1: `error="invalid_token"`); which check
 * failed goes to analytics only. The active rules are loaded here as well, so that every
 * data point from this stage on, rejections included, carries the rules version.
 * An address with too many recent failures is refused first, at no cost (auth/throttle.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import { extractKey, verifyApiKey } from "../auth/api-keys";
import { GatewayError } from "../errors";
import { looksLikeJwt } from "../auth/jwt";
import { verifyJwtCached } from "../auth/jwt-cache";
import { getConfig, secretOf, type AppEnv } from "../env";
import { getRules, type RulesState } from "../rules/store";
import type { Identity } from "../auth/identity";
import { signalSource } from "../rules/signal";
import { blockedFor, clientAddress, recordFailure } from "../auth/throttle";

/**
 * @example app.use("/v1/*", authenticate())
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateStage(c, next) {
    const now = Date.now();
    await loadRules(c, now);
    const address = refuseIfThrottled(c.req.raw.headers, now);

    const credential = extractKey(c.req.raw.headers);
    const issuers = getConfig(c.env).auth.jwt_issuers;
    // API keys start with their prefix and never contain dots; anything shaped like a JWT
    // goes to the issuers, when any are configured.
    const isJwt = credential !== undefined && issuers.length > 0 && looksLikeJwt(credential);
    const result = isJwt ? await verifyJwtCached(credential, issuers, (name) => secretOf(c.env, name), now) : await verifyApiKey(c.env.CONFIG_KV, credential, now);
    if (typeof result === "string") refuseCredential(c, address, now, `${isJwt ? "jwt" : "api key"} ${result}`);
    setIdentity(c, result);
    await next();
  };
}

/** Loads the active rules onto the context, so every data point from here on carries their version. */
export async function loadRules(c: Context<AppEnv>, now: number): Promise<RulesState> {
  const rules = await getRules(c.env.CONFIG_KV, now, signalSource(c.env.RULES_SIGNAL));
  c.set("rules", rules);
  c.get("log").rulesVersion = `${rules.version}@${rules.hash}`;
  return rules;
}

/** Refuses an address with too many recent failures (no I/O); returns its throttle key. */
export function refuseIfThrottled(headers: Headers, now: number): string {
  const address = clientAddress(headers);
  const wait = blockedFor(address, now);
  if (wait > 0) {
    const seconds = String(Math.ceil(wait / 1000));
    throw new GatewayError("auth_rate_limited", { detail: "too many failed authentications", headers: { "retry-after": seconds } });
  }
  return address;
}

/** Counts a failed authentication against the address and refuses with the one generic 401. */
export function refuseCredential(c: Context<AppEnv>, address: string, now: number, detail: string): never {
  // Counted after the response: the 401 does not wait for the limiter.
  c.executionCtx.waitUntil(recordFailure(c.env.AUTH_FAILURES, address, now).catch(() => {}));
  throw new GatewayError("invalid_api_key", { detail, headers: { "www-authenticate": 'Bearer realm="aigis", error="invalid_token"' } });
}

/** The caller is known: later stages, analytics and the audit see who it is. */
export function setIdentity(c: Context<AppEnv>, identity: Identity): void {
  c.get("log").clientId = identity.clientId;
  c.get("log").tenant = identity.tenant;
  c.set("identity", identity);
}
