/**
 * Token bucket with exact integer arithmetic.
 *
 * A bucket holds at most `capacity` tokens and refills `refillAmount` tokens every
 * `refillPeriodMs`, continuously. Rates such as 7 per minute are not a whole number of
 * tokens per millisecond, and floating-point fractions would make "retry in N ms" wrong by
 * one either way. So the level is kept in *scaled units*: one token is `scale` units, where
 * `scale` is the refill period divided by gcd(amount, period), and each millisecond adds
 * exactly `rate` units. Every quantity is then an integer, and `retryAfterMs` is exact:
 * at `now + retryAfterMs` the tokens are there, at `now + retryAfterMs - 1` they are not.
 *
 * Time is whole milliseconds (fractions are floored, which can only delay a refill).
 * A clock that steps backwards never adds tokens: the bucket keeps its last time and
 * resumes refilling when the clock passes it again, so no interval is counted twice.
 */

export interface BucketConfig {
  /** Most tokens the bucket holds (the burst). */
  readonly capacity: number;
  /** Units added per millisecond (tokens per ms × scale). */
  readonly rate: number;
  /** Units per token. */
  readonly scale: number;
}

/** JSON-serialisable bucket state. `units / scale` tokens, last refilled at `updatedMs`. */
export interface BucketState {
  units: number;
  /** The scale `units` were counted in; a changed config rescales on the next refill. */
  scale: number;
  updatedMs: number;
}

export interface TakeResult {
  ok: boolean;
  /** The state to keep: tokens taken when `ok`, only refilled when not. */
  next: BucketState;
  /** Whole tokens left after this call (0 while the bucket is in debt). */
  remaining: number;
  /** 0 when ok; else exactly when `cost` tokens will be there; Infinity if they never fit. */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again (from `next`). */
  resetMs: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * A bucket of `capacity` tokens refilling `refillAmount` every `refillPeriodMs`.
 * All three must be positive integers.
 *
 * @example bucketConfig(60, 60, 60_000) // 60 requests per minute: 1 token per second
 */
export function bucketConfig(capacity: number, refillAmount: number, refillPeriodMs: number): BucketConfig {
  for (const n of [capacity, refillAmount, refillPeriodMs]) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError("bucket parameters must be positive integers");
  }
  const g = gcd(refillAmount, refillPeriodMs);
  const scale = refillPeriodMs / g;
  if (!Number.isSafeInteger(capacity * scale * 2)) throw new RangeError("bucket too large for exact arithmetic");
  return { capacity, rate: refillAmount / g, scale };
}

/** A full bucket, which is what a client that has never been seen gets. */
export function fullBucket(cfg: BucketConfig, now: number): BucketState {
  return { units: cfg.capacity * cfg.scale, scale: cfg.scale, updatedMs: Number.isFinite(now) ? Math.floor(now) : 0 };
}

/**
 * The state brought up to `now`. A missing state is a full bucket; a corrupt one (NaN,
 * non-integer) is an empty one, because a bad record must never mean "unlimited".
 */
export function refill(state: BucketState | undefined, cfg: BucketConfig, now: number): BucketState {
  const at = Number.isFinite(now) ? Math.floor(now) : NaN;
  if (state === undefined) return fullBucket(cfg, at);
  const max = cfg.capacity * cfg.scale;
  if (!Number.isSafeInteger(state.units) || !isCount(state.scale) || state.scale === 0 || !Number.isFinite(state.updatedMs)) {
    return { units: 0, scale: cfg.scale, updatedMs: Number.isFinite(at) ? at : 0 };
  }
  let units = state.units;
  if (state.scale !== cfg.scale) {
    // The rules changed the rate: same number of tokens, counted in the new unit (rounded down).
    units = Math.floor((units * cfg.scale) / state.scale);
  }
  // A clock step backwards (or a NaN clock) adds nothing and keeps the later timestamp.
  if (!(at > state.updatedMs)) return { units: Math.min(units, max), scale: cfg.scale, updatedMs: state.updatedMs };
  const elapsed = at - state.updatedMs;
  const missing = max - units;
  // Compare before multiplying out: elapsed × rate can exceed 2^53 after a long idle time.
  units = missing <= 0 || elapsed >= Math.ceil(missing / cfg.rate) ? max : units + elapsed * cfg.rate;
  return { units, scale: cfg.scale, updatedMs: at };
}

function msUntil(units: number, target: number, rate: number): number {
  return units >= target ? 0 : Math.ceil((target - units) / rate);
}

/**
 * Takes `cost` tokens if they are all there, else nothing.
 * A cost that is not a whole non-negative number is refused, never rounded to something free.
 *
 * @example
 * const cfg = bucketConfig(60, 60, 60_000);
 * const r = take(undefined, cfg, 1, Date.now()); // r.ok, r.remaining === 59
 */
export function take(state: BucketState | undefined, cfg: BucketConfig, cost: number, now: number): TakeResult {
  const current = refill(state, cfg, now);
  const max = cfg.capacity * cfg.scale;
  const fits = isCount(cost) && cost <= cfg.capacity;
  const need = fits ? cost * cfg.scale : Infinity;
  const ok = current.units >= need;
  const next = ok ? { ...current, units: current.units - need } : current;
  return {
    ok,
    next,
    remaining: Math.max(0, Math.floor(next.units / cfg.scale)),
    retryAfterMs: ok ? 0 : fits ? msUntil(current.units, need, cfg.rate) : Infinity,
    resetMs: msUntil(next.units, max, cfg.rate),
  };
}

/**
 * Adds `delta` tokens (a refund) or removes them (a charge found after the fact), at `now`.
 * A refund never fills past capacity; a late charge may put the bucket in debt, at most one
 * full bucket deep, so a client that used more than it reserved waits for it, but boundedly.
 */
export function adjust(state: BucketState | undefined, cfg: BucketConfig, delta: number, now: number): BucketState {
  const current = refill(state, cfg, now);
  if (!Number.isSafeInteger(delta) || delta === 0) return current;
  const max = cfg.capacity * cfg.scale;
  const units = Math.min(max, Math.max(-max, current.units + delta * cfg.scale));
  return { ...current, units };
}

/** Whole seconds the bucket takes to fill from empty: the policy's window. */
export function bucketWindowSeconds(cfg: BucketConfig): number {
  return Math.max(1, Math.ceil((cfg.capacity * cfg.scale) / cfg.rate / 1000));
}
