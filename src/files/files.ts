/**
 * The /v1/files handlers. The pipeline has already checked the route, the size, the caller,
 * the multipart parts or the query, the scope and the caller's revocation status
 * (docs/pipeline.md); these handlers check ownership and talk to the files provider.
 *
 * `GET /v1/files` is answered from the caller's own records (src/admission/client-state.ts),
 * not from the provider's list: that list is the whole account's, and filtering its pages
 * would give short or empty pages and cost a provider call per page of other clients' files.
 * Everything a file object holds is fixed at upload except the deprecated `status`, which a
 * list reports as `processed`; `GET /v1/files/{id}` asks the provider.
 */
import type { Context } from "hono";
import { sha256Hex } from "../auth/api-keys";
import { GatewayError } from "../errors";
import { getConfig, type AppEnv } from "../env";
import type { AuditValue } from "../audit/chain";
import { findingsSummary, scanUpload, type IntakeStatus } from "./intake";
import { INTAKE_REPORT_HEADER, intakeReportRow, type StoredIntakeReport } from "./intake-reports";
import { hiddenPurposes, type OwnedObject } from "./objects";
import { listOwned, owners, recordOwned, requireOwned } from "./ownership";
import { callFiles, createdAt, deleteAtProvider, objectResponse, readBody, readObject, uploadToProvider } from "./provider";
import { clipText, recordData } from "./provenance";
import { bucketOf, dropHold, expiresAt, holdUpload, QUARANTINE_HEADER, retentionMs, type HeldFile, type HoldResult } from "./quarantine";
import { clientHeaders } from "../upstream/headers";

/** Purposes the intake does not scan are recorded with this status. */
const UNSCANNED = "unscanned";

/** POST /v1/files: scan (training data), forward exactly `file` and `purpose`, record the owner. */
export async function uploadFile(c: Context<AppEnv>): Promise<Response> {
  const upload = c.get("upload");
  const sha256 = await sha256Hex(upload.bytes);
  const provenance = { sha256, bytes: upload.bytes.byteLength, purpose: upload.purpose, filename: clipText(upload.filename) };
  let forward = upload.bytes;
  let status: IntakeStatus | typeof UNSCANNED = UNSCANNED;
  let scan: Awaited<ReturnType<typeof scanUpload>> | undefined;
  let stored: StoredIntakeReport | undefined;
  if (upload.purpose === "fine-tune") {
    scan = await scanUpload(c, upload);
    status = scan.status;
    stored = intakeReportRow(scan.report, sha256);
    if (scan.forward === null) throw await refuseUpload(c, scan, stored, provenance);
    forward = scan.forward;
  }
  const forwardedSha = forward === upload.bytes ? sha256 : await sha256Hex(forward);

  const { fc, value, id } = await uploadToProvider(c, { purpose: upload.purpose, filename: upload.filename, bytes: forward });
  const row: OwnedObject = { kind: "file", id, created: createdAt(value), purpose: upload.purpose, bytes: forward.byteLength, sha256: forwardedSha, filename: upload.filename, status };
  const report = stored === undefined ? undefined : { ...stored, fileId: id };
  await recordOwned(c, [row], () => deleteAtProvider(c, id), report);
  if (scan !== undefined && report !== undefined) {
    await scan.commit();
    recordData(c, `file_${status}`, { file_id: id, ...provenance, ...(forwardedSha === sha256 ? {} : { forwarded_sha256: forwardedSha }), status, findings: findingsSummary(scan.report), report_id: report.id });
    const res = objectResponse(value, fc);
    // What the scan did, for clients that look (the body stays the provider's file object).
    res.headers.set("x-aigis-intake", `${status}; findings=${scan.report.findings.length}`);
    res.headers.set(INTAKE_REPORT_HEADER, report.id);
    return res;
  }
  return objectResponse(value, fc);
}

/**
 * The refusal of a quarantined or rejected training file, after its report is stored. If the
 * store fails the upload is still refused (nothing was forwarded) and the uploader still
 * gets the report in the body, without an id; the audit record then has `report_id: null`.
 *
 * A quarantined file is first held in R2 for review (src/files/quarantine.ts), and its state
 * recorded with the report; a file held without that record is deleted again, so a held file
 * always has an uploader who can see it. Held or not, nothing is forwarded: the refusal says
 * which (`quarantine` beside `error`, `x-aigis-quarantine`), and so does the audit record.
 */
async function refuseUpload(
  c: Context<AppEnv>,
  scan: Awaited<ReturnType<typeof scanUpload>>,
  stored: StoredIntakeReport,
  provenance: Record<string, AuditValue>,
): Promise<GatewayError> {
  const findings = findingsSummary(scan.report);
  const upload = c.get("upload");
  let hold: HoldResult | undefined = scan.status === "quarantined" ? await holdUpload(c, upload, String(provenance.sha256), stored.id) : undefined;
  let reportId: string | null = stored.id;
  try {
    await owners(c, (s) => s.storeIntakeReport(stored, hold?.held === true ? { id: hold.file.id, heldAt: hold.file.heldAt } : undefined));
  } catch {
    reportId = null;
    console.error(`aigis: intake report not stored (request ${c.get("requestId")})`);
    if (hold?.held === true) {
      await dropHold(bucketOf(c.env), hold.file.id);
      hold = { held: false, failure: "report_unstored" };
    }
  }
  const heldId = hold?.held === true ? hold.file.id : null;
  const holdDetail: Record<string, AuditValue> = hold === undefined ? {} : { quarantine_id: heldId, hold: hold.held ? "held" : hold.failure };
  recordData(c, `file_${scan.status}`, { file_id: null, ...provenance, status: scan.status, findings, report_id: reportId, ...holdDetail });
  const headers: Record<string, string> = reportId === null ? {} : { [INTAKE_REPORT_HEADER]: reportId };
  if (heldId !== null) headers[QUARANTINE_HEADER] = heldId;
  // The uploader gets the report: rule ids, line numbers and counts, never the data.
  return new GatewayError("training_file_rejected", {
    detail: `intake: ${scan.status} (${findings})${hold === undefined ? "" : `, ${hold.held ? "held" : `not held: ${hold.failure}`}`}`,
    ...(hold === undefined ? {} : { message: hold.held ? HELD_MESSAGE : NOT_HELD_MESSAGE }),
    headers,
    report: { name: "intake_report", value: reportId === null ? scan.report : { id: reportId, ...scan.report } },
    ...(hold === undefined ? {} : { extra: { quarantine: hold.held ? heldRefusal(hold.file, retentionMs(getConfig(c.env))) : { id: null, status: "not_held" } } }),
  });
}

const HELD_MESSAGE = "The training file was not accepted by the gateway's intake checks. It is held for review; the intake report says why.";
const NOT_HELD_MESSAGE = "The training file was not accepted by the gateway's intake checks, and it could not be held for review: upload it again later or contact the operator.";

/** What the uploader learns of its held file: the id, and until when it is kept. */
function heldRefusal(h: HeldFile, retention: number): Record<string, unknown> {
  return { id: h.id, status: "held", expires_at: Math.floor(expiresAt(h.heldAt, retention) / 1000) };
}

/** The OpenAI file object of a recorded file. */
function fileObject(row: OwnedObject): Record<string, unknown> {
  return { id: row.id, object: "file", bytes: row.bytes, created_at: row.created, filename: row.filename, purpose: row.purpose, status: "processed" };
}

/** GET /v1/files: the caller's files only, of the purposes its scopes cover. */
export async function listFiles(c: Context<AppEnv>): Promise<Response> {
  const q = c.get("listQuery");
  const page = await listOwned(c, "file", { ...q, hidden: hiddenPurposes(c.get("identity").scopes) });
  const data = page.data.map(fileObject);
  return objectResponse({ object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore }, undefined);
}

/** The path's id; the route stage has checked its shape. */
export function pathId(c: Context<AppEnv>): string {
  return c.get("objectOp").id as string;
}

/** GET /v1/files/{id} */
export async function retrieveFile(c: Context<AppEnv>): Promise<Response> {
  const id = pathId(c);
  await requireOwned(c, "file", id);
  const fc = await callFiles(c, "GET", `/files/${id}`);
  return objectResponse(await readObject(fc, c, "file_not_found"), fc);
}

/**
 * GET /v1/files/{id}/content: the bytes as the provider sends them, capped at the larger of
 * `max_response_bytes` and `max_upload_bytes` (a client can read back what it could upload).
 */
export async function fileContent(c: Context<AppEnv>): Promise<Response> {
  const id = pathId(c);
  await requireOwned(c, "file", id);
  const config = getConfig(c.env);
  const fc = await callFiles(c, "GET", `/files/${id}/content`);
  const bytes = await readBody(fc, c, "file_not_found", Math.max(config.max_response_bytes, config.max_upload_bytes));
  const headers = clientHeaders(fc.call.response.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/octet-stream");
  return new Response(bytes, { status: 200, headers });
}

/** DELETE /v1/files/{id}: deleted at the provider, then forgotten (also when the provider no longer has it). */
export async function deleteFile(c: Context<AppEnv>): Promise<Response> {
  const id = pathId(c);
  await requireOwned(c, "file", id);
  const fc = await callFiles(c, "DELETE", `/files/${id}`);
  let value: Record<string, unknown>;
  try {
    value = await readObject(fc, c, "file_not_found");
  } catch (err) {
    if (err instanceof GatewayError && err.code === "file_not_found") await owners(c, (s) => s.forgetOwned("file", id));
    throw err;
  }
  await owners(c, (s) => s.forgetOwned("file", id));
  return objectResponse(value, fc);
}
