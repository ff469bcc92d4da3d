/**
 * The JWT attack catalogue (RFC 8725; the classic alg=none, key confusion, embedded-key and
 * kid-injection attacks) against src/auth/jwt.ts. Every token is made here with jose or by
 * hand; time is injected (`now`), never waited for.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters } from "jose";
import { GatewayError } from "../src/errors";
import { JwtIssuerListSchema, JwtIssuerSchema, looksLikeJwt, MAX_JWT_BYTES, resetJwksCache, verifyJwt, type JwtIssuer } from "../src/auth/jwt";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const T = NOW / 1000;
const ISS = "https://idp.test/";
const REMOTE_ISS = "https://remote.test/";
const JWKS_URL = "https://remote.test/.well-known/jwks.json";
const AUD = "aigis";
const HS_SECRET = "an-hmac-secret-of-at-least-32-bytes!!";
const secrets = (name: string): string | undefined => (name === "JWT_HS_SECRET" ? HS_SECRET : undefined);

type Pair = { publicKey: CryptoKey; privateKey: CryptoKey; jwk: JWK };
let rsa: Pair, rsa2: Pair, es: Pair, ed: Pair, attacker: Pair;

async function pair(alg: string, kid: string): Promise<Pair> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { publicKey, privateKey, jwk: { ...(await exportJWK(publicKey)), kid } };
}

beforeAll(async () => {
  [rsa, rsa2, es, ed, attacker] = await Promise.all([pair("RS256", "rsa-1"), pair("RS256", "rsa-2"), pair("ES256", "es-1"), pair("EdDSA", "ed-1"), pair("RS256", "rsa-1")]);
});

/** A static-JWKS issuer holding the RSA, EC and Ed25519 keys. */
const staticIssuer = (extra: Record<string, unknown> = {}): JwtIssuer =>
  JwtIssuerSchema.parse({ issuer: ISS, audience: AUD, algorithms: ["RS256", "ES256", "EdDSA"], jwks: { keys: [rsa.jwk, es.jwk, ed.jwk] }, ...extra });
const remoteIssuer = (extra: Record<string, unknown> = {}): JwtIssuer => JwtIssuerSchema.parse({ issuer: REMOTE_ISS, audience: AUD, jwks_url: JWKS_URL, ...extra });

const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISS, aud: AUD, sub: "user-1", tid: "tenant-1", scope: "chat embeddings", iat: T, exp: T + 600, ...extra });

/** A token signed by jose; `undefined` claim values are left out. */
function sign(extra: Record<string, unknown> = {}, header: JWTHeaderParameters = { alg: "RS256", kid: "rsa-1" }, key: CryptoKey | Uint8Array = rsa.privateKey): Promise<string> {
  return new SignJWT(claims(extra)).setProtectedHeader(header).sign(key);
}

const b64json = (v: unknown): string => base64url.encode(JSON.stringify(v));
const segments = (token: string): string[] => token.split(".");

/** Signs any header, even one jose would refuse to produce (unknown `crit`). RS256 only. */
async function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: CryptoKey): Promise<string> {
  const input = `${b64json(header)}.${b64json(payload)}`;
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input));
  return `${input}.${base64url.encode(new Uint8Array(sig))}`;
}

/** Replaces fetch; every requested URL is recorded. `serve` decides the answer. */
function interceptFetch(serve: (url: string) => Response | Promise<Response>): string[] {
  const urls: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    const url = input instanceof Request ? input.url : String(input);
    urls.push(url);
    return serve(url);
  });
  return urls;
}

/** Serves `keys` as the remote JWKS, after a short delay so concurrent callers overlap. */
function serveJwks(keys: () => JWK[]): string[] {
  return interceptFetch(async () => {
    await new Promise((r) => setTimeout(r, 5));
    return Response.json({ keys: keys() });
  });
}

let noFetch: string[];
beforeEach(() => {
  resetJwksCache();
  noFetch = interceptFetch(() => {
    throw new TypeError("no network in this test");
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  resetJwksCache();
});

const verifyStatic = (token: string, extra: Record<string, unknown> = {}, now = NOW) => verifyJwt(token, [staticIssuer(extra)], secrets, now);

describe("valid tokens", () => {
  it("RS256 maps sub, tid and a scope string to an identity", async () => {
    expect(await verifyStatic(await sign())).toEqual({ clientId: "user-1", tenant: "tenant-1", plan: "default", scopes: ["chat", "embeddings"], method: "jwt" });
  });

  it("ES256 and EdDSA verify against the same set", async () => {
    expect(await verifyStatic(await sign({}, { alg: "ES256", kid: "es-1" }, es.privateKey))).toMatchObject({ clientId: "user-1", method: "jwt" });
    expect(await verifyStatic(await sign({}, { alg: "EdDSA", kid: "ed-1" }, ed.privateKey))).toMatchObject({ clientId: "user-1", method: "jwt" });
  });

  it("HS256 with a configured secret", async () => {
    const issuer = JwtIssuerSchema.parse({ issuer: ISS, audience: AUD, algorithms: ["HS256"], hs_secret: "JWT_HS_SECRET" });
    const token = await sign({}, { alg: "HS256" }, new TextEncoder().encode(HS_SECRET));
    expect(await verifyJwt(token, [issuer], secrets, NOW)).toMatchObject({ clientId: "user-1", method: "jwt" });
    const forged = await sign({}, { alg: "HS256" }, new TextEncoder().encode("another-secret-that-is-32-bytes-long!"));
    expect(await verifyJwt(forged, [issuer], secrets, NOW)).toBe("bad_signature");
    expect(await verifyJwt(await sign(), [issuer], secrets, NOW)).toBe("alg_not_allowed");
  });

  it("an scp array, a plan claim, a client prefix, a default tenant and an audience list", async () => {
    const extra = { claims: { scopes: "scp", tenant: "org_id" }, client_prefix: "idp:", default_tenant: "acme", audience: ["other", AUD] };
    const token = await sign({ scope: undefined, scp: ["chat", "admin"], plan: "partner", tid: undefined });
    expect(await verifyStatic(token, extra)).toEqual({ clientId: "idp:user-1", tenant: "acme", plan: "partner", scopes: ["chat", "admin"], method: "jwt" });
  });

  it("a token without kid is tried against each fitting key", async () => {
    const issuer = staticIssuer({ jwks: { keys: [rsa2.jwk, rsa.jwk] } });
    expect(await verifyJwt(await sign({}, { alg: "RS256" }), [issuer], secrets, NOW)).toMatchObject({ clientId: "user-1" });
  });

  it("typ is compared as a media type when required", async () => {
    expect(await verifyStatic(await sign({}, { alg: "RS256", kid: "rsa-1", typ: "at+jwt" }), { typ: "at+jwt" })).toMatchObject({ method: "jwt" });
    expect(await verifyStatic(await sign({}, { alg: "RS256", kid: "rsa-1", typ: "application/at+jwt" }), { typ: "at+jwt" })).toMatchObject({ method: "jwt" });
  });

  it("looksLikeJwt tells tokens from API keys without decoding", async () => {
    expect(looksLikeJwt(await sign())).toBe(true);
    expect(looksLikeJwt("aig_0123456789abcdefghijABCDEFGHIJ0123456789abcdef")).toBe(false);
    expect(looksLikeJwt("a.b")).toBe(false);
    expect(looksLikeJwt("a.b.c.d")).toBe(false);
  });
});

describe("algorithm attacks", () => {
  for (const alg of ["none", "None", "nOnE"]) {
    it(`alg ${alg}: an unsigned token is refused`, async () => {
      const unsigned = `${b64json({ alg, typ: "JWT" })}.${b64json(claims({ sub: "admin" }))}.`;
      expect(await verifyStatic(unsigned)).toBe("alg_not_allowed");
    });
  }

  it("HS256 signed with the provider's public key (PEM or JWK bytes) is refused", async () => {
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const jwkBytes = new TextEncoder().encode(JSON.stringify(rsa.jwk));
    for (const secret of [pem, jwkBytes]) {
      expect(await verifyStatic(await sign({}, { alg: "HS256", kid: "rsa-1" }, secret))).toBe("alg_not_allowed");
      // Even with HS256 allowed on a key set, jose would refuse a public key as an HMAC secret;
      // the schema does not let that configuration exist (see "configuration").
      expect(await verifyJwt(await sign({ iss: REMOTE_ISS }, { alg: "HS256" }, secret), [remoteIssuer()], secrets, NOW)).toBe("alg_not_allowed");
    }
    expect(noFetch).toEqual([]);
  });

  it("an ES256 token with an all-zero signature (r = s = 0) is refused", async () => {
    const [h, p] = segments(await sign({}, { alg: "ES256", kid: "es-1" }, es.privateKey));
    expect(await verifyStatic(`${h}.${p}.${base64url.encode(new Uint8Array(64))}`)).toBe("bad_signature");
  });
});

describe("signature tampering", () => {
  it("a stripped signature is refused", async () => {
    const [h, p] = segments(await sign());
    expect(await verifyStatic(`${h}.${p}.`)).toBe("bad_signature");
  });

  it("an altered signature is refused", async () => {
    const [h, p, s] = segments(await sign()) as [string, string, string];
    const mid = s.length >> 1;
    const flipped = s.slice(0, mid) + (s[mid] === "A" ? "B" : "A") + s.slice(mid + 1);
    expect(await verifyStatic(`${h}.${p}.${flipped}`)).toBe("bad_signature");
  });

  it("an altered payload is refused", async () => {
    const [h, , s] = segments(await sign());
    expect(await verifyStatic(`${h}.${b64json(claims({ sub: "admin", scope: "admin" }))}.${s}`)).toBe("bad_signature");
  });
});

describe("keys the token brings along are never trusted", () => {
  it("an attacker key embedded as a jwk header is ignored", async () => {
    const attackerJwk = await exportJWK(attacker.publicKey);
    expect(await verifyStatic(await sign({}, { alg: "RS256", jwk: attackerJwk }, attacker.privateKey))).toBe("bad_signature");
    expect(await verifyStatic(await sign({}, { alg: "RS256", kid: "rsa-1", jwk: attackerJwk }, attacker.privateKey))).toBe("bad_signature");
    expect(noFetch).toEqual([]);
  });

  it("jku and x5u pointing elsewhere cause no fetch to them", async () => {
    const evil = { alg: "RS256", kid: "rsa-1", jku: "https://evil.test/jwks.json", x5u: "https://evil.test/cert.pem" } as JWTHeaderParameters;
    expect(await verifyStatic(await sign({}, evil, attacker.privateKey))).toBe("bad_signature");
    expect(noFetch).toEqual([]);
    vi.restoreAllMocks();
    const urls = serveJwks(() => [rsa.jwk]);
    expect(await verifyJwt(await sign({ iss: REMOTE_ISS }, evil, attacker.privateKey), [remoteIssuer()], secrets, NOW)).toBe("bad_signature");
    expect(urls).toEqual([JWKS_URL]);
  });

  it("kid injection: path traversal, SQL-ish and numeric kids match nothing and reach no URL", async () => {
    const urls = serveJwks(() => [rsa.jwk]);
    const issuers = [staticIssuer(), remoteIssuer()];
    for (const kid of ["../../etc/passwd", "' OR '1'='1' --", 1]) {
      const header = { alg: "RS256", kid } as unknown as JWTHeaderParameters;
      expect(await verifyJwt(await sign({}, header, attacker.privateKey), issuers, secrets, NOW)).toBe("unknown_kid");
      expect(await verifyJwt(await sign({ iss: REMOTE_ISS }, header, attacker.privateKey), issuers, secrets, NOW)).toBe("unknown_kid");
    }
    expect(urls).toEqual([JWKS_URL]);
  });
});

describe("claims and time", () => {
  it("exp in the past, missing, or a string", async () => {
    expect(await verifyStatic(await sign({ exp: T - 31 }))).toBe("expired");
    expect(await verifyStatic(await sign({ exp: T - 10 }))).toMatchObject({ method: "jwt" }); // within clock tolerance
    expect(await verifyStatic(await sign({ exp: undefined }))).toBe("missing_claim");
    expect(await verifyStatic(await sign({ exp: String(T + 600) }))).toBe("claim_invalid");
  });

  it("nbf or iat in the future", async () => {
    expect(await verifyStatic(await sign({ nbf: T + 120 }))).toBe("not_yet_valid");
    expect(await verifyStatic(await sign({ iat: T + 120 }))).toBe("not_yet_valid");
  });

  it("a token older than max_token_age_s, or without iat", async () => {
    expect(await verifyStatic(await sign({ iat: T - 3600 - 31, exp: T + 600 }))).toBe("too_old");
    expect(await verifyStatic(await sign({ iat: T - 200 }), { max_token_age_s: 120 })).toBe("too_old");
    expect(await verifyStatic(await sign({ iat: undefined }))).toBe("missing_claim");
  });

  it("wrong or missing iss, wrong or missing aud", async () => {
    expect(await verifyStatic(await sign({ iss: "https://evil.test/" }))).toBe("unknown_issuer");
    expect(await verifyStatic(await sign({ iss: undefined }))).toBe("missing_claim");
    expect(await verifyStatic(await sign({ aud: "someone-else" }))).toBe("claim_invalid");
    expect(await verifyStatic(await sign({ aud: undefined }))).toBe("missing_claim");
  });

  it("a wrong or absent typ when one is required", async () => {
    expect(await verifyStatic(await sign({}, { alg: "RS256", kid: "rsa-1", typ: "JWT" }), { typ: "at+jwt" })).toBe("typ_invalid");
    expect(await verifyStatic(await sign(), { typ: "at+jwt" })).toBe("typ_invalid");
  });

  it("mapped claims: absent, or of the wrong type", async () => {
    expect(await verifyStatic(await sign({ tid: undefined }))).toBe("missing_claim");
    expect(await verifyStatic(await sign({ sub: undefined }))).toBe("missing_claim");
    expect(await verifyStatic(await sign({ sub: 42 }))).toBe("claim_invalid");
    expect(await verifyStatic(await sign({ scope: ["chat", 1] }))).toBe("claim_invalid");
    expect(await verifyStatic(await sign({ plan: { name: "gold" } }))).toBe("claim_invalid");
    expect(await verifyStatic(await sign({ extra: undefined }), { required_claims: ["jti"] })).toBe("missing_claim");
    // A claim name that exists on every object's prototype is not a claim.
    expect(await verifyStatic(await sign(), { claims: { tenant: "constructor" } })).toBe("missing_claim");
  });
});

describe("malformed and oversized tokens", () => {
  it("an unknown crit header is refused even with a valid signature", async () => {
    const token = await signRaw({ alg: "RS256", kid: "rsa-1", crit: ["x-policy"], "x-policy": 1 }, claims(), rsa.privateKey);
    expect(await verifyStatic(token)).toBe("malformed");
    expect(await verifyStatic(await signRaw({ alg: "RS256", kid: "rsa-1" }, claims(), rsa.privateKey))).toMatchObject({ method: "jwt" });
  });

  it("two segments, four segments, bad base64, non-JSON header or payload", async () => {
    const [h, p, s] = segments(await sign()) as [string, string, string];
    expect(await verifyStatic(`${h}.${p}`)).toBe("malformed");
    expect(await verifyStatic(`${h}.${p}.${s}.${s}`)).toBe("malformed");
    expect(await verifyStatic(`${h}.${p}+/=.${s}`)).toBe("malformed");
    expect(await verifyStatic(`${h}.x.${s}`)).toBe("malformed"); // one character is no base64url
    expect(await verifyStatic(`${base64url.encode("not json")}.${p}.${s}`)).toBe("malformed");
    expect(await verifyStatic(`${h}.${base64url.encode("not json")}.${s}`)).toBe("malformed");
    expect(await verifyStatic("")).toBe("malformed");
  });

  it("an oversized token is refused before any decoding or crypto", async () => {
    const verify = vi.spyOn(crypto.subtle, "verify");
    const big = await sign({ padding: "x".repeat(MAX_JWT_BYTES) });
    expect(await verifyStatic(big)).toBe("too_large");
    expect(await verifyStatic("a".repeat(MAX_JWT_BYTES + 1))).toBe("too_large");
    expect(verify).not.toHaveBeenCalled();
  });
});

describe("remote key sets", () => {
  const remoteToken = (extra: Record<string, unknown> = {}, kid = "rsa-1", key: CryptoKey = rsa.privateKey) => sign({ iss: REMOTE_ISS, ...extra }, { alg: "RS256", kid }, key);
  const verifyRemote = (token: string, now = NOW, extra: Record<string, unknown> = {}) => verifyJwt(token, [remoteIssuer(extra)], secrets, now);

  it("20 concurrent verifications on a cold cache make one fetch", async () => {
    const urls = serveJwks(() => [rsa.jwk]);
    const token = await remoteToken();
    const results = await Promise.all(Array.from({ length: 20 }, () => verifyRemote(token)));
    expect(results.every((r) => typeof r === "object" && r.method === "jwt")).toBe(true);
    expect(urls).toEqual([JWKS_URL]);
  });

  it("unknown kids refetch at most once per cooldown", async () => {
    const urls = serveJwks(() => [rsa.jwk]);
    expect(await verifyRemote(await remoteToken())).toMatchObject({ method: "jwt" });
    // Inside the cooldown of the first fetch: no refetch at all.
    expect(await verifyRemote(await remoteToken({}, "nope-0", attacker.privateKey), NOW + 1000)).toBe("unknown_kid");
    expect(urls).toHaveLength(1);
    // After it: the first unknown kid refetches, the next nine (concurrent or not) do not.
    const later = NOW + 31_000;
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => remoteToken({ iat: T + 31 }, `nope-${i}`, attacker.privateKey)));
    expect(await verifyRemote(tokens[0] as string, later)).toBe("unknown_kid");
    expect(await Promise.all(tokens.slice(1).map((t) => verifyRemote(t, later + 5000)))).toEqual(Array(9).fill("unknown_kid"));
    expect(urls).toHaveLength(2);
    expect(await verifyRemote(tokens[0] as string, later + 31_000)).toBe("unknown_kid");
    expect(urls).toHaveLength(3);
  });

  it("a key rotated in is found by the refetch an unknown kid triggers", async () => {
    let keys = [rsa.jwk];
    serveJwks(() => keys);
    expect(await verifyRemote(await remoteToken())).toMatchObject({ method: "jwt" });
    keys = [rsa.jwk, rsa2.jwk];
    const rotated = await remoteToken({ iat: T + 40 }, "rsa-2", rsa2.privateKey);
    expect(await verifyRemote(rotated, NOW + 40_000)).toMatchObject({ clientId: "user-1" });
  });

  it("JWKS down with nothing cached: auth_unavailable (503), never an accept", async () => {
    const token = await remoteToken();
    const answers: Array<() => Response> = [() => new Response("down", { status: 500 }), () => new Response(null, { status: 302, headers: { location: "https://evil.test/" } }), () => new Response("{not json")];
    for (const answer of [...answers, () => { throw new TypeError("connection refused"); }]) {
      vi.restoreAllMocks();
      resetJwksCache();
      interceptFetch(answer);
      const err = await verifyRemote(token).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ code: "auth_unavailable", status: 503, detail: `jwks unavailable: ${REMOTE_ISS}` });
    }
  });

  it("after a failure, requests within the backoff get 503 without another fetch", async () => {
    const urls = interceptFetch(() => new Response("down", { status: 503 }));
    const token = await remoteToken();
    await expect(verifyRemote(token)).rejects.toMatchObject({ code: "auth_unavailable" });
    await expect(verifyRemote(token, NOW + 1000)).rejects.toMatchObject({ code: "auth_unavailable" });
    expect(urls).toHaveLength(1);
  });

  it("JWKS down with cached keys: they keep working past their max age, for a bounded time", async () => {
    let up = true;
    const urls = interceptFetch(() => (up ? Response.json({ keys: [rsa.jwk] }) : new Response("down", { status: 503 })));
    expect(await verifyRemote(await remoteToken())).toMatchObject({ method: "jwt" });
    up = false;
    const stale = NOW + 601_000;
    expect(await verifyRemote(await remoteToken({ iat: T + 601 }), stale)).toMatchObject({ method: "jwt" });
    expect(urls).toHaveLength(2);
    const tooStale = NOW + (600 + 3600) * 1000 + 1000;
    await expect(verifyRemote(await remoteToken({ iat: tooStale / 1000 }), tooStale)).rejects.toMatchObject({ code: "auth_unavailable" });
  });

  it("an oversized key set is refused as unavailable", async () => {
    interceptFetch(() => Response.json({ keys: [rsa.jwk], padding: "x".repeat(200 * 1024) }));
    await expect(verifyRemote(await remoteToken())).rejects.toMatchObject({ code: "auth_unavailable" });
  });
});

describe("configuration", () => {
  const base = { issuer: ISS, audience: AUD };
  const ok = (v: Record<string, unknown>) => JwtIssuerSchema.safeParse({ ...base, ...v }).success;

  it("HMAC and public keys can never be mixed", () => {
    expect(ok({ jwks: { keys: [{ kty: "RSA", n: "x", e: "AQAB" }] }, algorithms: ["RS256", "HS256"] })).toBe(false);
    expect(ok({ jwks_url: JWKS_URL, algorithms: ["HS256"] })).toBe(false);
    expect(ok({ hs_secret: "JWT_HS_SECRET", algorithms: ["RS256"] })).toBe(false);
    expect(ok({ hs_secret: "JWT_HS_SECRET" })).toBe(false); // the default allowlist is asymmetric
    expect(ok({ hs_secret: "JWT_HS_SECRET", algorithms: ["HS256"] })).toBe(true);
    expect(ok({ jwks_url: JWKS_URL, algorithms: ["none"] })).toBe(false);
  });

  it("exactly one key source; https unless local; public keys only", () => {
    expect(ok({})).toBe(false);
    expect(ok({ jwks_url: JWKS_URL, hs_secret: "JWT_HS_SECRET", algorithms: ["HS256"] })).toBe(false);
    expect(ok({ jwks_url: "http://idp.example.com/jwks" })).toBe(false);
    expect(ok({ jwks_url: "http://127.0.0.1:8787/jwks" })).toBe(true);
    expect(ok({ jwks_url: "http://idp.test/jwks" })).toBe(true);
    expect(ok({ jwks: { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: "secret" }] } })).toBe(false);
    expect(ok({ jwks: { keys: [{ kty: "oct", k: "secret" }] } })).toBe(false);
    expect(ok({ jwks_url: JWKS_URL, clock_tolerance_s: 300 })).toBe(false);
  });

  it("defaults", () => {
    const cfg = JwtIssuerSchema.parse({ ...base, jwks_url: JWKS_URL });
    expect(cfg).toMatchObject({
      algorithms: ["RS256", "ES256"],
      max_token_age_s: 3600,
      clock_tolerance_s: 30,
      required_claims: [],
      claims: { client_id: "sub", tenant: "tid", scopes: "scope", plan: "plan" },
      client_prefix: "",
      default_plan: "default",
      jwks_cooldown_s: 30,
      jwks_max_age_s: 600,
    });
  });

  it("a list of issuers: unique iss, and distinct client prefixes when there are several", () => {
    const a = { ...base, jwks_url: JWKS_URL, client_prefix: "a:" };
    expect(JwtIssuerListSchema.safeParse([a, { ...a, client_prefix: "b:" }]).success).toBe(false);
    expect(JwtIssuerListSchema.safeParse([a, { ...a, issuer: REMOTE_ISS }]).success).toBe(false);
    expect(JwtIssuerListSchema.safeParse([a, { ...a, issuer: REMOTE_ISS, client_prefix: "b:" }]).success).toBe(true);
    expect(JwtIssuerListSchema.safeParse([{ ...a, client_prefix: "" }]).success).toBe(true);
  });

  it("a missing or short HMAC secret is a deployment error (503), not a weak key", async () => {
    const token = await sign({}, { alg: "HS256" }, new TextEncoder().encode(HS_SECRET));
    for (const name of ["MISSING", "SHORT"]) {
      const issuer = JwtIssuerSchema.parse({ ...base, algorithms: ["HS256"], hs_secret: name });
      await expect(verifyJwt(token, [issuer], (n) => (n === "SHORT" ? "short" : undefined), NOW)).rejects.toMatchObject({ code: "config_invalid", status: 503 });
    }
  });
});
