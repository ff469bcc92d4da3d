/**
 * The parse stage's part for files and fine-tuning: the multipart upload and the list
 * queries. Job creation is JSON and goes through the same path as the API routes
 * (src/middleware/validate.ts). Every refusal names the field, never its value.
 */
import { z } from "zod";
import { GatewayError } from "../errors";
import { formatPath, validateBody } from "../request/body";
import type { UnknownFieldPolicy } from "../schemas";
import { FILE_PURPOSES, OBJECT_IDS, UPLOAD_PURPOSES, type ObjectOp, type UploadPurpose } from "./objects";

/** What the route stage found: the operation and the path's id (shape already checked). */
export interface ObjectTarget {
  op: ObjectOp;
  id: string | undefined;
}

export interface UploadedFile {
  bytes: Uint8Array;
  filename: string;
  purpose: UploadPurpose;
}

export interface ListQuery {
  limit: number;
  order: "asc" | "desc";
  after: string | undefined;
  /** Files only. */
  purpose: string | undefined;
}

/** `multipart/form-data` with a boundary (RFC 7578 section 4.1: the boundary is required). */
export function isMultipartContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.split(";").map((s) => s.trim());
  return type?.toLowerCase() === "multipart/form-data" && params.some((p) => /^boundary=./i.test(p));
}

/** A file name the gateway will store, log and re-send: 1 to 255 characters, no control characters. */
const FILENAME = /^[^\p{Cc}]{1,255}$/u;

/**
 * Parses an upload into exactly the parts the gateway forwards: one `file` and one
 * `purpose`. Another part is refused under the `reject` policy and dropped otherwise
 * (`pass` cannot forward it either: the gateway rebuilds the body from these two parts).
 */
export async function parseUpload(contentType: string | undefined, body: Uint8Array, policy: UnknownFieldPolicy): Promise<UploadedFile> {
  if (!isMultipartContentType(contentType)) {
    throw new GatewayError("unsupported_media_type", { message: "Content-Type must be multipart/form-data.", detail: "upload content-type" });
  }
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": contentType as string } }).formData();
  } catch {
    throw new GatewayError("invalid_multipart", { detail: "multipart parse failed" });
  }
  let file: File | undefined;
  let purpose: string | undefined;
  for (const [name, value] of form) {
    const param = formatPath([name]);
    if (name !== "file" && name !== "purpose") {
      if (policy === "reject") throw new GatewayError("unknown_parameter", { param, message: `Unrecognized request argument supplied: ${param}`, detail: "unknown multipart part" });
      continue;
    }
    if ((name === "file" ? file : purpose) !== undefined) throw new GatewayError("invalid_parameter", { param, message: `'${param}' was given more than once.`, detail: "repeated multipart part" });
    if (name === "purpose") {
      if (typeof value !== "string") throw new GatewayError("invalid_parameter", { param, detail: "purpose is a file" });
      purpose = value;
    } else {
      if (typeof value === "string") throw new GatewayError("invalid_parameter", { param, message: "'file' must be a file part with a filename.", detail: "file is a plain field" });
      file = value;
    }
  }
  if (purpose === undefined) throw new GatewayError("missing_parameter", { param: "purpose", message: "Missing required parameter: 'purpose'.", detail: "no purpose part" });
  if (file === undefined) throw new GatewayError("missing_parameter", { param: "file", message: "Missing required parameter: 'file'.", detail: "no file part" });
  if (!(UPLOAD_PURPOSES as readonly string[]).includes(purpose)) throw new GatewayError("invalid_parameter", { param: "purpose", message: "Invalid value for 'purpose'.", detail: "unknown purpose" });
  if (!FILENAME.test(file.name)) throw new GatewayError("invalid_parameter", { param: "file", message: "The file name must be 1 to 255 characters without control characters.", detail: "bad filename" });
  return { bytes: new Uint8Array(await file.arrayBuffer()), filename: file.name, purpose: purpose as UploadPurpose };
}

const limit = z.coerce.number().int().min(1).max(10_000);

const FileListQuerySchema = z.strictObject({
  after: z.string().regex(OBJECT_IDS.file.pattern).optional(),
  limit: limit.default(10_000),
  order: z.enum(["asc", "desc"]).default("desc"),
  purpose: z.enum(FILE_PURPOSES).optional(),
});

const JobListQuerySchema = z.strictObject({
  after: z.string().regex(OBJECT_IDS.job.pattern).optional(),
  limit: limit.default(20),
});

/** The validated query of a list route; an unknown or repeated parameter is refused. */
export function parseListQuery(op: "file.list" | "job.list", url: string): ListQuery {
  const params: Record<string, string> = {};
  for (const [name, value] of new URL(url).searchParams) {
    if (Object.hasOwn(params, name)) {
      const param = formatPath([name]);
      throw new GatewayError("invalid_parameter", { param, message: `'${param}' was given more than once.`, detail: "repeated query parameter" });
    }
    params[name] = value;
  }
  if (op === "job.list") {
    const q = validateBody(JobListQuerySchema, params) as z.infer<typeof JobListQuerySchema>;
    return { limit: q.limit, order: "desc", after: q.after, purpose: undefined };
  }
  const q = validateBody(FileListQuerySchema, params) as z.infer<typeof FileListQuerySchema>;
  return { limit: q.limit, order: q.order, after: q.after, purpose: q.purpose };
}
