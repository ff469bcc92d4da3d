/**
 * Files and fine-tuning jobs as the gateway sees them, pure: id shapes, purposes, the scope
 * each needs, and the row the client's Durable Object keeps for every object it owns
 * (docs/training-data.md, "Routes and ownership").
 */

export type ObjectKind = "file" | "job";
/** Ids that can stand in a path: the provider's objects, and the gateway's own intake reports and held files. */
export type PathIdKind = ObjectKind | "intake_report" | "quarantined_file";

/**
 * OpenAI ids: a fixed prefix and a short token (`file-abc123`, `ftjob-abc123`). The charset is
 * strict so an id can go into an upstream path and a SQL parameter without escaping, and
 * checked before any lookup; Azure's 32-hex ids fit the same shape. Intake reports are the
 * gateway's (src/files/intake-reports.ts): `irep_` and 24 hex characters; so are held files
 * (src/files/quarantine.ts): `qfile_` and 32 hex characters.
 */
export const OBJECT_IDS: Readonly<Record<PathIdKind, { pattern: RegExp; param: string }>> = {
  file: { pattern: /^file-[A-Za-z0-9_-]{1,64}$/, param: "file_id" },
  job: { pattern: /^ftjob-[A-Za-z0-9_-]{1,64}$/, param: "fine_tuning_job_id" },
  intake_report: { pattern: /^irep_[0-9a-f]{24}$/, param: "intake_report_id" },
  quarantined_file: { pattern: /^qfile_[0-9a-f]{32}$/, param: "quarantine_id" },
};

export function isObjectId(kind: PathIdKind, id: unknown): id is string {
  return typeof id === "string" && OBJECT_IDS[kind].pattern.test(id);
}

/** What a client may upload a file for (OpenAI "Upload file": `purpose`). */
export const UPLOAD_PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"] as const;
export type UploadPurpose = (typeof UPLOAD_PURPOSES)[number];

/** Purposes a stored file can have: the uploads, plus the files the provider writes. */
export const FILE_PURPOSES = [...UPLOAD_PURPOSES, "assistants_output", "batch_output", "fine-tune-results"] as const;

/** Upload, list, read and delete files that are not training data. */
export const FILES_SCOPE = "files";
/** Upload training files (purpose `fine-tune`), read their results, and everything under /v1/fine_tuning. */
export const FINE_TUNE_SCOPE = "fine_tune";

/** Purposes that belong to fine-tuning: the training data and the results the provider writes. */
const TRAINING_PURPOSES: ReadonlySet<string> = new Set(["fine-tune", "fine-tune-results"]);

/** The scope a file of `purpose` needs, to upload it or to touch it afterwards. */
export function scopeForPurpose(purpose: string): string {
  return TRAINING_PURPOSES.has(purpose) ? FINE_TUNE_SCOPE : FILES_SCOPE;
}

/** Purposes a caller holding `scopes` may not see in a file list. */
export function hiddenPurposes(scopes: readonly string[]): string[] {
  return FILE_PURPOSES.filter((p) => !scopes.includes(scopeForPurpose(p)));
}

/** One operation on files or fine-tuning jobs; the route stage sets it. */
export type ObjectOp = "file.upload" | "file.list" | "file.retrieve" | "file.content" | "file.delete" | "file.intake_report" | "job.create" | "job.list" | "job.retrieve" | "job.cancel";

/**
 * The scopes of which the caller needs at least one. Reading or deleting one file also needs
 * the scope of that file's purpose, checked once the file is found (src/files/ownership.ts).
 */
export function requiredScopes(op: ObjectOp, purpose: string | undefined): readonly string[] {
  if (op === "file.upload") return [scopeForPurpose(purpose ?? "")];
  // Only training files are scanned, so only their uploaders have reports.
  if (op === "file.intake_report") return [FINE_TUNE_SCOPE];
  if (op.startsWith("file.")) return [FILES_SCOPE, FINE_TUNE_SCOPE];
  return [FINE_TUNE_SCOPE];
}

/**
 * The row kept per owned object (`owned_objects` in src/admission/client-state.ts). Jobs
 * leave `bytes`, `sha256` and `filename` empty; `status` is the intake verdict for a file
 * (`unscanned` for purposes the intake does not scan) and the last status seen for a job.
 */
export interface OwnedObject {
  kind: ObjectKind;
  id: string;
  /** The provider's `created_at` (Unix seconds). */
  created: number;
  purpose: string;
  bytes: number;
  /** SHA-256 (hex) of the bytes forwarded to the provider. */
  sha256: string;
  filename: string;
  status: string;
}

/** A page of a client's objects, newest first unless `order` says otherwise. */
export interface OwnedPage {
  limit: number;
  order: "asc" | "desc";
  after: string | undefined;
  /** Only this purpose (files). */
  purpose: string | undefined;
  /** Never these purposes (the ones the caller's scopes do not cover). */
  hidden: readonly string[];
}
