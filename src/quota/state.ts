/**
 * A client's quota state: what the Durable Object persists between calls. Plain JSON
 * (numbers, strings, booleans), and bounded: one bucket per configured rate, counters for
 * the current day and month only (a new window replaces the old one), and the requests in
 * flight, whose number is capped (`DEFAULT_MAX_OPEN_RESERVATIONS`) and which expire.
 *
 * Derived values are computed, never stored: the number of active streams and the amount
 * reserved are sums over the open reservations, so they cannot drift from them.
 */
import type { BucketState } from "./bucket";
import { windowKey, type WindowKind } from "./windows";

export type BucketPolicy = "rps" | "rpm" | "tpm";

/** Usage already settled in one calendar window. */
export interface WindowCounters {
  /** `windowKey` of the window; "" before the first request. */
  key: string;
  tokens: number;
  spendNano: number;
}

/** A request admitted but not yet settled. */
export interface OpenReservation {
  /** The reservation id (the gateway's request id). */
  id: string;
  /** Tokens held: input + granted output. */
  tokens: number;
  /** Nano-dollars held. */
  costNano: number;
  /** Price at admission in pico-USD per token, so settlement charges the price admitted. */
  inPico: number;
  outPico: number;
  stream: boolean;
  createdMs: number;
  /** Output tokens granted when a budget applied; absent when none did. */
  granted?: number;
}

export interface QuotaState {
  v: 2;
  buckets: Partial<Record<BucketPolicy, BucketState>>;
  day: WindowCounters;
  month: WindowCounters;
  /**
   * Oldest first. An array, not a record keyed by id: every admit and settle builds a new
   * state, and copying a record whose keys come and go (V8 keeps it in dictionary mode) cost
   * about 20 us per copy at 20 requests in flight, more than the rest of the engine together;
   * an array copies its pointers. Finding an id is a scan, at most the in-flight cap long.
   */
  reservations: readonly OpenReservation[];
}

/** Requests in flight per client before new ones are refused, which bounds the state. */
export const DEFAULT_MAX_OPEN_RESERVATIONS = 1000;

/**
 * How long a reservation may stay open. Streams have an idle timeout but no total one, and
 * reasoning models can stream for many minutes; after this the isolate that owned the
 * request is presumed dead and the reservation is charged in full.
 */
export const DEFAULT_RESERVATION_MAX_AGE_MS = 30 * 60_000;

/** @example const state = emptyState(); // what a new client's Durable Object starts with */
export function emptyState(): QuotaState {
  return { v: 2, buckets: {}, day: { key: "", tokens: 0, spendNano: 0 }, month: { key: "", tokens: 0, spendNano: 0 }, reservations: [] };
}

/**
 * A persisted state as the engine uses it. Version 1 (before 2026-11-30) kept reservations
 * in a record keyed by id; an object that saved one continues with the same reservations.
 */
export function restoreState(saved: unknown): QuotaState {
  const s = saved as Omit<QuotaState, "v" | "reservations"> & { v: number; reservations: readonly OpenReservation[] | Record<string, Omit<OpenReservation, "id">> };
  if (Array.isArray(s.reservations)) return { ...s, v: 2, reservations: s.reservations };
  return { ...s, v: 2, reservations: Object.entries(s.reservations).map(([id, r]) => ({ ...r, id })) };
}

/** The open reservation with this id, if any. */
export function reservationOf(state: QuotaState, id: string): OpenReservation | undefined {
  for (const r of state.reservations) if (r.id === id) return r;
  return undefined;
}

function rolled(counters: WindowCounters, kind: WindowKind, now: number): WindowCounters {
  const key = windowKey(kind, now);
  // Keys sort in time order; a clock that stepped back keeps the later window rather than
  // reopening an earlier one with its spend forgotten.
  return key > counters.key ? { key, tokens: 0, spendNano: 0 } : counters;
}

/** The state with its day and month counters moved to the windows `now` falls in. */
export function rollWindows(state: QuotaState, now: number): QuotaState {
  const day = rolled(state.day, "day", now);
  const month = rolled(state.month, "month", now);
  return day === state.day && month === state.month ? state : { ...state, day, month };
}

export interface Held {
  tokens: number;
  costNano: number;
  streams: number;
  count: number;
}

/** What the open reservations hold. In-flight requests count against every current window. */
export function held(state: QuotaState): Held {
  const h: Held = { tokens: 0, costNano: 0, streams: 0, count: 0 };
  for (const r of state.reservations) {
    h.tokens += r.tokens;
    h.costNano += r.costNano;
    if (r.stream) h.streams++;
    h.count++;
  }
  return h;
}

/** Adds usage to both current windows (call `rollWindows` first). */
export function charge(state: QuotaState, tokens: number, costNano: number): QuotaState {
  return {
    ...state,
    day: { ...state.day, tokens: state.day.tokens + tokens, spendNano: state.day.spendNano + costNano },
    month: { ...state.month, tokens: state.month.tokens + tokens, spendNano: state.month.spendNano + costNano },
  };
}

/** The state without one reservation. */
export function without(state: QuotaState, id: string): QuotaState {
  return { ...state, reservations: state.reservations.filter((r) => r.id !== id) };
}
