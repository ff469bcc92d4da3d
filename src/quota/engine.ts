/**
 * Admission for exact per-client limits and budgets: pure functions over a `QuotaState`,
 * which the client's Durable Object keeps. One `admit` call checks every policy at once;
 * `settle` (./settle.ts) later replaces the reservation by actual usage.
 *
 * All or nothing: the checks run on the current state without changing it, and only when
 * every policy passes is a new state built, so a refused request consumes nothing anywhere.
 * State is never mutated; a refusal returns no state at all, so there is nothing to persist.
 *
 * Budgets are checked against settled usage plus everything in flight: two requests that
 * each fit alone cannot both be admitted when together they would not.
 */
import { take, type BucketState } from "./bucket";
import { priceFor, type Limits, type PriceTable } from "./limits";
import { costNano, FREE, maxOutputWithin, nanoToUsd, unitPrice } from "./money";
import { budgetsOf, bucketsOf, policyStatuses, usedIn, type PolicyStatus } from "./policies";
import { expireReservations } from "./settle";
import { DEFAULT_MAX_OPEN_RESERVATIONS, DEFAULT_RESERVATION_MAX_AGE_MS, held, reservationOf, rollWindows, type BucketPolicy, type OpenReservation, type QuotaState } from "./state";
import { windowResetMs } from "./windows";

export interface AdmitRequest {
  /** Reservation id (the gateway's request id); admitting the same id twice admits once. */
  id: string;
  model: string;
  /** Estimated input tokens. */
  inputTokens: number;
  /** Output tokens per choice: max_tokens as clamped by the plan, else `default_output_cap`. */
  outputCap: number;
  /** Choices requested (`n`), at least 1. */
  n: number;
  stream: boolean;
}

export interface Reservation {
  id: string;
  /** Tokens held: input + granted output. */
  tokens: number;
  costUsd: number;
  stream: boolean;
  /**
   * Output tokens (all choices together) the budgets pay for. When a budget has less room
   * than `outputCap × n` this is smaller, and the gateway must stop the output there (cut a
   * stream with `insufficient_quota`; for a non-stream request lower max_tokens to
   * ⌊granted / n⌋). Undefined when no budget applies: output is then limited only by outputCap.
   */
  grantedOutputTokens: number | undefined;
}

export type AdmitRefusal =
  /** A rate bucket (or the in-flight cap) is empty; retry after `retryAfterMs`. */
  | "rate_limited"
  /** A day or month budget is used up; `retryAfterMs` is the time to the window's reset. */
  | "insufficient_quota"
  | "too_many_streams"
  /** A spend budget applies but the model has no price; `retryAfterMs` is Infinity. */
  | "unpriced_model"
  /** The request alone is larger than a bucket can ever hold; `retryAfterMs` is Infinity. */
  | "exceeds_capacity";

export type AdmitResult =
  | { ok: true; state: QuotaState; reservation: Reservation; policies: PolicyStatus[] }
  | { ok: false; reason: AdmitRefusal; policy: string; retryAfterMs: number; policies: PolicyStatus[] };

export interface AdmitOptions {
  maxAgeMs?: number;
  maxOpenReservations?: number;
}

/** A stream slot frees when some stream ends, which cannot be predicted: a short hint. */
export const STREAM_RETRY_MS = 1000;

interface Failure {
  reason: AdmitRefusal;
  policy: string;
  retryAfterMs: number;
}

// Among failures that wait equally long, the one the client can do least about is named.
const SEVERITY: Record<AdmitRefusal, number> = { exceeds_capacity: 4, unpriced_model: 3, insufficient_quota: 2, too_many_streams: 1, rate_limited: 0 };

function worst(failures: Failure[]): Failure {
  return failures.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs || (b.retryAfterMs === a.retryAfterMs && SEVERITY[b.reason] > SEVERITY[a.reason]) ? b : a));
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

function checkRequest(req: AdmitRequest): void {
  // These come from the gateway's own code, not the client: a bad value is a bug, and
  // throwing makes the Durable Object call fail, which the middleware treats as closed.
  if (!/^[\x21-\x7e]{1,128}$/.test(req.id)) throw new RangeError("reservation id must be 1-128 printable ASCII characters");
  if (!isCount(req.inputTokens) || !isCount(req.outputCap) || !Number.isSafeInteger(req.n) || req.n < 1 || !isCount(req.outputCap * req.n)) {
    throw new RangeError("token counts must be non-negative integers and n at least 1");
  }
}

function toReservation(r: OpenReservation): Reservation {
  return { id: r.id, tokens: r.tokens, costUsd: nanoToUsd(r.costNano), stream: r.stream, grantedOutputTokens: r.granted };
}

/**
 * Checks every configured policy for one request and, when all pass, reserves
 * `inputTokens + outputCap × n` tokens (less when a budget grants less output) and their cost.
 * The most restrictive failure decides a refusal: the one the client must wait longest for.
 *
 * @example
 * const r = admit(state, limits, prices, { id, model: "gpt-4o", inputTokens: 900, outputCap: 1024, n: 1, stream: true }, Date.now());
 * if (r.ok) state = r.state; // persist; later settle(state, id, usage, limits, now)
 */
export function admit(state: QuotaState, limits: Limits, prices: PriceTable, req: AdmitRequest, now: number, opts: AdmitOptions = {}): AdmitResult {
  checkRequest(req);
  const work = rollWindows(expireReservations(state, now, opts.maxAgeMs ?? DEFAULT_RESERVATION_MAX_AGE_MS), now);
  const refuse = (f: Failure): AdmitResult => ({ ok: false, ...f, policies: policyStatuses(work, limits, now) });
  const again = reservationOf(work, req.id);
  if (again !== undefined) {
    // A retried RPC whose first attempt did commit: answer the same, consume nothing more.
    return { ok: true, state: work, reservation: toReservation(again), policies: policyStatuses(work, limits, now) };
  }

  const price = priceFor(prices, req.model);
  const budgets = budgetsOf(limits).filter((b) => b.measure === "tokens" || price !== undefined);
  const spendBudget = budgetsOf(limits).find((b) => b.measure === "spend");
  if (price === undefined && spendBudget !== undefined && !limits.allow_unpriced) {
    // Spend cannot be enforced without a price: refuse rather than spend unmetered.
    return refuse({ reason: "unpriced_model", policy: spendBudget.name, retryAfterMs: Infinity });
  }
  const unit = price === undefined ? FREE : unitPrice(price);
  const failures: Failure[] = [];

  // Budgets: grant the requested output, or what the tightest budget still pays for.
  const wanted = req.outputCap * req.n;
  const h = held(work);
  let granted = wanted;
  for (const b of budgets) {
    const room = b.limit - usedIn(work, b) - (b.measure === "tokens" ? h.tokens : h.costNano);
    const affordable = b.measure === "tokens" ? room - req.inputTokens : maxOutputWithin(unit, req.inputTokens, room);
    // Input must fit whole, and at least one output token when output is wanted at all.
    if (affordable < Math.min(1, wanted)) failures.push({ reason: "insufficient_quota", policy: b.name, retryAfterMs: windowResetMs(b.window, now) });
    else granted = Math.min(granted, affordable);
  }
  const tokens = req.inputTokens + granted;

  // Rates: each request bucket takes 1, the tokens bucket takes the reservation.
  const buckets: Partial<Record<BucketPolicy, BucketState>> = {};
  for (const [name, cfg] of bucketsOf(limits)) {
    const t = take(work.buckets[name], cfg, name === "tpm" ? tokens : 1, now);
    if (!t.ok) failures.push({ reason: t.retryAfterMs === Infinity ? "exceeds_capacity" : "rate_limited", policy: name, retryAfterMs: t.retryAfterMs });
    buckets[name] = t.next;
  }
  if (req.stream && limits.concurrent_streams !== undefined && h.streams >= limits.concurrent_streams) {
    failures.push({ reason: "too_many_streams", policy: "streams", retryAfterMs: STREAM_RETRY_MS });
  }
  if (h.count >= (opts.maxOpenReservations ?? DEFAULT_MAX_OPEN_RESERVATIONS)) {
    failures.push({ reason: "rate_limited", policy: "in_flight", retryAfterMs: STREAM_RETRY_MS });
  }
  if (failures.length > 0) return refuse(worst(failures));

  const open: OpenReservation = { id: req.id, tokens, costNano: costNano(unit, req.inputTokens, granted), inPico: unit.input, outPico: unit.output, stream: req.stream, createdMs: now };
  if (budgets.length > 0) open.granted = granted;
  // Buckets of policies no longer configured are dropped here, which keeps the state bounded.
  const next: QuotaState = { ...work, buckets, reservations: [...work.reservations, open] };
  return { ok: true, state: next, reservation: toReservation(open), policies: policyStatuses(next, limits, now) };
}

export { emptyState, restoreState, DEFAULT_MAX_OPEN_RESERVATIONS, DEFAULT_RESERVATION_MAX_AGE_MS, type QuotaState } from "./state";
export { settle, expireReservations, type ActualUsage, type Released, type SettleResult } from "./settle";
export { usageReport, type UsageReport } from "./usage";
export type { PolicyStatus, PolicyName, PolicyUnit } from "./policies";
