import { describe, expect, it } from "vitest";
import { admit, emptyState, expireReservations, restoreState, settle, STREAM_RETRY_MS, usageReport, type AdmitRequest, type AdmitResult, type QuotaState } from "../src/quota/engine";
import { LimitsSchema, priceFor, PriceTableSchema, TenantBudgetSchema, type Limits, type PriceTable } from "../src/quota/limits";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const limits = (x: object): Limits => LimitsSchema.parse(x);
const PRICES: PriceTable = PriceTableSchema.parse({
  "gpt-4o*": { input_per_mtok: 2.5, output_per_mtok: 10 },
  "gpt-4o-mini*": { input_per_mtok: 0.15, output_per_mtok: 0.6 },
  "free-embed": { input_per_mtok: 0, output_per_mtok: 0 },
});

let seq = 0;
const rq = (over: Partial<AdmitRequest> = {}): AdmitRequest => ({ id: `req_${++seq}`, model: "gpt-4o", inputTokens: 10, outputCap: 0, n: 1, stream: false, ...over });

function ok(r: AdmitResult): Extract<AdmitResult, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${r.reason} by ${r.policy}`);
  return r;
}
function refused(r: AdmitResult): Extract<AdmitResult, { ok: false }> {
  if (r.ok) throw new Error("admitted");
  return r;
}

/** Admits `count` requests in a row, keeping state (settling each at once if asked); returns how many passed. */
function run(state: QuotaState, lim: Limits, count: number, now: number, over: Partial<AdmitRequest> = {}, settleEach = false) {
  let s = state;
  let passed = 0;
  let last: AdmitResult | undefined;
  for (let i = 0; i < count; i++) {
    const req = rq(over);
    last = admit(s, lim, PRICES, req, now);
    if (last.ok) {
      s = last.state;
      passed++;
      if (settleEach) s = settle(s, req.id, { inputTokens: req.inputTokens, outputTokens: 0 }, lim, now).state;
    }
  }
  return { state: s, passed, last: last! };
}

const status = (r: AdmitResult, name: string) => r.policies.find((p) => p.name === name)!;

describe("limits are exact", () => {
  it("2N sequential admits against each limit of N admit exactly N", () => {
    expect(run(emptyState(), limits({ requests_per_minute: 25 }), 50, T0).passed).toBe(25);
    expect(run(emptyState(), limits({ requests_per_second: { rate: 5, burst: 8 } }), 16, T0).passed).toBe(8);
    expect(run(emptyState(), limits({ tokens_per_minute: 250 }), 50, T0).passed).toBe(25);
    expect(run(emptyState(), limits({ daily_tokens: 250 }), 50, T0).passed).toBe(25);
    expect(run(emptyState(), limits({ monthly_tokens: 250 }), 50, T0).passed).toBe(25);
    expect(run(emptyState(), limits({ concurrent_streams: 25 }), 50, T0, { stream: true }).passed).toBe(25);
    // 10 input tokens of gpt-4o cost $0.000025; $0.000625 pays for exactly 25.
    expect(run(emptyState(), limits({ daily_spend_usd: 0.000625 }), 50, T0).passed).toBe(25);
    expect(run(emptyState(), limits({ monthly_spend_usd: 0.000625 }), 50, T0).passed).toBe(25);
  });

  it("retryAfterMs is exact: admitting at +retryAfterMs succeeds, at +retryAfterMs - 1 fails", () => {
    const lim = limits({ requests_per_minute: 7, tokens_per_minute: 1000 });
    const { state, last } = run(emptyState(), lim, 8, T0);
    const r = refused(last);
    expect(r).toMatchObject({ reason: "rate_limited", policy: "rpm", retryAfterMs: 8572 });
    expect(admit(state, lim, PRICES, rq(), T0 + r.retryAfterMs - 1).ok).toBe(false);
    expect(admit(state, lim, PRICES, rq(), T0 + r.retryAfterMs).ok).toBe(true);
    // The tokens bucket: 1000 per minute, 990 left, a 600-token request needs 590 more.
    const t = refused(admit(ok(admit(emptyState(), lim, PRICES, rq({ inputTokens: 400 }), T0)).state, lim, PRICES, rq({ inputTokens: 700 }), T0));
    expect(t).toMatchObject({ reason: "rate_limited", policy: "tpm", retryAfterMs: 6000 });
  });

  it("a request larger than the tokens bucket can ever hold is refused for good", () => {
    const r = refused(admit(emptyState(), limits({ tokens_per_minute: 1000 }), PRICES, rq({ inputTokens: 900, outputCap: 200 }), T0));
    expect(r).toMatchObject({ reason: "exceeds_capacity", policy: "tpm", retryAfterMs: Infinity });
  });
});

describe("several policies at once", () => {
  const lim = limits({ requests_per_second: { rate: 1, burst: 2 }, requests_per_minute: 100, tokens_per_minute: 10_000, daily_tokens: 1000, concurrent_streams: 1 });

  it("the most restrictive failure decides, and a refusal consumes nothing anywhere", () => {
    const a = ok(admit(emptyState(), lim, PRICES, rq({ inputTokens: 900, stream: true }), T0));
    const before = structuredClone(a.state);
    // Fails rps? no (1 left); fails streams (1 open) and daily tokens (100 left): the budget waits longest.
    const r = refused(admit(a.state, lim, PRICES, rq({ inputTokens: 200, stream: true }), T0));
    expect(r).toMatchObject({ reason: "insufficient_quota", policy: "daily_tokens", retryAfterMs: 12 * 3_600_000 });
    expect(a.state).toEqual(before);
    // Only the streams limit: too_many_streams with its hint.
    expect(refused(admit(a.state, lim, PRICES, rq({ inputTokens: 10, stream: true }), T0))).toMatchObject({ reason: "too_many_streams", policy: "streams", retryAfterMs: STREAM_RETRY_MS });
    expect(a.state).toEqual(before);
    // The refusals took nothing: the rps bucket still has its second token, rpm 99, tpm 9100.
    const b = ok(admit(a.state, lim, PRICES, rq({ inputTokens: 50 }), T0));
    expect(status(b, "rps").remaining).toBe(0);
    expect(status(b, "rpm").remaining).toBe(98);
    expect(status(b, "tpm").remaining).toBe(10_000 - 950);
    expect(status(b, "daily_tokens").remaining).toBe(50);
  });

  it("a rate refusal does not take from the budgets or the other buckets", () => {
    let s = emptyState();
    s = ok(admit(s, lim, PRICES, rq(), T0)).state;
    s = ok(admit(s, lim, PRICES, rq(), T0)).state;
    const before = structuredClone(s);
    const r = refused(admit(s, lim, PRICES, rq(), T0));
    expect(r).toMatchObject({ reason: "rate_limited", policy: "rps", retryAfterMs: 1000 });
    expect(s).toEqual(before);
    expect(status(r, "rpm").remaining).toBe(98);
    expect(status(r, "daily_tokens").remaining).toBe(980);
    expect(r.policies.map((p) => p.name)).toEqual(["rps", "rpm", "tpm", "streams", "daily_tokens"]);
  });
});

describe("calendar windows", () => {
  it("a day budget exhausted at 23:59:59.999 UTC resets at 00:00:00.000", () => {
    const lim = limits({ daily_tokens: 100 });
    const late = Date.UTC(2026, 10, 28, 23, 59, 59, 999);
    const { state, last } = run(emptyState(), lim, 11, late, {}, true);
    expect(refused(last)).toMatchObject({ reason: "insufficient_quota", policy: "daily_tokens", retryAfterMs: 1 });
    expect(admit(state, lim, PRICES, rq(), late + 1).ok).toBe(true);
  });

  it("month end, year end, and the leap day", () => {
    const lim = limits({ monthly_tokens: 100 });
    for (const [y, m, d] of [[2026, 10, 30], [2026, 11, 31], [2028, 1, 29], [2027, 1, 28]] as const) {
      const late = Date.UTC(y, m, d, 23, 59, 59, 999);
      const { state, last } = run(emptyState(), lim, 11, late, {}, true);
      expect(refused(last).retryAfterMs).toBe(1);
      const next = ok(admit(state, lim, PRICES, rq(), late + 1));
      expect(next.state.month.key).not.toBe(state.month.key);
      expect(next.state.month.tokens).toBe(0); // settled usage of the old month is dropped
    }
    const feb = refused(run(emptyState(), limits({ daily_tokens: 10 }), 2, Date.UTC(2028, 1, 28, 23, 0)).last);
    expect(feb.retryAfterMs).toBe(3_600_000);
    expect(status(feb, "daily_tokens").windowSeconds).toBe(86_400);
    expect(status(ok(admit(emptyState(), lim, PRICES, rq(), Date.UTC(2028, 1, 29))), "monthly_tokens").windowSeconds).toBe(29 * 86_400);
  });

  it("requests still in flight at midnight hold their reservation against the new day", () => {
    const lim = limits({ daily_tokens: 100 });
    const late = Date.UTC(2026, 10, 28, 23, 59, 59, 999);
    const { state } = run(emptyState(), lim, 10, late);
    expect(admit(state, lim, PRICES, rq(), late + 1).ok).toBe(false);
    const id = state.reservations[0]!.id;
    const s = settle(state, id, { inputTokens: 10, outputTokens: 0 }, lim, late + 2).state;
    expect(s.day).toEqual({ key: "2026-11-29", tokens: 10, spendNano: 25_000 });
    expect(admit(s, lim, PRICES, rq(), late + 2).ok).toBe(false);
  });

  it("a clock stepping back over midnight keeps the later day's usage", () => {
    const lim = limits({ daily_tokens: 15 });
    const s = ok(admit(emptyState(), lim, PRICES, rq(), Date.UTC(2026, 10, 29, 0, 0, 1))).state;
    const settled = settle(s, s.reservations[0]!.id, { inputTokens: 10, outputTokens: 0 }, lim, Date.UTC(2026, 10, 29, 0, 0, 2)).state;
    expect(admit(settled, lim, PRICES, rq(), Date.UTC(2026, 10, 28, 23, 59)).ok).toBe(false);
  });
});

describe("reserve and settle", () => {
  const lim = limits({ tokens_per_minute: 10_000, requests_per_minute: 10, daily_tokens: 100_000, daily_spend_usd: 10 });

  it("reserves input + outputCap × n and its price; settling charges actual usage and refunds the rest", () => {
    const req = rq({ inputTokens: 1000, outputCap: 500, n: 2 });
    const a = ok(admit(emptyState(), lim, PRICES, req, T0));
    expect(a.reservation).toEqual({ id: req.id, tokens: 2000, costUsd: 0.0125, stream: false, grantedOutputTokens: 1000 });
    expect(status(a, "tpm").remaining).toBe(8000);
    expect(status(a, "daily_spend").remaining).toBeCloseTo(9.9875, 9);
    const s = settle(a.state, req.id, { inputTokens: 1000, outputTokens: 300 }, lim, T0);
    expect(s).toMatchObject({ settled: true, charged: { tokens: 1300, costUsd: 0.0055 } });
    expect(s.state.day).toEqual({ key: "2026-11-28", tokens: 1300, spendNano: 5_500_000 });
    expect(s.state.month).toEqual({ key: "2026-11", tokens: 1300, spendNano: 5_500_000 });
    expect(s.state.reservations).toEqual([]);
    const report = usageReport(s.state, lim, T0);
    expect(report.day.tokens).toEqual({ used: 1300, reserved: 0, limit: 100_000, remaining: 98_700 });
    expect(report.day.spend_usd).toEqual({ used: 0.0055, reserved: 0, limit: 10, remaining: 9.9945 });
    // 700 refunded to the tokens bucket; the request itself stays counted.
    const after = ok(admit(s.state, lim, PRICES, rq(), T0));
    expect(status(after, "tpm").remaining).toBe(8700 - 10);
    expect(status(after, "rpm").remaining).toBe(8);
  });

  it("settling is idempotent, a refund never exceeds the reservation nor fills the bucket past capacity", () => {
    const req = rq({ inputTokens: 100, outputCap: 100 });
    const a = ok(admit(emptyState(), lim, PRICES, req, T0));
    const once = settle(a.state, req.id, { inputTokens: 0, outputTokens: 0 }, lim, T0 + 30_000);
    expect(once.charged.tokens).toBe(0);
    expect(once.state.buckets.tpm!.units / once.state.buckets.tpm!.scale).toBe(10_000);
    const twice = settle(once.state, req.id, { inputTokens: 0, outputTokens: 0 }, lim, T0 + 30_000);
    expect(twice).toEqual({ state: once.state, settled: false, charged: { tokens: 0, costUsd: 0 } });
    expect(twice.state).toBe(once.state);
    expect(settle(a.state, "req_unknown", { released: true }, lim, T0).state).toBe(a.state);
  });

  it("usage beyond the reservation is charged in full, and taken from the tokens bucket", () => {
    const req = rq({ inputTokens: 100, outputCap: 100 });
    const a = ok(admit(emptyState(), lim, PRICES, req, T0));
    const s = settle(a.state, req.id, { inputTokens: 100, outputTokens: 2900 }, lim, T0);
    expect(s.charged.tokens).toBe(3000);
    expect(status(ok(admit(s.state, lim, PRICES, rq({ inputTokens: 0 }), T0)), "tpm").remaining).toBe(7000);
  });

  it("usage that is not a whole number is not trusted: the reservation is charged", () => {
    const req = rq({ inputTokens: 100, outputCap: 100 });
    const a = ok(admit(emptyState(), lim, PRICES, req, T0));
    for (const bad of [Number.NaN, -5, 1.5]) {
      expect(settle(a.state, req.id, { inputTokens: 100, outputTokens: bad }, lim, T0).charged.tokens).toBe(200);
    }
  });

  it("a released request gives back its tokens and spend but still counts as a request", () => {
    const req = rq({ inputTokens: 1000, outputCap: 1000 });
    const a = ok(admit(emptyState(), lim, PRICES, req, T0));
    const s = settle(a.state, req.id, { released: true }, lim, T0);
    expect(s.charged).toEqual({ tokens: 0, costUsd: 0 });
    expect(s.state.day.tokens).toBe(0);
    const after = ok(admit(s.state, lim, PRICES, rq({ inputTokens: 0 }), T0));
    expect(status(after, "tpm").remaining).toBe(10_000);
    expect(status(after, "rpm").remaining).toBe(8);
    expect(status(after, "daily_tokens").remaining).toBe(100_000);
  });

  it("an aborted stream is charged for what was generated and frees its stream slot", () => {
    const sl = limits({ concurrent_streams: 1, daily_tokens: 10_000 });
    const req = rq({ inputTokens: 100, outputCap: 1000, stream: true });
    const a = ok(admit(emptyState(), sl, PRICES, req, T0));
    expect(admit(a.state, sl, PRICES, rq({ stream: true }), T0).ok).toBe(false);
    const s = settle(a.state, req.id, { inputTokens: 100, outputTokens: 37, aborted: true }, sl, T0 + 5000);
    expect(s.charged.tokens).toBe(137);
    const b = ok(admit(s.state, sl, PRICES, rq({ stream: true }), T0 + 5000));
    expect(status(b, "streams").remaining).toBe(0);
    expect(status(b, "daily_tokens").remaining).toBe(10_000 - 137 - 10);
  });

  it("concurrent streams count streams only, and free on settle", () => {
    const sl = limits({ concurrent_streams: 2 });
    let s = emptyState();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = ok(admit(s, sl, PRICES, rq({ stream: true }), T0));
      ids.push(r.reservation.id);
      s = r.state;
    }
    expect(refused(admit(s, sl, PRICES, rq({ stream: true }), T0)).reason).toBe("too_many_streams");
    s = ok(admit(s, sl, PRICES, rq({ stream: false }), T0)).state;
    s = settle(s, ids[0]!, { inputTokens: 10, outputTokens: 5 }, sl, T0 + 1).state;
    expect(ok(admit(s, sl, PRICES, rq({ stream: true }), T0 + 1)).policies).toContainEqual({ name: "streams", unit: "concurrent-requests", limit: 2, remaining: 0 });
  });

  it("admitting the same id twice (a retried RPC) reserves once", () => {
    const req = rq({ inputTokens: 100 });
    const lim2 = limits({ requests_per_minute: 10, daily_tokens: 1000 });
    const a = ok(admit(emptyState(), lim2, PRICES, req, T0));
    const b = ok(admit(a.state, lim2, PRICES, req, T0));
    expect(b.reservation).toEqual(a.reservation);
    expect(b.state).toEqual(a.state);
  });
});

describe("grants for mid-stream enforcement", () => {
  it("a token budget with room for the input and some output grants that output", () => {
    const lim = limits({ daily_tokens: 1000 });
    const a = ok(admit(emptyState(), lim, PRICES, rq({ inputTokens: 900, outputCap: 500, stream: true }), T0));
    expect(a.reservation).toMatchObject({ tokens: 1000, grantedOutputTokens: 100 });
    expect(refused(admit(a.state, lim, PRICES, rq({ inputTokens: 0, outputCap: 10 }), T0)).reason).toBe("insufficient_quota");
    // Room for the input but not one output token: refused. One token more: a grant of 1.
    expect(admit(emptyState(), lim, PRICES, rq({ inputTokens: 1000, outputCap: 10 }), T0).ok).toBe(false);
    expect(ok(admit(emptyState(), lim, PRICES, rq({ inputTokens: 999, outputCap: 10 }), T0)).reservation.grantedOutputTokens).toBe(1);
    // No output wanted (embeddings): the input alone must fit.
    expect(ok(admit(emptyState(), lim, PRICES, rq({ inputTokens: 1000, outputCap: 0 }), T0)).reservation.grantedOutputTokens).toBe(0);
  });

  it("a spend budget grants what it can pay for, to the nano-dollar", () => {
    // $0.01 left; 1000 input tokens of gpt-4o cost $0.0025; output costs $0.00001 a token.
    const lim = limits({ daily_spend_usd: 0.01, tokens_per_minute: 100_000 });
    const a = ok(admit(emptyState(), lim, PRICES, rq({ inputTokens: 1000, outputCap: 4096 }), T0));
    expect(a.reservation).toMatchObject({ tokens: 1750, costUsd: 0.01, grantedOutputTokens: 750 });
    expect(status(a, "tpm").remaining).toBe(100_000 - 1750);
    expect(refused(admit(a.state, lim, PRICES, rq({ inputTokens: 1 }), T0)).reason).toBe("insufficient_quota");
  });

  it("the tightest budget wins; without budgets nothing is granted (output is not metered)", () => {
    const lim = limits({ daily_tokens: 5000, monthly_tokens: 1200 });
    expect(ok(admit(emptyState(), lim, PRICES, rq({ inputTokens: 1000, outputCap: 4096 }), T0)).reservation.grantedOutputTokens).toBe(200);
    expect(ok(admit(emptyState(), limits({ requests_per_minute: 5 }), PRICES, rq({ outputCap: 4096 }), T0)).reservation.grantedOutputTokens).toBeUndefined();
  });
});

describe("stale reservations and unpriced models", () => {
  it("a reservation never settled is charged in full after maxAgeMs and frees its stream slot", () => {
    const lim = limits({ concurrent_streams: 1, daily_tokens: 10_000 });
    const req = rq({ inputTokens: 100, outputCap: 400, stream: true });
    const a = ok(admit(emptyState(), lim, PRICES, req, T0));
    expect(admit(a.state, lim, PRICES, rq({ stream: true }), T0 + 60_000, { maxAgeMs: 60_000 }).ok).toBe(false);
    const b = ok(admit(a.state, lim, PRICES, rq({ stream: true }), T0 + 60_001, { maxAgeMs: 60_000 }));
    expect(b.state.day.tokens).toBe(500);
    expect(b.state.reservations).toHaveLength(1);
    // The late settle of the expired id changes nothing.
    expect(settle(b.state, req.id, { inputTokens: 100, outputTokens: 1 }, lim, T0 + 70_000).settled).toBe(false);
    expect(expireReservations(b.state, T0 + 60_001, 60_000)).toBe(b.state);
    expect(() => expireReservations(b.state, Number.NaN, 60_000)).toThrow(RangeError);
  });

  it("a model without a price is refused when a spend budget applies, unless allowed", () => {
    const spend = limits({ daily_spend_usd: 5, daily_tokens: 1000 });
    const s = emptyState();
    const r = refused(admit(s, spend, PRICES, rq({ model: "mystery-1" }), T0));
    expect(r).toMatchObject({ reason: "unpriced_model", policy: "daily_spend", retryAfterMs: Infinity });
    expect(s).toEqual(emptyState());
    const allowed = ok(admit(s, limits({ daily_spend_usd: 5, daily_tokens: 1000, allow_unpriced: true }), PRICES, rq({ model: "mystery-1" }), T0));
    expect(allowed.reservation).toMatchObject({ costUsd: 0, tokens: 10 });
    expect(admit(s, limits({ daily_tokens: 1000 }), PRICES, rq({ model: "mystery-1" }), T0).ok).toBe(true);
  });

  it("prices: the exact name, then the longest prefix", () => {
    expect(priceFor(PRICES, "gpt-4o-2024-08-06")?.input_per_mtok).toBe(2.5);
    expect(priceFor(PRICES, "gpt-4o-mini-2024-07-18")?.input_per_mtok).toBe(0.15);
    expect(priceFor(PRICES, "free-embed")?.output_per_mtok).toBe(0);
    expect(priceFor(PRICES, "free-embed-2")).toBeUndefined();
    expect(priceFor({ "*": { input_per_mtok: 1, output_per_mtok: 1 } }, "anything")?.input_per_mtok).toBe(1);
  });
});

describe("state stays bounded", () => {
  it("100k admits and settles over six weeks leave a small state", () => {
    const lim = limits({ requests_per_second: { rate: 100 }, requests_per_minute: 100_000, tokens_per_minute: 10_000_000, concurrent_streams: 10, daily_tokens: 1e9, monthly_spend_usd: 1e5 });
    let s = emptyState();
    let now = T0;
    let maxLen = 0;
    let open: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      now += 37;
      const r = ok(admit(s, lim, PRICES, rq({ inputTokens: 50, outputCap: 20, stream: i % 3 === 0 }), now));
      s = r.state;
      open.push(r.reservation.id);
      if (open.length > 5) {
        s = settle(s, open.shift()!, { inputTokens: 50, outputTokens: i % 21 }, lim, now).state;
        if (i % 1000 === 0) maxLen = Math.max(maxLen, JSON.stringify(s).length);
      }
      if (i === 50_000) open = []; // five lost isolates: their reservations must expire
      if (i % 9973 === 0) now += 86_400_000; // cross days and months
    }
    expect(s.reservations.length).toBeLessThanOrEqual(5);
    // About 120 bytes per open reservation (at most 10 here), about 400 for the rest.
    expect(JSON.stringify(s).length).toBeLessThan(1200);
    expect(maxLen).toBeLessThan(2000);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it("an in-flight cap bounds the reservations even with no limits configured", () => {
    const { passed, last } = run(emptyState(), limits({}), 5, T0);
    expect(passed).toBe(5);
    const r = admit(run(emptyState(), limits({}), 3, T0).state, limits({}), PRICES, rq(), T0, { maxOpenReservations: 3 });
    expect(refused(r)).toMatchObject({ reason: "rate_limited", policy: "in_flight" });
    expect(last.policies).toEqual([]);
  });

  it("a state saved before reservations became a list (version 1) continues with the same reservations", () => {
    const lim = limits({ tokens_per_minute: 10_000, daily_tokens: 100_000 });
    const a = ok(admit(emptyState(), lim, PRICES, rq({ id: "req_a", inputTokens: 100, outputCap: 50 }), T0));
    const b = ok(admit(a.state, lim, PRICES, rq({ id: "req_b", inputTokens: 10, outputCap: 5, stream: true }), T0 + 1));
    const { reservations, ...rest } = b.state;
    const v1 = { ...rest, v: 1, reservations: Object.fromEntries(reservations.map(({ id, ...r }) => [id, r])) };
    const restored = restoreState(JSON.parse(JSON.stringify(v1)));
    expect(restored).toEqual(b.state);
    expect(restoreState(JSON.parse(JSON.stringify(b.state)))).toEqual(b.state);
    // Settling a restored reservation works as on the original state.
    const s = settle(restored, "req_a", { inputTokens: 100, outputTokens: 20 }, lim, T0 + 2);
    expect(s.settled).toBe(true);
    expect(s.state).toEqual(settle(b.state, "req_a", { inputTokens: 100, outputTokens: 20 }, lim, T0 + 2).state);
    expect(s.state.reservations.map((r) => r.id)).toEqual(["req_b"]);
  });

  it("buckets of policies removed from the rules are dropped", () => {
    const a = ok(admit(emptyState(), limits({ requests_per_minute: 5, tokens_per_minute: 100 }), PRICES, rq(), T0));
    expect(Object.keys(a.state.buckets)).toEqual(["rpm", "tpm"]);
    const b = ok(admit(a.state, limits({ requests_per_minute: 5 }), PRICES, rq(), T0));
    expect(Object.keys(b.state.buckets)).toEqual(["rpm"]);
  });
});

describe("schemas", () => {
  it("limits default the output cap, refuse unknown fields and odd rates", () => {
    expect(LimitsSchema.parse({})).toEqual({ default_output_cap: 4096, allow_unpriced: false });
    expect(LimitsSchema.safeParse({ requests_per_minut: 5 }).success).toBe(false);
    expect(LimitsSchema.safeParse({ requests_per_second: { rate: 0.0001 } }).success).toBe(false);
    expect(LimitsSchema.safeParse({ requests_per_second: { rate: 0.5 } }).success).toBe(true);
    expect(LimitsSchema.safeParse({ tokens_per_minute: 1.5 }).success).toBe(false);
    // A tenant budget is a Limits too: the same engine enforces it.
    const tb = TenantBudgetSchema.parse({ daily_spend_usd: 1 });
    expect(admit(emptyState(), LimitsSchema.parse(tb), PRICES, rq(), T0).ok).toBe(true);
    expect(TenantBudgetSchema.safeParse({ requests_per_minute: 5 }).success).toBe(false);
  });

  it("bad requests from the gateway's own code throw instead of admitting", () => {
    const lim = limits({ requests_per_minute: 5 });
    for (const bad of [{ inputTokens: -1 }, { inputTokens: Number.NaN }, { n: 0 }, { outputCap: 1.5 }, { id: "" }, { id: "é" }]) {
      expect(() => admit(emptyState(), lim, PRICES, rq(bad), T0)).toThrow(RangeError);
    }
    expect(() => admit(emptyState(), lim, PRICES, rq(), Number.NaN)).toThrow(RangeError);
  });
});
