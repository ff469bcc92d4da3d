/**
 * The extraction defence end to end (issue 7): each action on the wire, shadow mode, the
 * allow-list, the audit trail and the analytics fields. A logit-bias sweep (300 new token
 * ids per request) is the quickest way to raise the score; the policies below lower
 * `sustain` and move thresholds so that each test reaches exactly the action it is about.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { errorOf, perTestClient, post, seedKey, testKey } from "./helpers";

const t = perTestClient("x");
/** A plan that allows logit_bias with logprobs (the defaults strip them together) and echo. */
const plan = (probing: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  t.rules({ plans: { default: { params: { logit_bias_with_logprobs: "allow", echo: "allow", top_logprobs: { max: 20 } }, probing, ...extra } } });

let sweepAt = 0;
/** One request of a logit-bias sweep: 300 token ids never biased before. */
function sweep(extra: Record<string, unknown> = {}, model = "mock-gpt"): Promise<Response> {
  const start = sweepAt;
  sweepAt += 300;
  const logit_bias = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [String(start + i), 50]));
  return post("/v1/chat/completions", { model, messages: [{ role: "user", content: `probe ${start}` }], logit_bias, max_tokens: 1, ...extra }, { key: t.key() });
}

/** Sends sweep requests until one gets `until` (a header value or 429), at most `max`. */
async function sweepUntil(until: (res: Response) => boolean, max = 20, extra: Record<string, unknown> = {}, model?: string): Promise<{ res: Response; sent: number }> {
  for (let i = 1; i <= max; i++) {
    const res = await sweep(extra, model);
    if (until(res)) return { res, sent: i };
    await res.body?.cancel();
  }
  throw new Error(`no match after ${max} requests`);
}

const blob = (p: AnalyticsEngineDataPoint, i: number) => p.blobs?.[i - 1];
const double = (p: AnalyticsEngineDataPoint, i: number) => p.doubles?.[i - 1];

describe("extraction defence: actions", () => {
  it("allows plain chat and records a zero score", async () => {
    const res = await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "hello there" }] }, { key: t.key() });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigis-probing")).toBeNull();
    const p = await t.lastPoint();
    expect(blob(p, 17)).toBe("allow");
    expect(double(p, 20)).toBe(0);
  });

  it("denies a sustained logit-bias sweep with 429 probing_limited and an honest Retry-After, and stays denied", async () => {
    await plan({ sustain: 2 });
    const { res, sent } = await sweepUntil((r) => r.status === 429);
    expect(sent).toBeLessThanOrEqual(12);
    expect((await errorOf(res)).code).toBe("probing_limited");
    const retry = Number(res.headers.get("retry-after"));
    expect(Number.isInteger(retry) && retry > 0).toBe(true);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("x-request-id")).toMatch(/.+/);
    // Even an innocent request is refused while denied: the client, not the request, is throttled.
    const again = await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "hello" }] }, { key: t.key() });
    expect(again.status).toBe(429);
    const p = await t.lastPoint();
    expect(blob(p, 17)).toBe("deny");
    expect(blob(p, 18)).toContain("distinct_logit_bias_tokens");
    expect(double(p, 20)).toBeGreaterThanOrEqual(0.85);
  });

  it("degrades: fewer top_logprobs, logit_bias clamped, n = 1; the provider sees the degraded request", async () => {
    await plan({ sustain: 2, thresholds: { degrade: 0.3, slow: 1, deny: 1 } });
    const { res } = await sweepUntil((r) => r.headers.get("x-aigis-probing") === "degrade", 20, { logprobs: true, top_logprobs: 10, n: 3, max_tokens: 4000 }, "mock-echo-request");
    expect(res.status).toBe(200);
    const echoed = JSON.parse(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content) as { body: Record<string, unknown> };
    expect(echoed.body.top_logprobs).toBe(1);
    expect(echoed.body.n).toBe(1);
    const bias = echoed.body.logit_bias as Record<string, number>;
    expect(Object.keys(bias)).toHaveLength(8);
    expect(Math.max(...Object.values(bias))).toBe(5);
    expect(blob(await t.lastPoint(), 4)).toBe("throttle");
  });

  it("rounds the logprobs a degraded client gets back (mock-logit: a real low-rank logit model)", async () => {
    await plan({ sustain: 2, thresholds: { degrade: 0.3, slow: 1, deny: 1 } });
    const { res } = await sweepUntil((r) => r.headers.get("x-aigis-probing") === "degrade", 20, { logprobs: true, top_logprobs: 5 }, "mock-logit");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { logprobs: { content: { logprob: number; top_logprobs: { logprob: number }[] }[] } }[] };
    const content = body.choices[0]!.logprobs.content;
    const values = content.flatMap((c) => [c.logprob, ...c.top_logprobs.map((t) => t.logprob)]);
    expect(content[0]!.top_logprobs).toHaveLength(1);
    for (const v of values) expect(Math.abs(v * 10 - Math.round(v * 10))).toBeLessThan(1e-9);
    // An undegraded answer carries full precision (the comparison that makes the check above mean something).
    await plan({ enabled: false });
    const plain = (await (await post("/v1/chat/completions", { model: "mock-logit", messages: [{ role: "user", content: "hello" }], logprobs: true, top_logprobs: 5, max_tokens: 1 }, { key: t.key() })).json()) as typeof body;
    const raw = plain.choices[0]!.logprobs.content[0]!.top_logprobs.map((t) => t.logprob);
    expect(raw.some((v) => Math.abs(v * 10 - Math.round(v * 10)) > 1e-6)).toBe(true);
  });

  it("slows down: the request is delayed, degraded, and says so", async () => {
    await plan({ sustain: 2, slow_ms: 20, thresholds: { degrade: 0.2, slow: 0.3, deny: 1 } });
    const { res } = await sweepUntil((r) => r.headers.get("x-aigis-probing") === "slow");
    expect(res.status).toBe(200);
    const p = await t.lastPoint();
    expect(blob(p, 17)).toBe("slow");
    expect(blob(p, 6)).toContain("probing.slow");
  });

  it("rounds embeddings to 8-bit steps for a degraded client", async () => {
    // Near-duplicate embedding inputs escalate slowly; a low threshold makes the test short.
    await plan({ sustain: 2, min_observations: 2, thresholds: { degrade: 0.05, slow: 1, deny: 1 } });
    let vector: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await post("/v1/embeddings", { model: "mock-embed", input: `the account number of customer ${i}` }, { key: t.key() });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { embedding: number[] }[] };
      if (res.headers.get("x-aigis-probing") === "degrade") {
        vector = body.data[0]!.embedding;
        break;
      }
    }
    expect(vector.length).toBeGreaterThan(0);
    const step = Math.max(...vector.map(Math.abs)) / 127;
    for (const x of vector) expect(Math.abs(x / step - Math.round(x / step))).toBeLessThan(1e-6);
  });
});

describe("extraction defence: shadow mode, allow-list, audit", () => {
  it("shadow mode records what it would do and changes nothing", async () => {
    await plan({ sustain: 2, mode: "shadow" });
    for (let i = 0; i < 12; i++) {
      const res = await sweep();
      expect(res.status).toBe(200);
      expect(res.headers.get("x-aigis-probing")).toBeNull();
      await res.body?.cancel();
    }
    const p = await t.lastPoint();
    expect(blob(p, 17)).toBe("deny:shadow");
    expect(blob(p, 4)).toBe("shadow");
    expect(blob(p, 6)).toContain("shadow.probing.deny");
  });

  it("an allow-listed client is never throttled; its score is still computed", async () => {
    expect((await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "x" }] }, { key: t.key() })).status).toBe(200);
    // perTestClient seeds a fresh client id per test; analytics index it.
    const clientId = (await t.lastPoint()).indexes?.[0] as string;
    await plan({ sustain: 2, allow_clients: [clientId] });
    for (let i = 0; i < 12; i++) {
      const res = await sweep();
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const p = await t.lastPoint();
    expect(blob(p, 17)).toBe("allow");
    expect(blob(p, 18)).toContain("allow_listed");
    expect(double(p, 20)).toBeGreaterThan(0.85);
  });

  it("keeps an audit record of every action, readable by an operator", async () => {
    await plan({ sustain: 2 });
    await sweepUntil((r) => r.status === 429);
    const clientId = (await t.lastPoint()).indexes?.[0] as string;
    const admin = await seedKey(testKey(`admin${crypto.randomUUID().replace(/-/g, "")}`), { client_id: "ops", scopes: ["admin"] });
    const res = await adminGet(`/admin/v1/probing?client_id=${clientId}&limit=5`, admin);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { summary: { score: number; level: string }; stateBytes: number; audit: { action: string; enforced: boolean; reasons: string; retryAfterS: number | null }[] };
    expect(report.summary.level).toBe("deny");
    expect(report.summary.score).toBeGreaterThan(0.85);
    expect(report.stateBytes).toBeLessThan(16_384);
    expect(report.audit[0]).toMatchObject({ action: "deny", enforced: true });
    expect(report.audit[0]!.retryAfterS).toBeGreaterThan(0);
    expect(report.audit[0]!.reasons).toContain("distinct_logit_bias_tokens");
    // Audit times are the gateway's clock: the simulator's clock header is ignored unless
    // the simulator's own binding is set (it is not, here or in wrangler.toml).
    await (await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "x" }] }, { key: t.key(), headers: { "x-aigis-sim-now": "1000000000000" } })).body?.cancel();
    const after = (await (await adminGet(`/admin/v1/probing?client_id=${clientId}&limit=1`, admin)).json()) as { audit: { at: number }[] };
    expect(Math.abs(after.audit[0]!.at - Date.now())).toBeLessThan(60_000);
    // Not for ordinary keys.
    expect((await adminGet(`/admin/v1/probing?client_id=${clientId}`, t.key())).status).toBe(403);
  });
});

describe("extraction defence: configuration", () => {
  it("fails closed without the fingerprint key secret", async () => {
    const ctx = createExecutionContext();
    const res = await app.request(
      "https://gateway.test/v1/chat/completions",
      { method: "POST", headers: { authorization: `Bearer ${t.key()}`, "content-type": "application/json" }, body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }) },
      { ...env, AIGIS_PROBE_KEY: undefined },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("config_invalid");
  });

  it("does nothing for a plan with probing off", async () => {
    await plan({ enabled: false });
    for (let i = 0; i < 12; i++) {
      const res = await sweep();
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    expect(blob(await t.lastPoint(), 17)).toBe("");
  });
});

function adminGet(path: string, key: string): Promise<Response> {
  return SELF.fetch(`https://gateway.test${path}`, { headers: { authorization: `Bearer ${key}`, "cf-connecting-ip": "2001:db8::7" } });
}
