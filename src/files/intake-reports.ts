/**
 * Intake reports, kept (issue 10, point 3: the report is "JSON, downloadable by the uploader
 * and the admin"). Every scan of a training upload stores its `ClientReport` (rule ids, line
 * numbers, counts: never the data) in the uploader's Durable Object, table `intake_reports`
 * (src/admission/client-state.ts), under an id the upload's answer names
 * (`x-aigis-intake-report`). The uploader reads it at `GET /v1/files/intake_reports/{id}`,
 * an admin at `GET /admin/v1/intake_reports` (src/admin/intake-reports.ts). A report that
 * quarantined a file held for review also says what became of that file (src/files/held.ts).
 *
 * Bounded per client: a report is at most INTAKE_REPORT_MAX_BYTES (past it, findings are
 * dropped from the end and `truncated: true` is set) and the newest INTAKE_REPORTS_KEPT are
 * kept: at most 256 MB per client whatever it uploads (a typical report is a few KB).
 */
import type { Context } from "hono";
import { GatewayError } from "../errors";
import { getConfig, type AppEnv } from "../env";
import { heldView, type HeldRow } from "./held";
import { findingCounts, type ClientReport } from "./intake";
import { owners } from "./ownership";
import { retentionMs } from "./quarantine";

/** Names the stored report on an upload's answer, accepted or refused. */
export const INTAKE_REPORT_HEADER = "x-aigis-intake-report";
/** Largest stored report (UTF-8 bytes of its JSON). */
export const INTAKE_REPORT_MAX_BYTES = 256 * 1024;
/** Reports kept per client; the oldest are dropped. */
export const INTAKE_REPORTS_KEPT = 1000;

/** A stored report without the report itself: what a list shows. */
export interface IntakeReportListing {
  id: string;
  /** Unix seconds. */
  created: number;
  /** SHA-256 (hex) of the uploaded bytes, the ones the scan read. */
  sha256: string;
  /** The scan's verdict (`accept` ... `reject`; in shadow mode `accept`, see `would_verdict`). */
  verdict: string;
  /** The provider's file id once forwarded (for `redact`, the redacted copy's); null when refused. */
  fileId: string | null;
  /** Findings per rule of the whole report (JSON), also when the stored one is truncated. */
  findings: string;
}

export interface StoredIntakeReport extends IntakeReportListing {
  /** The `ClientReport` as JSON, bounded by `boundReport`. */
  report: string;
}

/** A stored report as read back: with the state of the file it quarantined, if that file was held (src/files/held.ts). */
export interface StoredIntakeReportWithHold extends StoredIntakeReport {
  held: HeldRow | null;
}

/** `irep_` and 96 random bits as hex: unguessable, though ownership is what protects a report. */
export function newIntakeReportId(): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(12))) hex += b.toString(16).padStart(2, "0");
  return `irep_${hex}`;
}

const utf8Bytes = (s: string): number => new TextEncoder().encode(s).byteLength;

/**
 * The report's JSON, at most `maxBytes`. Each finding lists at most MAX_LINES_LISTED lines and
 * each rule at most MAX_FINDINGS_PER_RULE findings (src/intake/report.ts), so this rarely
 * cuts; when it does, the first findings that fit are kept and `truncated: true` is added.
 */
export function boundReport(report: ClientReport, maxBytes = INTAKE_REPORT_MAX_BYTES): string {
  const whole = JSON.stringify(report);
  if (utf8Bytes(whole) <= maxBytes) return whole;
  let used = utf8Bytes(JSON.stringify({ ...report, findings: [], truncated: true }));
  const kept: ClientReport["findings"] = [];
  for (const f of report.findings) {
    // Each finding after the first also takes a comma.
    const size = utf8Bytes(JSON.stringify(f)) + (kept.length > 0 ? 1 : 0);
    if (used + size > maxBytes) break;
    used += size;
    kept.push(f);
  }
  return JSON.stringify({ ...report, findings: kept, truncated: true });
}

/** The row to store for one scan; `fileId` is set once the provider has the file. */
export function intakeReportRow(report: ClientReport, sha256: string, now = Date.now()): StoredIntakeReport {
  return {
    id: newIntakeReportId(),
    created: Math.floor(now / 1000),
    sha256,
    verdict: report.verdict,
    fileId: null,
    findings: JSON.stringify(findingCounts(report)),
    report: boundReport(report),
  };
}

/** The wire object of a listed report. */
export function reportListing(r: IntakeReportListing): Record<string, unknown> {
  return { id: r.id, object: "intake_report", created_at: r.created, sha256: r.sha256, verdict: r.verdict, file_id: r.fileId, finding_counts: JSON.parse(r.findings) as unknown };
}

/**
 * The wire object of one report, for the uploader and the admin alike. `quarantine` is the
 * held file's state (null when nothing was held); `retention` is the quarantine's, in ms.
 */
export function reportObject(r: StoredIntakeReportWithHold, retention: number, now = Date.now()): Record<string, unknown> {
  return {
    id: r.id,
    object: "intake_report",
    created_at: r.created,
    sha256: r.sha256,
    verdict: r.verdict,
    file_id: r.fileId,
    quarantine: heldView(r.held, retention, now),
    report: JSON.parse(r.report) as unknown,
  };
}

/** 404 for a report that does not exist or is another client's: the same answer for both. */
export function reportNotFound(param: string | null): GatewayError {
  return new GatewayError("intake_report_not_found", { param, detail: "intake report not found for this client" });
}

/** GET /v1/files/intake_reports/{id}: the caller's own report (the route stage checked the id's shape). */
export async function retrieveIntakeReport(c: Context<AppEnv>): Promise<Response> {
  const id = c.get("objectOp").id as string;
  const row = await owners(c, (s) => s.intakeReport(id));
  if (row === null) throw reportNotFound(null);
  return c.json(reportObject(row, retentionMs(getConfig(c.env))));
}
