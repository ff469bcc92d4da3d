/**
 * The body of `GET /v1/usage`: what a client has used and has left in the current UTC day
 * and month, and its streams. Usage is counted even without a budget, so a budget added
 * mid-month applies to the month so far. Wire format, hence snake_case.
 */
import type { Limits } from "./limits";
import { nanoToUsd } from "./money";
import { budgetsOf, policyStatuses, usedIn, type Budget, type PolicyStatus } from "./policies";
import { held, rollWindows, type QuotaState } from "./state";
import { windowResetMs, type WindowKind } from "./windows";

export interface UsageFigure {
  /** Settled usage in the window. */
  used: number;
  /** Held by requests still in flight. */
  reserved: number;
  /** Null when no budget applies. */
  limit: number | null;
  remaining: number | null;
}

export interface WindowUsage {
  /** "2026-11-28" or "2026-11" (UTC). */
  window: string;
  reset_seconds: number;
  tokens: UsageFigure;
  /** Only models with a price are counted. */
  spend_usd: UsageFigure;
}

export interface UsageReport {
  day: WindowUsage;
  month: WindowUsage;
  streams: { active: number; limit: number | null };
  /** Rate policies as the RateLimit headers show them. */
  rates: PolicyStatus[];
}

/**
 * @example return c.json(usageReport(state, limits, Date.now()));
 */
export function usageReport(state: QuotaState, limits: Limits, now: number): UsageReport {
  const s = rollWindows(state, now);
  const h = held(s);
  const budgets = budgetsOf(limits);
  const figure = (kind: WindowKind, measure: Budget["measure"]): UsageFigure => {
    const counters = kind === "day" ? s.day : s.month;
    const toUnit = measure === "spend" ? nanoToUsd : (n: number) => n;
    const used = measure === "tokens" ? counters.tokens : counters.spendNano;
    const reserved = measure === "tokens" ? h.tokens : h.costNano;
    const b = budgets.find((x) => x.window === kind && x.measure === measure);
    if (b === undefined) return { used: toUnit(used), reserved: toUnit(reserved), limit: null, remaining: null };
    return { used: toUnit(used), reserved: toUnit(reserved), limit: toUnit(b.limit), remaining: toUnit(Math.max(0, b.limit - usedIn(s, b) - reserved)) };
  };
  const window = (kind: WindowKind): WindowUsage => ({
    // The state's key, not now's: after a clock step back the later window still counts.
    window: (kind === "day" ? s.day : s.month).key,
    reset_seconds: Math.ceil(windowResetMs(kind, now) / 1000),
    tokens: figure(kind, "tokens"),
    spend_usd: figure(kind, "spend"),
  });
  return {
    day: window("day"),
    month: window("month"),
    streams: { active: h.streams, limit: limits.concurrent_streams ?? null },
    rates: policyStatuses(s, limits, now).filter((p) => p.name === "rps" || p.name === "rpm" || p.name === "tpm"),
  };
}
