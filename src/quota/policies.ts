/**
 * The configured limits as named policies: the bucket behind each rate, the window behind
 * each budget, and the status of each (limit, remaining, reset) that the RateLimit headers
 * and `GET /v1/usage` show. Names are stable: clients see them in headers.
 */
import { bucketConfig, bucketWindowSeconds, take, type BucketConfig } from "./bucket";
import type { Limits } from "./limits";
import { nanoToUsd, usdToNano } from "./money";
import { held, type BucketPolicy, type QuotaState } from "./state";
import { windowLengthSeconds, windowResetMs, type WindowKind } from "./windows";

export type BudgetPolicy = "daily_tokens" | "monthly_tokens" | "daily_spend" | "monthly_spend";
export type PolicyName = BucketPolicy | "streams" | BudgetPolicy;

/** `usd` amounts are dollars; the others are counts. */
export type PolicyUnit = "requests" | "tokens" | "concurrent-requests" | "usd";

/** One configured policy as the client may see it. */
export interface PolicyStatus {
  name: PolicyName;
  unit: PolicyUnit;
  limit: number;
  /** What a new request can still use now (never negative; whole tokens, floored). */
  remaining: number;
  /** Whole seconds (rounded up) until a bucket is full again or a window resets; absent for streams. */
  resetSeconds?: number;
  /** The policy's window in seconds (a bucket's time to fill from empty); absent for streams. */
  windowSeconds?: number;
}

export interface Budget {
  name: BudgetPolicy;
  window: WindowKind;
  measure: "tokens" | "spend";
  /** Tokens, or nano-dollars for spend. */
  limit: number;
}

/** The rate buckets that apply, in a fixed order. */
export function bucketsOf(limits: Limits): Array<[BucketPolicy, BucketConfig]> {
  const out: Array<[BucketPolicy, BucketConfig]> = [];
  const rps = limits.requests_per_second;
  if (rps !== undefined) {
    // `rate` has at most three decimals (schema), so rate × 1000 per 1000 s is an integer.
    out.push(["rps", bucketConfig(rps.burst ?? Math.max(1, Math.ceil(rps.rate)), Math.round(rps.rate * 1000), 1_000_000)]);
  }
  if (limits.requests_per_minute !== undefined) out.push(["rpm", bucketConfig(limits.requests_per_minute, limits.requests_per_minute, 60_000)]);
  if (limits.tokens_per_minute !== undefined) out.push(["tpm", bucketConfig(limits.tokens_per_minute, limits.tokens_per_minute, 60_000)]);
  return out;
}

/** The budgets that apply, in a fixed order. */
export function budgetsOf(limits: Limits): Budget[] {
  const out: Budget[] = [];
  if (limits.daily_tokens !== undefined) out.push({ name: "daily_tokens", window: "day", measure: "tokens", limit: limits.daily_tokens });
  if (limits.monthly_tokens !== undefined) out.push({ name: "monthly_tokens", window: "month", measure: "tokens", limit: limits.monthly_tokens });
  if (limits.daily_spend_usd !== undefined) out.push({ name: "daily_spend", window: "day", measure: "spend", limit: usdToNano(limits.daily_spend_usd) });
  if (limits.monthly_spend_usd !== undefined) out.push({ name: "monthly_spend", window: "month", measure: "spend", limit: usdToNano(limits.monthly_spend_usd) });
  return out;
}

/** Tokens or nano-dollars already used in the budget's window (settled only). */
export function usedIn(state: QuotaState, b: Budget): number {
  const counters = b.window === "day" ? state.day : state.month;
  return b.measure === "tokens" ? counters.tokens : counters.spendNano;
}

/**
 * The status of every configured policy for `state` at `now` (call with windows rolled).
 * Reading a bucket refills a copy; nothing is taken.
 */
export function policyStatuses(state: QuotaState, limits: Limits, now: number): PolicyStatus[] {
  const out: PolicyStatus[] = [];
  for (const [name, cfg] of bucketsOf(limits)) {
    const peek = take(state.buckets[name], cfg, 0, now);
    out.push({
      name,
      unit: name === "tpm" ? "tokens" : "requests",
      limit: cfg.capacity,
      remaining: peek.remaining,
      resetSeconds: Math.ceil(peek.resetMs / 1000),
      windowSeconds: bucketWindowSeconds(cfg),
    });
  }
  const h = held(state);
  if (limits.concurrent_streams !== undefined) {
    out.push({ name: "streams", unit: "concurrent-requests", limit: limits.concurrent_streams, remaining: Math.max(0, limits.concurrent_streams - h.streams) });
  }
  for (const b of budgetsOf(limits)) {
    const left = Math.max(0, b.limit - usedIn(state, b) - (b.measure === "tokens" ? h.tokens : h.costNano));
    const spend = b.measure === "spend";
    out.push({
      name: b.name,
      unit: spend ? "usd" : "tokens",
      limit: spend ? nanoToUsd(b.limit) : b.limit,
      remaining: spend ? nanoToUsd(left) : left,
      resetSeconds: Math.ceil(windowResetMs(b.window, now) / 1000),
      windowSeconds: windowLengthSeconds(b.window, now),
    });
  }
  return out;
}
