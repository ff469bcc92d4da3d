import { describe, expect, it } from "vitest";
import { adjust, bucketConfig, bucketWindowSeconds, fullBucket, refill, take, type BucketConfig, type BucketState } from "../src/quota/bucket";
import { windowKey, windowLengthSeconds, windowResetMs } from "../src/quota/windows";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

/** Takes `cost` repeatedly at one instant until refused; returns the successes and the refusal. */
function drain(cfg: BucketConfig, cost: number, now: number, state?: BucketState) {
  let s = state;
  let ok = 0;
  for (;;) {
    const r = take(s, cfg, cost, now);
    if (!r.ok) return { ok, state: s, refusal: r };
    s = r.next;
    ok++;
  }
}

describe("token bucket", () => {
  it("a new bucket is full: exactly capacity requests pass at one instant", () => {
    const cfg = bucketConfig(60, 60, 60_000);
    const { ok, refusal } = drain(cfg, 1, T0);
    expect(ok).toBe(60);
    expect(refusal.remaining).toBe(0);
    expect(refusal.retryAfterMs).toBe(1000);
    expect(refusal.resetMs).toBe(60_000);
  });

  it("retryAfterMs is exact: the request fits at +retryAfterMs and not at +retryAfterMs - 1", () => {
    // 7 per minute: one token every 8571.43 ms, not a whole number of milliseconds.
    const cfg = bucketConfig(7, 7, 60_000);
    const { state, refusal } = drain(cfg, 1, T0);
    expect(refusal.retryAfterMs).toBe(8572);
    expect(take(state, cfg, 1, T0 + 8571).ok).toBe(false);
    expect(take(state, cfg, 1, T0 + 8572).ok).toBe(true);
    // For a larger cost: 3 tokens need 3 × 60000 / 7 = 25714.3 ms.
    const r3 = take(state, cfg, 3, T0);
    expect(r3.retryAfterMs).toBe(25_715);
    expect(take(state, cfg, 3, T0 + 25_714).ok).toBe(false);
    expect(take(state, cfg, 3, T0 + 25_715).ok).toBe(true);
  });

  it("retryAfterMs is exact for many rates, costs and partial levels", () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let i = 0; i < 500; i++) {
      const capacity = 1 + rnd(5000);
      const cfg = bucketConfig(capacity, 1 + rnd(10_000), 1 + rnd(120_000));
      const start = take(undefined, cfg, rnd(capacity + 1), T0).next;
      const later = T0 + rnd(5000);
      const cost = 1 + rnd(capacity);
      const r = take(start, cfg, cost, later);
      if (r.ok) continue;
      expect(take(start, cfg, cost, later + r.retryAfterMs).ok).toBe(true);
      expect(take(start, cfg, cost, later + r.retryAfterMs - 1).ok).toBe(false);
      expect(take(r.next, cfg, 0, later + r.resetMs).remaining).toBe(capacity);
      expect(take(r.next, cfg, 0, later + r.resetMs - 1).remaining).toBeLessThan(capacity);
    }
  });

  it("fractional rates: 0.5 per second (rate given per 1000 s) is one request every 2 s", () => {
    const cfg = bucketConfig(1, 500, 1_000_000);
    expect(cfg).toEqual({ capacity: 1, rate: 1, scale: 2000 });
    const a = take(undefined, cfg, 1, T0);
    const b = take(a.next, cfg, 1, T0);
    expect(b.retryAfterMs).toBe(2000);
    expect(bucketWindowSeconds(cfg)).toBe(2);
  });

  it("a cost larger than the capacity, or not a whole number, is refused and never retried", () => {
    const cfg = bucketConfig(100, 100, 60_000);
    for (const cost of [101, Number.NaN, -1, 1.5, Infinity]) {
      const r = take(undefined, cfg, cost, T0);
      expect(r.ok).toBe(false);
      expect(r.retryAfterMs).toBe(Infinity);
      expect(r.remaining).toBe(100);
    }
    expect(take(undefined, cfg, 100, T0).ok).toBe(true);
    expect(take(undefined, cfg, 0, T0).ok).toBe(true);
  });

  it("a clock going backwards adds nothing, and the interval is not counted twice later", () => {
    const cfg = bucketConfig(10, 10, 10_000); // 1 per second
    const empty = drain(cfg, 1, T0).state!;
    const back = refill(empty, cfg, T0 - 50_000);
    expect(back).toEqual(empty);
    expect(take(empty, cfg, 1, T0 - 50_000).ok).toBe(false);
    // 3 s after the last real time, 3 tokens; not 53.
    expect(take(back, cfg, 0, T0 + 3000).remaining).toBe(3);
  });

  it("a NaN clock refills nothing; a corrupt state is an empty bucket, never a full one", () => {
    const cfg = bucketConfig(10, 10, 10_000);
    const empty = drain(cfg, 1, T0).state!;
    expect(take(empty, cfg, 1, Number.NaN).ok).toBe(false);
    const corrupt = { units: Number.NaN, scale: 1000, updatedMs: T0 } as BucketState;
    expect(take(corrupt, cfg, 1, T0 + 100).ok).toBe(false);
    expect(take({ units: 5, scale: 0, updatedMs: T0 }, cfg, 1, T0).ok).toBe(false);
  });

  it("a long idle time fills the bucket without overflowing", () => {
    const cfg = bucketConfig(1e10, 1e10, 60_000);
    const empty = take(undefined, cfg, 1e10, T0).next;
    expect(empty.units).toBe(0);
    const r = take(empty, cfg, 0, T0 + 50 * 365 * 86_400_000);
    expect(r.remaining).toBe(1e10);
    expect(Number.isSafeInteger(r.next.units)).toBe(true);
  });

  it("a changed rate rescales the stored level instead of misreading it", () => {
    const old = bucketConfig(60, 60, 60_000); // scale 1000
    const half = take(undefined, old, 30, T0).next;
    const faster = bucketConfig(60, 7, 60_000); // scale 60000
    expect(take(half, faster, 0, T0).remaining).toBe(30);
    const smaller = bucketConfig(10, 10, 60_000);
    expect(take(half, smaller, 0, T0).remaining).toBe(10);
  });

  it("adjust: refunds stop at capacity, late charges put the bucket in debt at most one bucket deep", () => {
    const cfg = bucketConfig(100, 100, 60_000);
    const s = take(undefined, cfg, 40, T0).next;
    expect(take(adjust(s, cfg, 25, T0), cfg, 0, T0).remaining).toBe(85);
    expect(take(adjust(s, cfg, 1000, T0), cfg, 0, T0).remaining).toBe(100);
    const debt = adjust(s, cfg, -500, T0);
    expect(debt.units).toBe(-100 * cfg.scale);
    const r = take(debt, cfg, 1, T0);
    expect(r.remaining).toBe(0);
    expect(r.retryAfterMs).toBe(60_600); // 101 tokens at 100 per minute
    expect(adjust(s, cfg, Number.NaN, T0)).toEqual(s);
  });

  it("rejects invalid configurations", () => {
    expect(() => bucketConfig(0, 1, 1000)).toThrow(RangeError);
    expect(() => bucketConfig(1, 0.5, 1000)).toThrow(RangeError);
    expect(() => bucketConfig(Number.MAX_SAFE_INTEGER, 1, 7)).toThrow(RangeError);
    expect(fullBucket(bucketConfig(5, 5, 1000), T0)).toEqual({ units: 1000, scale: 200, updatedMs: T0 });
  });
});

describe("UTC calendar windows", () => {
  it("keys change exactly at midnight UTC and at the first of the month", () => {
    const last = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
    expect(windowKey("day", last)).toBe("2026-11-30");
    expect(windowKey("month", last)).toBe("2026-11");
    expect(windowKey("day", last + 1)).toBe("2026-12-01");
    expect(windowKey("month", last + 1)).toBe("2026-12");
    expect(windowResetMs("day", last)).toBe(1);
    expect(windowResetMs("month", last)).toBe(1);
    expect(windowResetMs("day", last + 1)).toBe(86_400_000);
    expect(windowKey("month", Date.UTC(2026, 11, 31, 23, 59, 59, 999) + 1)).toBe("2027-01");
  });

  it("leap years: February 29 exists in 2028 and not in 2027", () => {
    expect(windowKey("day", Date.UTC(2028, 1, 28, 23, 59, 59, 999) + 1)).toBe("2028-02-29");
    expect(windowKey("day", Date.UTC(2027, 1, 28, 23, 59, 59, 999) + 1)).toBe("2027-03-01");
    expect(windowLengthSeconds("month", Date.UTC(2028, 1, 10))).toBe(29 * 86_400);
    expect(windowLengthSeconds("month", Date.UTC(2027, 1, 10))).toBe(28 * 86_400);
    expect(windowLengthSeconds("month", Date.UTC(2026, 0, 31))).toBe(31 * 86_400);
    expect(windowResetMs("month", Date.UTC(2028, 1, 29))).toBe(86_400_000);
  });

  it("a NaN clock is an error, not a fresh window", () => {
    expect(() => windowKey("day", Number.NaN)).toThrow(RangeError);
    expect(() => windowResetMs("month", Infinity)).toThrow(RangeError);
  });
});
