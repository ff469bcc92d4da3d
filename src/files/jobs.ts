/**
 * The /v1/fine_tuning/jobs handlers. A job may only train on files the caller owns; a job
 * the caller did not create is 404, as if it did not exist.
 *
 * `GET /v1/fine_tuning/jobs` pages through the caller's own records and asks the provider for
 * each job on the page (a job's status changes at the provider), at most `JOB_PAGE_MAX` per
 * page so a list costs a bounded number of subrequests; `has_more` and `after` page on.
 * When a job's status changes, the result files it names become the caller's too, so the
 * caller can download its own training results and nobody else can.
 */
import type { Context } from "hono";
import { GatewayError } from "../errors";
import { getConfig, type AppEnv } from "../env";
import type { FineTuningJobRequest } from "../schemas/fine-tuning";
import { upstreamModel } from "../upstream/providers";
import { pathId } from "./files";
import { FILE_PURPOSES, isObjectId, type OwnedObject } from "./objects";
import { listOwned, owners, recordOwned, requireOwned } from "./ownership";
import { callFiles, createdAt, createdId, filesProvider, objectResponse, readObject } from "./provider";
import { clipText, recordData } from "./provenance";

/** Jobs per list page; a larger `limit` is lowered (cursor pagination allows short pages). */
export const JOB_PAGE_MAX = 20;

/** The provider's organisation id is its account's, not the client's (like the dropped `openai-organization` header). */
function clientJob(value: Record<string, unknown>): Record<string, unknown> {
  return Object.hasOwn(value, "organization_id") ? { ...value, organization_id: "aigis" } : value;
}

const statusOf = (value: Record<string, unknown>, fallback: string): string => (typeof value.status === "string" ? value.status.slice(0, 32) : fallback);

/** POST /v1/fine_tuning/jobs */
export async function createJob(c: Context<AppEnv>): Promise<Response> {
  const body = c.get("body") as FineTuningJobRequest;
  const training = await requireOwned(c, "file", body.training_file, "training_file");
  if (typeof body.validation_file === "string") await requireOwned(c, "file", body.validation_file, "validation_file");
  const model = upstreamModel(filesProvider(getConfig(c.env)), body.model);
  const fc = await callFiles(c, "POST", "/fine_tuning/jobs", JSON.stringify({ ...body, model }));
  const value = await readObject(fc, c);
  const id = createdId("job", value, fc.provider);
  const row: OwnedObject = { kind: "job", id, created: createdAt(value), purpose: "fine-tune", bytes: 0, sha256: "", filename: "", status: statusOf(value, "") };
  await recordOwned(c, [row], () => callFiles(c, "POST", `/fine_tuning/jobs/${id}/cancel`).then((r) => r.call.response.body?.cancel()));
  recordData(c, "job_created", {
    job_id: id,
    model: clipText(body.model),
    training_file: body.training_file,
    training_sha256: training.sha256,
    validation_file: body.validation_file ?? null,
  });
  return objectResponse(clientJob(value), fc);
}

/** A result file the provider wrote for a job, as the caller's record. */
async function resultFile(c: Context<AppEnv>, id: string): Promise<OwnedObject> {
  const v = await readObject(await callFiles(c, "GET", `/files/${id}`), c);
  const purpose = typeof v.purpose === "string" && (FILE_PURPOSES as readonly string[]).includes(v.purpose) ? v.purpose : "fine-tune-results";
  const bytes = typeof v.bytes === "number" && Number.isSafeInteger(v.bytes) ? v.bytes : 0;
  return { kind: "file", id, created: createdAt(v), purpose, bytes, sha256: "", filename: typeof v.filename === "string" ? clipText(v.filename, 255) : "", status: "unscanned" };
}

/** Records a changed status, and adopts the job's result files when it does. */
async function refresh(c: Context<AppEnv>, row: OwnedObject, value: Record<string, unknown>): Promise<void> {
  const status = statusOf(value, row.status);
  if (status === row.status) return;
  const ids = Array.isArray(value.result_files) ? value.result_files.filter((f): f is string => isObjectId("file", f)) : [];
  const results = await Promise.all(ids.map((id) => resultFile(c, id)));
  await owners(c, async (s) => {
    if (results.length > 0) await s.recordOwned(results);
    await s.setOwnedStatus("job", row.id, status);
  });
}

async function fetchJob(c: Context<AppEnv>, row: OwnedObject): Promise<{ value: Record<string, unknown>; response: Response }> {
  const fc = await callFiles(c, "GET", `/fine_tuning/jobs/${row.id}`);
  const value = await readObject(fc, c, "job_not_found");
  await refresh(c, row, value);
  const job = clientJob(value);
  return { value: job, response: objectResponse(job, fc) };
}

/** GET /v1/fine_tuning/jobs: the caller's jobs, newest first, as the provider reports them now. */
export async function listJobs(c: Context<AppEnv>): Promise<Response> {
  const q = c.get("listQuery");
  const page = await listOwned(c, "job", { ...q, limit: Math.min(q.limit, JOB_PAGE_MAX), hidden: [] });
  const found = await Promise.all(
    page.data.map((row) =>
      fetchJob(c, row).then(
        (j) => j.value,
        (err: unknown) => {
          // A job the provider no longer knows is left out of the page, not fatal to it.
          if (err instanceof GatewayError && err.code === "job_not_found") return undefined;
          throw err;
        },
      ),
    ),
  );
  const data = found.filter((j) => j !== undefined);
  return objectResponse({ object: "list", data, has_more: page.hasMore }, undefined);
}

/** GET /v1/fine_tuning/jobs/{id} */
export async function retrieveJob(c: Context<AppEnv>): Promise<Response> {
  const row = await requireOwned(c, "job", pathId(c));
  return (await fetchJob(c, row)).response;
}

/** POST /v1/fine_tuning/jobs/{id}/cancel */
export async function cancelJob(c: Context<AppEnv>): Promise<Response> {
  const row = await requireOwned(c, "job", pathId(c));
  const fc = await callFiles(c, "POST", `/fine_tuning/jobs/${row.id}/cancel`);
  const value = await readObject(fc, c, "job_not_found");
  await refresh(c, row, value);
  return objectResponse(clientJob(value), fc);
}
