/**
 * JWT access tokens through the whole gateway (the attack catalogue itself is in
 * jwt.test.ts): a valid token reaches the model with the identity from its claims, a bad
 * one gets the same generic 401 as a bad API key, and the SDK raises the right classes.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { TEST_CONFIG } from "./config";

const ISSUER = "https://idp.test/";
let privateKey: CryptoKey;
let config: Record<string, unknown>;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  config = { ...TEST_CONFIG, auth: { jwt_issuers: [{ issuer: ISSUER, audience: "aigis", jwks: { keys: [jwk] }, algorithms: ["ES256"], claims: { client_id: "sub", tenant: "org", plan: "plan" } }] } };
});

const token = (claims: Record<string, unknown>, opts: { exp?: string; aud?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setAudience(opts.aud ?? "aigis")
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "5m")
    .sign(privateKey);

async function gatewayFetch(input: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.request(input, init, { ...env, AIGIS_CONFIG: config }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const sdk = (apiKey: string) => new OpenAI({ apiKey, baseURL: "https://gateway.test/v1", maxRetries: 0, fetch: (i, init) => gatewayFetch(i as string, init as RequestInit) });

describe("JWT credentials through the gateway", () => {
  it("a valid token reaches the model; its claims are the identity", async () => {
    const t = await token({ sub: "app-user-1", org: "tenant-jwt", plan: "default" });
    const r = await sdk(t).chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "via jwt" }] });
    expect(r.choices[0]?.message.content).toBe("via jwt");
    const usage = await gatewayFetch("https://gateway.test/v1/usage", { headers: { authorization: `Bearer ${t}` } });
    expect(((await usage.json()) as { client_id: string }).client_id).toBe("app-user-1");
  });

  it("expired, wrong-audience and tampered tokens: AuthenticationError with the generic 401", async () => {
    const expired = await token({ sub: "u", org: "t" }, { exp: "-10m" });
    const wrongAud = await token({ sub: "u", org: "t" }, { aud: "someone-else" });
    const good = await token({ sub: "u", org: "t" });
    const tampered = `${good.split(".")[0]}.${btoa(JSON.stringify({ sub: "admin", org: "t", iss: ISSUER, aud: "aigis", exp: 9999999999 })).replace(/=+$/, "")}.${good.split(".")[2]}`;
    for (const t of [expired, wrongAud, tampered]) {
      const err = await sdk(t)
        .chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((err as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain("Invalid or missing credentials");
    }
  });

  it("a token whose plan forbids the model: PermissionDeniedError", async () => {
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "jwt-plan", plans: { small: { models: ["mock-gpt-mini"] } } }));
    resetRulesCache();
    try {
      const t = await token({ sub: "u2", org: "t", plan: "small" });
      await expect(sdk(t).chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    } finally {
      await env.CONFIG_KV.delete(RULES_KEY);
      resetRulesCache();
    }
  });
});

describe("verified-token cache", () => {
  it("never outlives the token's exp", async () => {
    const { verifyJwtCached, resetJwtCache } = await import("../src/auth/jwt-cache");
    const { JwtIssuerListSchema } = await import("../src/auth/jwt");
    resetJwtCache();
    const issuers = JwtIssuerListSchema.parse((config.auth as { jwt_issuers: unknown }).jwt_issuers);
    const t = await token({ sub: "cached", org: "t" }, { exp: "30s" });
    const now = Date.now();
    expect(typeof (await verifyJwtCached(t, issuers, () => undefined, now))).toBe("object");
    expect(typeof (await verifyJwtCached(t, issuers, () => undefined, now + 10_000))).toBe("object");
    // 31 s later the cached entry has lapsed with the token (30 s clock tolerance aside, jose decides).
    expect(await verifyJwtCached(t, issuers, () => undefined, now + 31_000 + 31_000)).toBe("expired");
  });
});
