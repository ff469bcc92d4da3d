/**
 * The intake hook: every upload with purpose `fine-tune` passes through `scanUpload` before
 * anything is forwarded (issue 10, point 2). The scan itself is pure (src/intake); this file
 * gives it the plan's policy, the client's history and the deployment's fingerprint key, and
 * maps its verdict onto what the upload handler (src/files/files.ts) does:
 * `accepted` and `flagged` forward the upload, `redacted` forwards the redacted copy,
 * `quarantined` and `rejected` forward nothing and answer 400 `training_file_rejected`
 * with the report; a quarantined file is held in R2 for an admin's review
 * (src/files/quarantine.ts). Each verdict is recorded in the audit trail with the file's SHA-256, and
 * each report is stored for the uploader and the admin (src/files/intake-reports.ts).
 */
import type { Context } from "hono";
import { GatewayError } from "../errors";
import { secretOf, type AppEnv } from "../env";
import { IntakeHistorySchema, reportJson, scanTrainingFile, type IntakeHistory, type IntakeReport, type IntakeVerdict } from "../intake/index";
import { PROBE_KEY_SECRET } from "../middleware/admission";
import { planFor } from "../rules/schema";
import { owners } from "./ownership";

export type IntakeStatus = "accepted" | "flagged" | "redacted" | "quarantined" | "rejected";

const STATUS: Readonly<Record<IntakeVerdict, IntakeStatus>> = { accept: "accepted", flag: "flagged", redact: "redacted", quarantine: "quarantined", reject: "rejected" };

/** The report as the uploader (and the audit trail, in summary) sees it: no data, no summary of the client's history. */
export type ClientReport = Omit<IntakeReport, "redacted" | "summary">;

/** Findings per rule, in the order the rules first appear. */
export function findingCounts(report: ClientReport): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of report.findings) counts[f.rule] = (counts[f.rule] ?? 0) + 1;
  return counts;
}

/** `rule:count` pairs of the findings, for the audit record (the full report is stored: src/files/intake-reports.ts). */
export function findingsSummary(report: ClientReport): string {
  return Object.entries(findingCounts(report)).map(([rule, n]) => `${rule}:${n}`).join(",").slice(0, 200);
}

async function historyOf(c: Context<AppEnv>): Promise<IntakeHistory | undefined> {
  const text = await owners(c, (s) => s.intakeHistory());
  if (text === null) return undefined;
  const parsed = IntakeHistorySchema.safeParse(JSON.parse(text));
  // A summary from an older format is dropped: drift then starts from this upload.
  return parsed.success ? parsed.data : undefined;
}

// INTAKE-HOOK
/**
 * Scans a training file before it is forwarded. `forward` is what goes to the provider
 * (the upload itself, or a redacted copy), null when nothing may be forwarded; `report` is
 * the scan's findings for the uploader and the audit trail; `commit` stores the client's new
 * history and is called only once the file was forwarded, so a refused upload never moves
 * the baseline that drift is measured against.
 */
export async function scanUpload(
  c: Context<AppEnv>,
  file: { bytes: Uint8Array; filename: string; purpose: string },
): Promise<{ forward: Uint8Array | null; report: ClientReport; status: IntakeStatus; commit: () => Promise<void> }> {
  // The fingerprints of near-duplicates and drift are keyed like the extraction defence's.
  const key = secretOf(c.env, PROBE_KEY_SECRET);
  if (key === undefined) throw new GatewayError("config_invalid", { detail: `secret ${PROBE_KEY_SECRET} missing: training files cannot be scanned` });
  const policy = planFor(c.get("rules").doc, c.get("identity").plan).intake;
  const scanned = scanTrainingFile(file.bytes, policy, await historyOf(c), { fingerprintKey: key });
  const report = JSON.parse(reportJson(scanned)) as ClientReport;
  const status = STATUS[scanned.verdict];
  const forward = status === "redacted" ? (scanned.redacted ?? null) : status === "accepted" || status === "flagged" ? file.bytes : null;
  const summary = JSON.stringify(scanned.summary);
  return { forward, report, status, commit: () => owners(c, (s) => s.setIntakeHistory(summary)) };
}
