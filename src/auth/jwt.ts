/**
 * JWT / OIDC access tokens as credentials (RFC 7519, RFC 8725 "JWT Best Current Practices").
 *
 * The unverified payload is read only to pick the configured issuer by its exact `iss`; from
 * then on jose's `jwtVerify` decides, with that issuer's algorithm allowlist, audience, a
 * required `exp`, a maximum token age and a bounded clock tolerance. Keys come only from the
 * configuration (a static JWKS, a JWKS URL or a named HMAC secret), never from the token:
 * `jwk`, `jku`, `x5u` and `x5c` headers are ignored (RFC 8725 section 3.10), so no token can
 * make the gateway fetch anything or trust a key it carries.
 *
 * Which check failed is a `JwtFailure` for analytics only; the client gets one generic 401.
 */
import { decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyOptions } from "jose";
import { z } from "zod";
import { GatewayError } from "../errors";
import type { Identity } from "./identity";
import { remoteKeySet, staticKeySet } from "./jwks";
import { isSecureOrLocal } from "../util/url";

export { resetJwksCache } from "./jwks";

/** Tokens longer than this are refused before any decoding or crypto (typical: 1-2 KiB). */
export const MAX_JWT_BYTES = 8 * 1024;
/** RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_HS_SECRET_BYTES = 32;
/** Keys tried for a token without `kid` when several keys in the set fit its `alg`. */
const MAX_CANDIDATE_KEYS = 3;

const ASYMMETRIC_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
const HMAC_ALGS = ["HS256", "HS384", "HS512"] as const;
const isHmac = (alg: string): boolean => (HMAC_ALGS as readonly string[]).includes(alg);
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

const ClaimName = z.string().min(1).max(128);

/** A public JWK; private members are refused so no secret ever sits in the configuration. */
const PublicJwkSchema = z
  .looseObject({ kty: z.enum(["RSA", "EC", "OKP"]), kid: z.string().max(256).optional() })
  .refine((jwk) => PRIVATE_JWK_MEMBERS.every((m) => !Object.hasOwn(jwk, m)), "a configured JWKS must hold public keys only");

export const JwtIssuerSchema = z
  .strictObject({
    /** The exact `iss` value; tokens are matched to an issuer by it. */
    issuer: z.string().min(1).max(512),
    /** Accepted `aud` values: the token must name at least one. */
    audience: z.union([z.string().min(1).max(512), z.array(z.string().min(1).max(512)).min(1).max(16)]),
    /**
     * The `alg` allowlist. HS256/384/512 are valid only with `hs_secret`, and `hs_secret`
     * allows only them, so a public key can never serve as an HMAC secret (RFC 8725 section 2.1).
     */
    algorithms: z.array(z.enum([...ASYMMETRIC_ALGS, ...HMAC_ALGS])).min(1).default(["RS256", "ES256"]),
    /** Key source 1 of 3: the issuer's JWKS endpoint; https (http only for localhost and *.test). */
    jwks_url: z.url({ protocol: /^https?$/ }).optional(),
    /** Key source 2 of 3: a static JWKS, public keys only. */
    jwks: z.strictObject({ keys: z.array(PublicJwkSchema).min(1).max(32) }).optional(),
    /** Key source 3 of 3: name of the Worker secret holding an HMAC key of at least 32 bytes. */
    hs_secret: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    /** Tokens issued (`iat`, then required) longer ago than this are refused, whatever their `exp`. */
    max_token_age_s: z.number().int().min(1).max(86_400).default(3600),
    /** Allowed clock skew for `exp`, `nbf` and `iat`. */
    clock_tolerance_s: z.number().int().min(0).max(60).default(30),
    /** Required `typ` header, e.g. `at+jwt` (RFC 9068); compared as a media type. */
    typ: z.string().min(1).max(64).optional(),
    /** Claims that must be present besides `exp` (and `iat`, `iss`, `aud`, which always are). */
    required_claims: z.array(ClaimName).max(16).default([]),
    /**
     * Which top-level claims fill the identity. `scopes` may be a space-separated string
     * (OAuth `scope`, RFC 8693 section 4.2) or an array of strings (`scp`, `roles`).
     */
    claims: z
      .strictObject({
        client_id: ClaimName.default("sub"),
        tenant: ClaimName.default("tid"),
        scopes: ClaimName.default("scope"),
        plan: ClaimName.default("plan"),
      })
      .prefault({}),
    /**
     * Prepended to the client id claim. Identities key quotas and client state, so a prefix
     * keeps an issuer's subjects apart from API-key client ids and from other issuers' subjects;
     * with several issuers every one needs its own (see `JwtIssuerListSchema`).
     */
    client_prefix: z.string().regex(/^([A-Za-z0-9._-]{1,31}:)?$/, 'empty, or up to 31 characters and a ":"').default(""),
    /** Plan when the token has no plan claim. */
    default_plan: z.string().min(1).max(64).default("default"),
    /** Tenant when the token has no tenant claim; without either the token is refused. */
    default_tenant: z.string().min(1).max(96).optional(),
    /** Least time between two refetches of `jwks_url` caused by an unknown `kid`. */
    jwks_cooldown_s: z.number().int().min(1).max(3600).default(30),
    /** Keys from `jwks_url` are refetched after this long. */
    jwks_max_age_s: z.number().int().min(60).max(86_400).default(600),
    /** While `jwks_url` is unreachable, keys older than `jwks_max_age_s` keep working this much longer. */
    jwks_stale_if_error_s: z.number().int().min(0).max(86_400).default(3600),
  })
  .superRefine((cfg, ctx) => {
    const sources = [cfg.jwks_url, cfg.jwks, cfg.hs_secret].filter((s) => s !== undefined).length;
    if (sources !== 1) ctx.addIssue({ code: "custom", message: "exactly one of jwks_url, jwks, hs_secret is required", path: [] });
    if (cfg.hs_secret === undefined && cfg.algorithms.some(isHmac)) {
      ctx.addIssue({ code: "custom", message: "HS256/HS384/HS512 need hs_secret", path: ["algorithms"] });
    }
    if (cfg.hs_secret !== undefined && !cfg.algorithms.every(isHmac)) {
      ctx.addIssue({ code: "custom", message: "with hs_secret, algorithms may list only HS256/HS384/HS512", path: ["algorithms"] });
    }
    if (cfg.jwks_url !== undefined) {
      if (!isSecureOrLocal(cfg.jwks_url)) {
        ctx.addIssue({ code: "custom", message: "jwks_url must be https", path: ["jwks_url"] });
      }
    }
  });
export type JwtIssuer = z.infer<typeof JwtIssuerSchema>;

/** The issuers of a deployment: each `iss` once; with several, each its own client prefix. */
export const JwtIssuerListSchema = z
  .array(JwtIssuerSchema)
  .max(16)
  .superRefine((list, ctx) => {
    if (new Set(list.map((i) => i.issuer)).size !== list.length) ctx.addIssue({ code: "custom", message: "issuers must be unique" });
    const prefixes = new Set(list.map((i) => i.client_prefix));
    if (list.length > 1 && (prefixes.size !== list.length || prefixes.has(""))) {
      ctx.addIssue({ code: "custom", message: "with several issuers, each needs its own non-empty client_prefix" });
    }
  });

/** Why a token was refused; for analytics only, never for the client. */
export type JwtFailure =
  | "too_large" // over MAX_JWT_BYTES, refused before decoding
  | "malformed" // not a compact JWS, bad base64url or JSON, unknown `crit`, or anything unexpected
  | "unknown_issuer" // `iss` names no configured issuer
  | "alg_not_allowed" // `alg` outside the issuer's allowlist (includes `none`)
  | "unknown_kid" // no key in the set fits the header
  | "key_rejected" // the key set or key could not be used (e.g. not a public key)
  | "bad_signature"
  | "typ_invalid"
  | "missing_claim" // `exp`, `iat`, `iss`, `aud`, a required or a mapped claim is absent
  | "claim_invalid" // wrong `iss` or `aud`, or a claim of the wrong type or size
  | "expired" // `exp` has passed
  | "too_old" // issued longer than `max_token_age_s` ago
  | "not_yet_valid"; // `nbf` or `iat` in the future

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Whether `token` has the compact JWS shape (three base64url segments, the last possibly
 * empty). No decoding: it only decides which verifier gets the credential.
 * @example looksLikeJwt("eyJhbGciOi....eyJzdWIiOi....c2ln") // true; looksLikeJwt("aig_...") // false
 */
export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/**
 * Verifies `token` against the configured `issuers` at time `now` (ms) and maps its claims to
 * an identity. Throws `GatewayError` only when the gateway cannot check at all (JWKS
 * unreachable with no usable keys: `auth_unavailable`; HMAC secret missing: `config_invalid`).
 * @example
 * const result = await verifyJwt(token, config.auth.jwt_issuers, (name) => env[name]);
 * if (typeof result === "string") throw new GatewayError("invalid_api_key", { detail: `jwt ${result}` });
 */
export async function verifyJwt(token: string, issuers: readonly JwtIssuer[], secrets: (name: string) => string | undefined, now: number = Date.now()): Promise<Identity | JwtFailure> {
  if (token.length > MAX_JWT_BYTES) return "too_large";
  if (!looksLikeJwt(token)) return "malformed";
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    return "malformed";
  }
  if (iss === undefined) return "missing_claim";
  const issuer = issuers.find((i) => i.issuer === iss);
  if (issuer === undefined) return "unknown_issuer";
  let payload: JWTPayload;
  try {
    payload = await verifySigned(token, issuer, secrets, now);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    return failureOf(err);
  }
  return toIdentity(payload, issuer);
}

async function verifySigned(token: string, issuer: JwtIssuer, secrets: (name: string) => string | undefined, now: number): Promise<JWTPayload> {
  const options: JWTVerifyOptions = {
    algorithms: issuer.algorithms,
    issuer: issuer.issuer,
    audience: issuer.audience,
    // jose accepts a token without `exp` unless told otherwise (RFC 7519 makes it optional).
    requiredClaims: ["exp", ...issuer.required_claims],
    maxTokenAge: issuer.max_token_age_s,
    clockTolerance: issuer.clock_tolerance_s,
    currentDate: new Date(now),
  };
  if (issuer.typ !== undefined) options.typ = issuer.typ;
  if (issuer.hs_secret !== undefined) {
    return (await jwtVerify(token, hmacKey(issuer.hs_secret, secrets), options)).payload;
  }
  const getKey =
    issuer.jwks !== undefined
      ? staticKeySet(issuer.jwks as JSONWebKeySet)
      : remoteKeySet(
          {
            issuer: issuer.issuer,
            url: issuer.jwks_url as string,
            cooldownMs: issuer.jwks_cooldown_s * 1000,
            maxAgeMs: issuer.jwks_max_age_s * 1000,
            staleIfErrorMs: issuer.jwks_stale_if_error_s * 1000,
          },
          now,
        );
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (err) {
    // A token without `kid` that fits several keys: jose hands over the candidates.
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    let tried = 0;
    for await (const key of err) {
      if (++tried > MAX_CANDIDATE_KEYS) break;
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (e) {
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) throw e;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

function hmacKey(name: string, secrets: (name: string) => string | undefined): Uint8Array {
  const bytes = new TextEncoder().encode(secrets(name) ?? "");
  // A missing or short secret is the deployment's fault: 503, never a weak or empty key.
  if (bytes.byteLength < MIN_HS_SECRET_BYTES) {
    throw new GatewayError("config_invalid", { detail: `jwt secret ${name} missing or shorter than ${MIN_HS_SECRET_BYTES} bytes` });
  }
  return bytes;
}

/** jose's error classes to failure reasons; anything unexpected fails closed as "malformed". */
function failureOf(err: unknown): JwtFailure {
  if (err instanceof errors.JWTExpired) return err.claim === "iat" ? "too_old" : "expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return "missing_claim";
    if (err.claim === "typ") return "typ_invalid";
    if (err.reason === "check_failed" && (err.claim === "nbf" || err.claim === "iat")) return "not_yet_valid";
    return "claim_invalid";
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return "alg_not_allowed";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return "unknown_kid";
  if (err instanceof errors.JWKSInvalid || err instanceof errors.JWKInvalid) return "key_rejected";
  return "malformed";
}

const MAX_SCOPES = 64;

function toIdentity(payload: JWTPayload, issuer: JwtIssuer): Identity | JwtFailure {
  const names = issuer.claims;
  const claim = (name: string): unknown => (Object.hasOwn(payload, name) ? payload[name] : undefined);
  const sub = claim(names.client_id);
  const tenant = claim(names.tenant) ?? issuer.default_tenant;
  if (sub === undefined || tenant === undefined) return "missing_claim";
  const plan = claim(names.plan) ?? issuer.default_plan;
  const scopes = scopesOf(claim(names.scopes));
  if (!isShortString(sub, 256) || !isShortString(tenant, 96) || !isShortString(plan, 64) || scopes === undefined) return "claim_invalid";
  return { clientId: issuer.client_prefix + sub, tenant, plan, scopes, method: "jwt" };
}

const isShortString = (v: unknown, max: number): v is string => typeof v === "string" && v.length > 0 && v.length <= max;

/** OAuth `scope` (space-separated, RFC 6749 section 3.3) or an array of strings; undefined if neither. */
function scopesOf(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  const list = typeof value === "string" ? value.split(" ").filter((s) => s !== "") : value;
  if (!Array.isArray(list) || list.length > MAX_SCOPES || !list.every((s) => isShortString(s, 64))) return undefined;
  return list as string[];
}
