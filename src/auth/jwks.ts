/**
 * The key sets JWTs are verified against, cached per isolate.
 *
 * Static sets (from the configuration) are imported once. Remote sets are fetched once per
 * isolate and URL, refreshed after `maxAgeMs`, and refetched early only for an unknown `kid`,
 * at most once per `cooldownMs`: an attacker who invents `kid`s costs at most one fetch per
 * cooldown, never one per request.
 *
 * Why not jose's `createRemoteJWKSet`: on Workers it turns its in-flight de-duplication off
 * (so N concurrent cold requests make N fetches), and it times freshness and cooldown with
 * `Date.now()`, which tests cannot move. Here every concurrent caller in the isolate awaits one
 * shared fetch. workerd resumes each waiter in its own request context
 * (`handle_cross_request_promise_resolution`), but a waiter whose fetch belonged to a request
 * that was cancelled would never be resumed; so waiters give up after their own timeout.
 *
 * Failures: no usable keys and a failed fetch is `auth_unavailable` (503), never an accept and
 * never a 500. Keys past `maxAgeMs` keep working for `staleIfErrorMs` while the endpoint is down.
 */
import { readUpTo } from "../util/bytes";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { GatewayError } from "../errors";

/** Time allowed for one JWKS fetch, headers and body. */
export const JWKS_TIMEOUT_MS = 5_000;
/** A key set larger than this is refused (Google's is about 2 KiB). */
export const JWKS_MAX_BYTES = 128 * 1024;
/** After a failed fetch, callers without usable keys get 503 at once for this long. */
export const JWKS_FAILURE_BACKOFF_MS = 5_000;

export interface RemoteKeySetOptions {
  /** The issuer, for error details. */
  issuer: string;
  url: string;
  cooldownMs: number;
  maxAgeMs: number;
  staleIfErrorMs: number;
}

interface RemoteEntry {
  keys: JWTVerifyGetKey | undefined;
  loadedAt: number;
  attemptedAt: number;
  failedAt: number;
  /** The fetch in flight; settles with the error, or undefined on success (never rejects). */
  pending: Promise<unknown> | undefined;
}

let remoteSets = new Map<string, RemoteEntry>();
let staticSets = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>();

/** For tests: forget every cached key set. */
export function resetJwksCache(): void {
  remoteSets = new Map();
  staticSets = new WeakMap();
}

/** The key resolver for a key set from the configuration, built once per configuration object. */
export function staticKeySet(jwks: JSONWebKeySet): JWTVerifyGetKey {
  let keys = staticSets.get(jwks);
  if (keys === undefined) {
    keys = createLocalJWKSet(jwks);
    staticSets.set(jwks, keys);
  }
  return keys;
}

/**
 * The key resolver for a remote key set at time `now` (ms). It throws jose's
 * `JWKSNoMatchingKey` for an unknown `kid`, and `GatewayError("auth_unavailable")` when
 * there are no keys to check with.
 */
export function remoteKeySet(opts: RemoteKeySetOptions, now: number): JWTVerifyGetKey {
  let entry = remoteSets.get(opts.url);
  if (entry === undefined) {
    entry = { keys: undefined, loadedAt: -Infinity, attemptedAt: -Infinity, failedAt: -Infinity, pending: undefined };
    remoteSets.set(opts.url, entry);
  }
  const e = entry;
  return async function getKey(header, token) {
    const keys = await usableKeys(e, opts, now);
    try {
      return await keys(header, token);
    } catch (err) {
      // An unknown kid may be a key the issuer has just rotated in: look once per cooldown.
      if (!(err instanceof errors.JWKSNoMatchingKey) || now - e.attemptedAt < opts.cooldownMs) throw err;
      // A failed refetch leaves the cached keys in place; the token stays unknown.
      if ((await refresh(e, opts, now)) !== undefined || e.keys === undefined) throw err;
      return e.keys(header, token);
    }
  };
}

async function usableKeys(e: RemoteEntry, opts: RemoteKeySetOptions, now: number): Promise<JWTVerifyGetKey> {
  if (e.keys !== undefined && now - e.loadedAt < opts.maxAgeMs) return e.keys;
  const backingOff = now - e.failedAt < JWKS_FAILURE_BACKOFF_MS && e.pending === undefined;
  const failure = backingOff ? "backoff" : await refresh(e, opts, now);
  if (failure === undefined && e.keys !== undefined) return e.keys;
  if (e.keys !== undefined && now - e.loadedAt < opts.maxAgeMs + opts.staleIfErrorMs) return e.keys;
  throw new GatewayError("auth_unavailable", { detail: `jwks unavailable: ${opts.issuer}` });
}

/** Fetches the set once for all concurrent callers; resolves with the failure, or undefined. */
async function refresh(e: RemoteEntry, opts: RemoteKeySetOptions, now: number): Promise<unknown> {
  if (e.pending === undefined) {
    e.attemptedAt = now;
    const pending: Promise<unknown> = fetchKeySet(opts.url).then(
      (keys) => {
        e.keys = keys;
        e.loadedAt = now;
        return undefined;
      },
      (err: unknown) => {
        e.failedAt = now;
        return err ?? new Error("jwks fetch failed");
      },
    );
    e.pending = pending;
    void pending.then(() => {
      if (e.pending === pending) e.pending = undefined;
    });
  }
  const pending = e.pending;
  const result = await within(pending, JWKS_TIMEOUT_MS + 500);
  if (result === TIMED_OUT && e.pending === pending) e.pending = undefined;
  return result;
}

const TIMED_OUT = Symbol("timed out");

/** `p`, or TIMED_OUT after `ms`; the timer belongs to the caller's own request. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** GET the set: 200 only (no redirects followed), size-capped, validated by jose. */
async function fetchKeySet(url: string): Promise<JWTVerifyGetKey> {
  const res = await fetch(url, {
    method: "GET",
    redirect: "manual",
    headers: { accept: "application/jwk-set+json, application/json" },
    signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`jwks status ${res.status}`);
  }
  const json: unknown = JSON.parse(await readCapped(res, JWKS_MAX_BYTES));
  return createLocalJWKSet(json as JSONWebKeySet);
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (Number(res.headers.get("content-length") ?? 0) > max) throw new Error("jwks too large");
  const bytes = await readUpTo(res.body, max);
  if (bytes === undefined) throw new Error("jwks too large");
  return new TextDecoder().decode(bytes);
}
