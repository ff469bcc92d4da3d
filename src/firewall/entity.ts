/**
 * What every detector of the firewall reports: a typed span of the scanned text. Offsets
 * are UTF-16 code units of the text as given (JavaScript string indices), `end` exclusive.
 * Type names follow the development set (`../shared/data/pii-dev.jsonl`) where it has one,
 * else UPPER_SNAKE_CASE.
 */
export interface Entity {
  type: string;
  start: number;
  end: number;
  /** Which detector found it (for analytics and tuning; never shown to clients). */
  detector: string;
  /** Confidence in [0, 1]: 1 for checksum-validated matches, lower for context-only ones. */
  score: number;
}

/** Sorted by start, longest first at equal starts; overlapping spans of lower score dropped. */
export function resolveOverlaps(entities: readonly Entity[]): Entity[] {
  const sorted = [...entities].sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start) || b.score - a.score);
  const out: Entity[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && e.start < last.end) {
      if (e.score > last.score && e.end - e.start >= last.end - last.start) out[out.length - 1] = e;
      continue;
    }
    out.push(e);
  }
  return out;
}
