/**
 * Dashboard sessions and CSRF tokens, pure: HMAC-SHA256 under the Worker secret
 * `AIGIS_SESSION_KEY`, no storage. A browser exchanges the admin API key for a session token
 * once (`POST /admin/session`), so the key itself never sits in the page, in `localStorage`
 * or in a cookie; a stolen cookie is worth 15 minutes, not a key's lifetime.
 *
 * - Session token: `base64url(payload) "." base64url(HMAC("aigis-session-v1\n" ‖ payload))`.
 *   The payload binds the client id, the key's SHA-256 (every request re-checks that record:
 *   revoking the key ends its sessions), the issue time (sign-out ends every session issued
 *   before it) and the expiry. A nonce makes every token, and so every CSRF token, unique.
 * - CSRF token: `base64url(HMAC("aigis-csrf-v1\n" ‖ session token))`, the "HMAC-based token"
 *   pattern of the OWASP CSRF Prevention Cheat Sheet: derived from the session, so there is
 *   no server-side store, and useless with any other session. The labels keep one MAC from
 *   ever standing in for the other.
 * - MACs are compared by `crypto.subtle.verify`, in constant time.
 */
import { base64url } from "jose";
import { z } from "zod";

/** `__Host-`: the browser keeps it only if Secure, Path=/ and no Domain (RFC 6265bis section 4.1.3.2), so a sibling subdomain cannot plant or overwrite it. */
export const SESSION_COOKIE = "__Host-aigis_session";
export const SESSION_TTL_S = 900;
export const SESSION_KEY_SECRET = "AIGIS_SESSION_KEY";
/** Shorter secrets are refused as if missing: a session key must not be guessable offline from one token. */
export const MIN_SECRET_LENGTH = 32;
/** Anything longer is not one of ours; refused before any decoding. */
const MAX_TOKEN_LENGTH = 1024;

export interface Session {
  clientId: string;
  /** SHA-256 hex of the API key that signed in. */
  keyHash: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

export type SessionFailure = "missing" | "malformed" | "bad_signature" | "expired";

const PayloadSchema = z.strictObject({
  c: z.string().min(1).max(96),
  h: z.string().regex(/^[0-9a-f]{64}$/),
  i: z.number().int().nonnegative(),
  e: z.number().int().nonnegative(),
  n: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});

const encoder = new TextEncoder();
const B64URL = /^[A-Za-z0-9_-]+$/;

let cachedKey: { secret: string; key: Promise<CryptoKey> } | undefined;

/** The HMAC key for `secret`, imported once per isolate; undefined when the secret is missing or too short. */
export function sessionKey(secret: string | undefined): Promise<CryptoKey> | undefined {
  if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return undefined;
  if (cachedKey?.secret !== secret) {
    cachedKey = { secret, key: crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]) };
  }
  return cachedKey.key;
}

async function sign(key: CryptoKey, label: string, text: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${label}\n${text}`))));
}

async function verify(key: CryptoKey, label: string, text: string, mac: string): Promise<boolean> {
  if (mac.length !== 43 || !B64URL.test(mac)) return false;
  return crypto.subtle.verify("HMAC", key, base64url.decode(mac), encoder.encode(`${label}\n${text}`));
}

/**
 * A new session token for a verified key, valid for SESSION_TTL_S from `now`.
 * @example const token = await issueSession(key, { clientId: "ops", keyHash }, Date.now());
 */
export async function issueSession(key: CryptoKey, who: { clientId: string; keyHash: string }, now: number): Promise<{ token: string; session: Session }> {
  const session: Session = { clientId: who.clientId, keyHash: who.keyHash, issuedAt: now, expiresAt: now + SESSION_TTL_S * 1000 };
  const nonce = base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
  const payload = base64url.encode(JSON.stringify({ c: session.clientId, h: session.keyHash, i: session.issuedAt, e: session.expiresAt, n: nonce }));
  return { token: `${payload}.${await sign(key, "aigis-session-v1", payload)}`, session };
}

/** The session a token carries at `now`, or why it is refused (the reason is for logs only). */
export async function verifySession(key: CryptoKey, token: string | undefined, now: number): Promise<Session | SessionFailure> {
  if (token === undefined || token === "") return "missing";
  if (token.length > MAX_TOKEN_LENGTH) return "malformed";
  const [payload, mac, ...rest] = token.split(".");
  if (payload === undefined || mac === undefined || rest.length > 0 || !B64URL.test(payload)) return "malformed";
  if (!(await verify(key, "aigis-session-v1", payload, mac))) return "bad_signature";
  let parsed: z.infer<typeof PayloadSchema>;
  try {
    parsed = PayloadSchema.parse(JSON.parse(new TextDecoder().decode(base64url.decode(payload))));
  } catch {
    // Only reachable with the key: a token this code never issues.
    return "malformed";
  }
  // A signed lifetime longer than ours is not one this code issued either.
  if (parsed.e <= now || parsed.e - parsed.i > SESSION_TTL_S * 1000) return "expired";
  return { clientId: parsed.c, keyHash: parsed.h, issuedAt: parsed.i, expiresAt: parsed.e };
}

/** The CSRF token of a session token. */
export function csrfToken(key: CryptoKey, sessionToken: string): Promise<string> {
  return sign(key, "aigis-csrf-v1", sessionToken);
}

/** Whether `presented` is the CSRF token of `sessionToken`. */
export async function verifyCsrf(key: CryptoKey, sessionToken: string, presented: string | undefined): Promise<boolean> {
  return presented !== undefined && (await verify(key, "aigis-csrf-v1", sessionToken, presented));
}

const COOKIE_ATTRIBUTES = "HttpOnly; Secure; SameSite=Strict; Path=/";

/** `Set-Cookie` for a new session: HttpOnly (no script reads it), Secure, SameSite=Strict (no cross-site request carries it). */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; ${COOKIE_ATTRIBUTES}; Max-Age=${SESSION_TTL_S}`;
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; ${COOKIE_ATTRIBUTES}; Max-Age=0`;
}

/** The session cookie's value from a `Cookie` header (the first one; a `__Host-` cookie cannot be shadowed by a Domain cookie). */
export function sessionTokenOf(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}
