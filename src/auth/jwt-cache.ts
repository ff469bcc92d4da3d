/**
 * Per-isolate cache of verified JWTs. An app sends the same access token with every request
 * until it expires; checking its signature each time costs about 100 us of CPU (ES256,
 * measured by `npm run bench:stages`), a cache hit about 1 us.
 *
 * A hit is honoured only while the token itself would still pass: never past its `exp`, its
 * issuer's `max_token_age_s`, or JWT_CACHE_MS, and only for the issuer configuration it was
 * verified under. JWTs cannot be revoked before `exp` anyway, so the cache grants nothing a
 * fresh verification would not.
 */
import { decodeJwt } from "jose";
import type { Identity } from "./identity";
import { verifyJwt, type JwtFailure, type JwtIssuer } from "./jwt";

export const JWT_CACHE_MS = 60_000;
const JWT_CACHE_MAX = 10_000;

interface Entry {
  identity: Identity;
  until: number;
  issuers: readonly JwtIssuer[];
}
const cache = new Map<string, Entry>();

export function resetJwtCache(): void {
  cache.clear();
}

/** Latest time (ms) at which a freshly verified token would still be accepted. */
function validUntil(token: string, issuers: readonly JwtIssuer[], now: number): number {
  const claims = decodeJwt(token);
  const issuer = issuers.find((i) => i.issuer === claims.iss);
  let until = now + JWT_CACHE_MS;
  if (typeof claims.exp === "number") until = Math.min(until, claims.exp * 1000);
  if (issuer !== undefined && typeof claims.iat === "number") until = Math.min(until, (claims.iat + issuer.max_token_age_s) * 1000);
  return until;
}

export async function verifyJwtCached(token: string, issuers: readonly JwtIssuer[], secrets: (name: string) => string | undefined, now: number): Promise<Identity | JwtFailure> {
  const hit = cache.get(token);
  if (hit !== undefined && hit.issuers === issuers && now < hit.until) return { ...hit.identity };
  const result = await verifyJwt(token, issuers, secrets, now);
  if (typeof result === "string") {
    cache.delete(token);
    return result;
  }
  if (cache.size >= JWT_CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(token, { identity: { ...result }, until: validUntil(token, issuers, now), issuers });
  return result;
}
