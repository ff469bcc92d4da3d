/**
 * Calendar windows for budgets: a UTC day and a UTC month. Budgets follow the calendar
 * (not a rolling 24 h) because that is how operators and invoices count spend, and because
 * a calendar window needs one counter per window instead of a log of every request.
 *
 * UTC, never the Worker's or the client's local time: a Durable Object can move between
 * locations, and a time zone would make "today" depend on where it happens to run.
 */

export type WindowKind = "day" | "month";

const DAY_MS = 86_400_000;

function checkTime(now: number): Date {
  // A NaN clock would produce the key "NaN-NaN" and silently open a fresh, empty window.
  if (!Number.isFinite(now)) throw new RangeError("quota clock is not a finite number");
  return new Date(now);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/**
 * The name of the window `now` falls in; it changes exactly when the window does.
 * Keys of one kind sort in time order, so a clock that steps back can be detected.
 *
 * @example windowKey("day", Date.UTC(2026, 10, 28, 23, 59)) // "2026-11-28"
 * @example windowKey("month", Date.UTC(2026, 10, 28)) // "2026-11"
 */
export function windowKey(kind: WindowKind, now: number): string {
  const d = checkTime(now);
  const month = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}`;
  return kind === "month" ? month : `${month}-${pad(d.getUTCDate())}`;
}

/** Start of the window after the one `now` falls in, in epoch milliseconds. */
export function windowEndMs(kind: WindowKind, now: number): number {
  const d = checkTime(now);
  // Date.UTC normalises overflow (month 12 is January of the next year, day 32 the next month).
  return kind === "month"
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/**
 * Milliseconds until the next window starts: always ≥ 1, so `now + windowResetMs` is the
 * first millisecond of the next window (23:59:59.999 → 1).
 *
 * @example windowResetMs("day", Date.UTC(2026, 10, 28, 23, 59, 59, 999)) // 1
 */
export function windowResetMs(kind: WindowKind, now: number): number {
  return windowEndMs(kind, now) - Math.floor(now);
}

/** Length of the window `now` falls in, in seconds (a month is 28 to 31 days). */
export function windowLengthSeconds(kind: WindowKind, now: number): number {
  if (kind === "day") return DAY_MS / 1000;
  const d = checkTime(now);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return (windowEndMs("month", now) - start) / 1000;
}
