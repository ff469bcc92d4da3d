/**
 * Who may use the dashboard, and how its answers are sent. A browser signs in once with the
 * admin API key (`POST /admin/session`) and then holds a 15-minute session cookie
 * (src/dashboard/session.ts); every dashboard request re-checks the key behind the session,
 * so revoking the key, or signing out, ends it at once.
 *
 * - Sign-in verifies the key exactly as the authenticate stage does, counts failures against
 *   the same per-address throttle, and needs the `admin` scope.
 * - Every POST must come from the gateway's own origin (`Origin`, which browsers always send
 *   on a POST); sign-out also needs the session's CSRF token (OWASP CSRF Prevention Cheat
 *   Sheet: SameSite cookies are defence in depth, not the defence).
 * - Every dashboard response carries a strict Content-Security-Policy with no inline script or
 *   style, `nosniff`, `no-referrer` and `no-store` (docs/dashboard.md says why each).
 */
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { verifyApiKey, verifyKeyHash } from "../auth/api-keys";
import type { Identity } from "../auth/identity";
import { secretOf, type AppEnv } from "../env";
import { GatewayError } from "../errors";
import { loadRules, refuseCredential, refuseIfThrottled, setIdentity } from "../middleware/authenticate";
import { assertScope } from "../middleware/authorise";
import { decodeUtf8, isJsonContentType, parseJsonObject, validateBody } from "../request/body";
import { clearedSessionCookie, issueSession, MIN_SECRET_LENGTH, SESSION_KEY_SECRET, sessionCookie, sessionKey, sessionTokenOf, verifyCsrf, verifySession, type Session } from "./session";

/** What `requireSession` puts on the context. */
export interface DashboardSession {
  session: Session;
  /** The raw token, from which the CSRF token is derived. */
  token: string;
  key: CryptoKey;
  identity: Identity;
}

export const DASHBOARD_SCOPE = "admin";

/** No inline script or style anywhere: an injected tag or attribute cannot run or restyle the page. */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The dashboard's response headers, on every answer of a dashboard route (errors included).
 * @example app.use("/admin/*", dashboardHeaders())
 */
export function dashboardHeaders(): MiddlewareHandler<AppEnv> {
  return async function dashboardHeadersStage(c, next) {
    await next();
    if (c.get("route") !== "dashboard") return;
    const headers = c.res.headers;
    headers.set("content-security-policy", DASHBOARD_CSP);
    headers.set("x-content-type-options", "nosniff");
    headers.set("referrer-policy", "no-referrer");
    headers.set("cache-control", "no-store");
  };
}

/**
 * Refuses a POST whose `Origin` is not the gateway's own (a missing one included: every
 * browser sends it on a POST, RFC 6454 section 7.3, and a script that omits it is no browser).
 * @example app.post("/admin/logout", sameOrigin(), ...)
 */
export function sameOrigin(): MiddlewareHandler<AppEnv> {
  return async function sameOriginStage(c, next) {
    const origin = c.req.header("origin");
    if (origin !== new URL(c.req.url).origin) throw new GatewayError("csrf_rejected", { detail: origin === undefined ? "dashboard POST without Origin" : "dashboard POST from another origin" });
    await next();
  };
}

/** The session key; without it no session can be issued or checked, so the dashboard is closed. */
function keyOf(env: Env): Promise<CryptoKey> {
  const key = sessionKey(secretOf(env, SESSION_KEY_SECRET));
  if (key === undefined) throw new GatewayError("dashboard_not_configured", { detail: `secret ${SESSION_KEY_SECRET} missing or shorter than ${MIN_SECRET_LENGTH} characters` });
  return key;
}

/** A call to the client's Durable Object (its revocations and sign-outs are strongly consistent); fails closed. */
async function onClient<T>(env: Env, clientId: string, call: (stub: ReturnType<Env["CLIENT_STATE"]["get"]>) => Promise<T>): Promise<T> {
  const ns = env.CLIENT_STATE;
  try {
    return await call(ns.get(ns.idFromName(clientId)));
  } catch {
    throw new GatewayError("auth_unavailable", { detail: "client state unreachable for a dashboard session" });
  }
}

type SessionCheck = Omit<DashboardSession, "key"> | string;

/** The valid session of the request, or why there is none (for logs only). */
async function checkSession(env: Env, key: CryptoKey, token: string | undefined, now: number): Promise<SessionCheck> {
  const session = await verifySession(key, token, now);
  if (typeof session === "string" || token === undefined) return `session ${session}`;
  const [identity, status] = await Promise.all([verifyKeyHash(env.CONFIG_KV, session.keyHash, now), onClient(env, session.clientId, (o) => o.sessionStatus(session.keyHash))]);
  if (typeof identity === "string") return `session key ${identity}`;
  if (identity.clientId !== session.clientId) return "session key changed client";
  if (status.revoked) return "session key revoked";
  if (session.issuedAt <= status.endedAt) return "session ended by sign-out";
  if (!identity.scopes.includes(DASHBOARD_SCOPE)) return "scope";
  return { session, token, identity };
}

/**
 * The current session, or undefined (the page then shows the sign-in form).
 * @example const current = await findSession(c);
 */
export async function findSession(c: Context<AppEnv>): Promise<DashboardSession | undefined> {
  const key = await keyOf(c.env);
  const found = await checkSession(c.env, key, sessionTokenOf(c.req.header("cookie")), Date.now());
  if (typeof found === "string") return undefined;
  setIdentity(c, found.identity);
  return { ...found, key };
}

/**
 * Requires a valid session: 401 `invalid_api_key` without one, 403 when the key lost the admin scope.
 * @example app.get("/admin/api/overview", requireSession(), overview)
 */
export function requireSession(): MiddlewareHandler<AppEnv> {
  return async function requireSessionStage(c, next) {
    const key = await keyOf(c.env);
    const found = await checkSession(c.env, key, sessionTokenOf(c.req.header("cookie")), Date.now());
    if (found === "scope") throw new GatewayError("insufficient_scope", { detail: `dashboard session key lacks scope ${DASHBOARD_SCOPE}` });
    if (typeof found === "string") throw new GatewayError("invalid_api_key", { detail: `dashboard ${found}` });
    setIdentity(c, found.identity);
    c.set("dashboardSession", { ...found, key });
    await next();
  };
}

/**
 * Requires the session's CSRF token in `x-csrf-token` (after `requireSession`).
 * @example app.post("/admin/logout", requireSession(), requireCsrf(), signOut)
 */
export function requireCsrf(): MiddlewareHandler<AppEnv> {
  return async function requireCsrfStage(c, next) {
    const { key, token } = c.get("dashboardSession");
    if (!(await verifyCsrf(key, token, c.req.header("x-csrf-token")))) throw new GatewayError("csrf_rejected", { detail: "dashboard CSRF token missing or wrong" });
    await next();
  };
}

const SignInSchema = z.strictObject({ key: z.string().max(512) });

/** `POST /admin/session` with `{"key": "..."}`: the admin API key for a session cookie. */
export async function signIn(c: Context<AppEnv>): Promise<Response> {
  const key = await keyOf(c.env);
  const now = Date.now();
  await loadRules(c, now);
  const address = refuseIfThrottled(c.req.raw.headers, now);
  if (!isJsonContentType(c.req.header("content-type"))) throw new GatewayError("unsupported_media_type", { detail: "dashboard sign-in content-type" });
  const body = validateBody(SignInSchema, parseJsonObject(decodeUtf8(c.get("rawBody")))) as z.infer<typeof SignInSchema>;
  const identity = await verifyApiKey(c.env.CONFIG_KV, body.key, now);
  if (typeof identity === "string") refuseCredential(c, address, now, `dashboard sign-in: api key ${identity}`);
  setIdentity(c, identity);
  assertScope(identity, DASHBOARD_SCOPE);
  const hash = identity.keyHash;
  if (hash === undefined) throw new GatewayError("internal_error", { detail: "verified api key without a hash" });
  // KV may still serve a revoked record for a minute; the client's object never does.
  const status = await onClient(c.env, identity.clientId, (o) => o.sessionStatus(hash));
  if (status.revoked) refuseCredential(c, address, now, "dashboard sign-in: api key revoked");
  // Issued after the key's last sign-out, even within the same millisecond.
  const { token, session } = await issueSession(key, { clientId: identity.clientId, keyHash: hash }, Math.max(now, status.endedAt + 1));
  c.header("set-cookie", sessionCookie(token));
  return c.json({ object: "dashboard.session", client_id: session.clientId, expires_at: new Date(session.expiresAt).toISOString() });
}

/** `POST /admin/logout`: ends every session of this key (not only this browser's) and clears the cookie. */
export async function signOut(c: Context<AppEnv>): Promise<Response> {
  const { session } = c.get("dashboardSession");
  await onClient(c.env, session.clientId, (o) => o.endSessions(session.keyHash, Math.max(Date.now(), session.issuedAt)));
  c.header("set-cookie", clearedSessionCookie());
  return c.json({ object: "dashboard.session", signed_out: true });
}
