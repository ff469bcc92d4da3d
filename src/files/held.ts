/**
 * The uploader's record of its quarantined files (src/files/quarantine.ts): table `held_files`
 * in its Durable Object (src/admission/client-state.ts), one row per file held, named by
 * the intake report that quarantined it. R2 holds the bytes and is what an admin reviews;
 * this row is what the uploader sees (`quarantine` on its intake report) and what stops two
 * decisions on one file from both applying: only a `held` row changes.
 *
 * Bounded like the reports: the newest HELD_ROWS_KEPT rows per client are kept.
 */
import type { OwnedObject } from "./objects";

export type HeldStatus = "held" | "released" | "discarded" | "expired";

export interface HeldRow {
  id: string;
  reportId: string;
  /** Unix milliseconds. */
  heldAt: number;
  status: HeldStatus;
  /** The provider's file id once released. */
  fileId: string | null;
  /** Unix milliseconds; null while held. */
  decidedAt: number | null;
}

export interface HeldDecision {
  id: string;
  reportId: string;
  /** When the file was held: a decision on a file without a row (its upload could not record one) writes the row. */
  heldAt: number;
  status: Exclude<HeldStatus, "held">;
  at: number;
  /** A release: the provider's file, recorded as the uploader's in the same transaction. */
  owned?: OwnedObject;
}

export const HELD_ROWS_KEPT = 1000;

const COLUMNS = "id, report_id, held_at, status, file_id, decided_at";
type Row = { id: string; report_id: string; held_at: number; status: string; file_id: string | null; decided_at: number | null };

const rowOf = (r: Row): HeldRow => ({ id: r.id, reportId: r.report_id, heldAt: r.held_at, status: r.status as HeldStatus, fileId: r.file_id, decidedAt: r.decided_at });

export function createHeldTable(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS held_files (id TEXT PRIMARY KEY, report_id TEXT NOT NULL, held_at INTEGER NOT NULL, status TEXT NOT NULL, file_id TEXT NULL, decided_at INTEGER NULL)");
  sql.exec("CREATE INDEX IF NOT EXISTS held_files_report ON held_files (report_id)");
}

export function insertHeld(sql: SqlStorage, h: { id: string; reportId: string; heldAt: number }): void {
  sql.exec("INSERT INTO held_files (id, report_id, held_at, status) VALUES (?, ?, ?, 'held')", h.id, h.reportId, h.heldAt);
  sql.exec("DELETE FROM held_files WHERE rowid <= (SELECT MAX(rowid) FROM held_files) - ?", HELD_ROWS_KEPT);
}

export function heldRow(sql: SqlStorage, id: string): HeldRow | null {
  const r = sql.exec<Row>(`SELECT ${COLUMNS} FROM held_files WHERE id = ?`, id).toArray()[0];
  return r === undefined ? null : rowOf(r);
}

export function heldOfReport(sql: SqlStorage, reportId: string): HeldRow | null {
  const r = sql.exec<Row>(`SELECT ${COLUMNS} FROM held_files WHERE report_id = ?`, reportId).toArray()[0];
  return r === undefined ? null : rowOf(r);
}

/**
 * Writes a decision unless one was already made, and returns the status before it (null: no
 * row). The caller runs it in one transaction with the release's ownership row.
 */
export function writeDecision(sql: SqlStorage, d: HeldDecision): HeldStatus | null {
  const before = heldRow(sql, d.id);
  if (before !== null && before.status !== "held") return before.status;
  const fileId = d.owned?.id ?? null;
  if (before === null) {
    sql.exec(`INSERT INTO held_files (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, d.id, d.reportId, d.heldAt, d.status, fileId, d.at);
  } else {
    sql.exec("UPDATE held_files SET status = ?, file_id = ?, decided_at = ? WHERE id = ?", d.status, fileId, d.at, d.id);
  }
  return before?.status ?? null;
}

/**
 * The uploader's view of its held file, on its intake report: what became of it, never who
 * decided (the audit trail has that). A file past retention reads as expired even before
 * a sweep has deleted it.
 */
export function heldView(row: HeldRow | null | undefined, retention: number, now: number): Record<string, unknown> | null {
  if (row === null || row === undefined) return null;
  const expires = row.heldAt + retention;
  const lapsed = row.status === "held" && now >= expires;
  const s = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));
  return {
    id: row.id,
    status: lapsed ? "expired" : row.status,
    held_at: s(row.heldAt),
    expires_at: row.status === "held" && !lapsed ? s(expires) : null,
    decided_at: lapsed ? s(expires) : s(row.decidedAt),
    file_id: row.fileId,
  };
}
