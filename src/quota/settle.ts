/**
 * After the response: replace a reservation by what the request really used. Runs through
 * `waitUntil`, which may run it twice or never, so settling is idempotent (an unknown or
 * already settled id changes nothing) and reservations that are never settled expire.
 */
import { adjust } from "./bucket";
import type { Limits } from "./limits";
import { costNano, nanoToUsd } from "./money";
import { bucketsOf } from "./policies";
import { charge, reservationOf, rollWindows, without, type OpenReservation, type QuotaState } from "./state";

/** Usage the provider reported, or that the gateway counted on a stream it cut or lost. */
export interface ActualUsage {
  inputTokens: number;
  outputTokens: number;
  /** The stream ended early (client gone, cut at its grant): charged for what was generated. */
  aborted?: boolean;
}

/** A later stage blocked the request before it reached the model: nothing was used. */
export interface Released {
  released: true;
}

export interface SettleResult {
  state: QuotaState;
  /** False when the id was unknown or already settled (then `state` is the input state). */
  settled: boolean;
  /** What went into the day and month counters. */
  charged: { tokens: number; costUsd: number };
}

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/**
 * Settles reservation `id`. The tokens bucket gets back what was reserved and not used (a
 * refund, never more than the reservation, never past capacity) or gives up what was used
 * beyond it. A release refunds everything but the request itself: request buckets keep the
 * request, since it did cost the gateway work and must not become a free probe.
 * Usage that is not a whole non-negative number is not trusted: the reservation is charged.
 *
 * @example
 * const { state: next } = settle(state, "req_1", { inputTokens: 812, outputTokens: 95 }, limits, Date.now());
 */
export function settle(state: QuotaState, id: string, outcome: ActualUsage | Released, limits: Limits, now: number): SettleResult {
  const r = reservationOf(state, id);
  if (r === undefined) return { state, settled: false, charged: { tokens: 0, costUsd: 0 } };
  let tokens: number;
  let cost: number;
  if ("released" in outcome) {
    tokens = 0;
    cost = 0;
  } else if (isCount(outcome.inputTokens) && isCount(outcome.outputTokens)) {
    tokens = outcome.inputTokens + outcome.outputTokens;
    cost = costNano({ input: r.inPico, output: r.outPico }, outcome.inputTokens, outcome.outputTokens);
  } else {
    tokens = r.tokens;
    cost = r.costNano;
  }
  let next = charge(rollWindows(without(state, id), now), tokens, cost);
  const tpm = bucketsOf(limits).find(([name]) => name === "tpm");
  if (tpm !== undefined) {
    // Positive: unused tokens come back; negative: the overrun is taken now.
    next = { ...next, buckets: { ...next.buckets, tpm: adjust(next.buckets.tpm, tpm[1], r.tokens - tokens, now) } };
  }
  return { state: next, settled: true, charged: { tokens, costUsd: nanoToUsd(cost) } };
}

/**
 * Charges in full, and removes, every reservation older than `maxAgeMs`: its isolate is
 * presumed dead, and failing closed means paying for the whole reservation. Its stream slot
 * is freed. Returns the same object when nothing expired. Admission calls this itself; a
 * Durable Object alarm may call it too.
 *
 * @example state = expireReservations(state, Date.now(), DEFAULT_RESERVATION_MAX_AGE_MS);
 */
export function expireReservations(state: QuotaState, now: number, maxAgeMs: number): QuotaState {
  // A NaN clock would make every reservation look stale and charge them all.
  if (!Number.isFinite(now)) throw new RangeError("quota clock is not a finite number");
  // A corrupt createdMs (NaN) fails the comparison, so such a record expires too.
  const fresh = (r: OpenReservation): boolean => now - r.createdMs <= maxAgeMs;
  if (state.reservations.every(fresh)) return state;
  let tokens = 0;
  let cost = 0;
  for (const r of state.reservations) {
    if (fresh(r)) continue;
    tokens += r.tokens;
    cost += r.costNano;
  }
  return charge(rollWindows({ ...state, reservations: state.reservations.filter(fresh) }, now), tokens, cost);
}
