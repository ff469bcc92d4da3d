/**
 * CPU cost of the pipeline's pure stages, per request, in microseconds: each stage's real
 * code run in a tight loop on V8 (the engine workerd embeds) with warm caches, so the
 * number is CPU time, not wall time with I/O in it. `npm run bench:stages`; `npm run bench`
 * adds the same figures to its JSON line as `stage_us`.
 *
 * Inside workerd the clock does not advance during pure CPU work (a Spectre mitigation), so
 * per-stage CPU cannot be measured in the Worker itself; this is the measurable stand-in.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { verifyApiKey, sha256Hex, keyStorageName } from "../src/auth/api-keys";
import { JwtIssuerListSchema, verifyJwt } from "../src/auth/jwt";
import { verifyJwtCached } from "../src/auth/jwt-cache";
import { generateApiKey } from "../src/auth/key-format";
import { extractTexts } from "../src/firewall/extract";
import { FirewallPolicySchema } from "../src/firewall/policy";
import { classifierDecisions, scanSlots } from "../src/firewall/scan";
import { bodyObjectRefs } from "../src/policy/objects";
import { applyParamPolicy } from "../src/policy/params";
import { decodeUtf8, exceedsDepth, parseJsonObject, validateBody } from "../src/request/body";
import { ParamPolicySchema } from "../src/rules/schema";
import { getRules } from "../src/rules/store";
import { requestSchema } from "../src/schemas";
import { z } from "zod";

// workerd forbids code generation from strings, so zod runs without its JIT there; measure
// it the same way here.
z.config({ jitless: true });

const encoder = new TextEncoder();

/** Median of `rounds` timings of `iterations` calls, in microseconds per call. */
async function measure(fn: () => unknown | Promise<unknown>, iterations = 20_000, rounds = 5): Promise<number> {
  for (let i = 0; i < 2_000; i++) await fn(); // warm-up: JIT and caches
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    perCall.push(Number(process.hrtime.bigint() - t0) / 1000 / iterations);
  }
  perCall.sort((a, b) => a - b);
  return Math.round((perCall[Math.floor(rounds / 2)] as number) * 100) / 100;
}

/** An in-memory stand-in for the KV binding (only warm paths are measured: it is barely hit). */
function memoryKv(entries: Record<string, string>): KVNamespace {
  return { get: async (k: string) => entries[k] ?? null } as unknown as KVNamespace;
}

/** A plain loop over an async no-op: subtracted so `await` itself is not billed to a stage. */
async function baseline(): Promise<number> {
  return measure(async () => undefined);
}

export async function stageCosts(): Promise<Record<string, number>> {
  const key = generateApiKey();
  const kv = memoryKv({
    [keyStorageName(await sha256Hex(key))]: JSON.stringify({ client_id: "bench", tenant: "bench", name: "b", plan: "demo", scopes: ["chat"] }),
  });
  const now = Date.now();
  const base = await baseline();

  const auth = await measure(async () => {
    await getRules(kv, now);
    const id = await verifyApiKey(kv, key, now);
    if (typeof id === "string") throw new Error(`bench key refused: ${id}`);
  });

  // A JWT with a static key set (a remote one is the same once cached): ES256 verification.
  const pair = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
  const issuers = JwtIssuerListSchema.parse([{ issuer: "https://idp.example/", audience: "aigis", jwks: { keys: [jwk] }, algorithms: ["ES256"], default_tenant: "t" }]);
  const jwt = await new SignJWT({ sub: "bench" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer("https://idp.example/").setAudience("aigis").setIssuedAt().setExpirationTime("1h").sign(pair.privateKey);
  const authJwt = await measure(async () => {
    const id = await verifyJwt(jwt, issuers, () => undefined, Date.now());
    if (typeof id === "string") throw new Error(`bench jwt refused: ${id}`);
  }, 5_000);
  // What the authenticate stage runs: the same token again hits the per-isolate cache.
  const authJwtWarm = await measure(async () => {
    const id = await verifyJwtCached(jwt, issuers, () => undefined, Date.now());
    if (typeof id === "string") throw new Error(`bench jwt refused: ${id}`);
  });

  const body = encoder.encode(JSON.stringify({ model: "mock-gpt", messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: "Hello from the benchmark, please echo this line." }], temperature: 0.2, max_tokens: 256 }));
  const schema = requestSchema("chat", "reject");
  const validate = await measure(() => {
    const text = decodeUtf8(body);
    if (exceedsDepth(text, 64)) throw new Error("depth");
    validateBody(schema, parseJsonObject(text));
  });

  const policy = ParamPolicySchema.parse({});
  const parsed = validateBody(schema, parseJsonObject(decodeUtf8(body)));
  const authorise = await measure(() => applyParamPolicy("chat", parsed, policy));
  // The walk every chat request pays; with no ids found there is no Durable Object call.
  const bodyObjects = await measure(() => bodyObjectRefs("chat", parsed));

  // The input firewall on the same small request, every scanner on (bench:scan has sizes).
  const fwPolicy = FirewallPolicySchema.parse({});
  const firewall = await measure(() => {
    const scans = scanSlots(extractTexts(parsed).texts, fwPolicy);
    let injection = 0;
    let jailbreak = 0;
    for (const x of scans) {
      injection = Math.max(injection, x.scores.injection);
      jailbreak = Math.max(jailbreak, x.scores.jailbreak);
    }
    classifierDecisions({ injection, jailbreak }, fwPolicy);
  });

  const sub = (v: number): number => Math.max(0, Math.round((v - base) * 100) / 100);
  return { auth_api_key: sub(auth), auth_jwt_es256_cold: sub(authJwt), auth_jwt_warm: sub(authJwtWarm), parse_validate: sub(validate), authorise: sub(authorise), body_objects: sub(bodyObjects), firewall: sub(firewall) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const costs = await stageCosts();
  for (const [k, v] of Object.entries(costs)) console.error(`${k.padEnd(16)} ${v.toFixed(2)} us/request`);
  console.log(JSON.stringify({ stage_us: costs }));
}
