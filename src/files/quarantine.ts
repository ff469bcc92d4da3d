/**
 * Quarantine holds the file for review (issue 10, point 3). A training file whose intake
 * verdict is `quarantine` is refused like a rejected one, but its bytes are kept in R2
 * (binding `QUARANTINE`) under `held/{id}` until an admin releases it to the provider,
 * discards it, or it expires (`quarantine.retention_days`). The uploader's Durable Object
 * keeps the file's state beside its intake report (src/files/held.ts), so the uploader sees
 * what became of it; the bytes themselves are only ever read back by an admin
 * (src/admin/quarantine.ts).
 *
 * Ids start with the time they were held, in hex: R2 lists keys in lexicographic order, so a
 * list is oldest first (a review queue) and the expired files are always at the front, which
 * lets a sweep stop at the first file that has not expired.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AuditValue } from "../audit/chain";
import { getConfig, type AppEnv, type Config } from "../env";
import { GatewayError } from "../errors";
import { isObjectId } from "./objects";
import { owners } from "./ownership";
import { clipText, recordData } from "./provenance";

/** Names the held file on a refused upload. */
export const QUARANTINE_HEADER = "x-aigis-quarantine";
const PREFIX = "held/";
/** R2 answers at most 1,000 keys per list call; a list walks at most this many calls. */
const LIST_CALLS_MAX = 10;
const DAY_MS = 86_400_000;

/** `qfile_`, 12 hex digits of the time held in milliseconds, 20 random hex digits (80 bits). */
export function newQuarantineId(now = Date.now()): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(10))) hex += b.toString(16).padStart(2, "0");
  return `qfile_${Math.floor(now).toString(16).padStart(12, "0")}${hex}`;
}

export const heldKey = (id: string): string => `${PREFIX}${id}`;

/**
 * What R2 keeps beside the bytes: custom metadata, strings only, at most 8 KB per object (R2
 * "Limits"); a 255-character name of 4-byte characters and 256-character ids stay under 2 KB.
 */
const MetadataSchema = z.object({
  client: z.string(),
  tenant: z.string(),
  filename: z.string(),
  purpose: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  report_id: z.string(),
  held_at: z.coerce.number().int().nonnegative(),
  bytes: z.coerce.number().int().nonnegative(),
});

export interface HeldFile {
  id: string;
  /** The uploader: the client whose Durable Object owns the file once released. */
  client: string;
  tenant: string;
  filename: string;
  purpose: string;
  /** SHA-256 (hex) of the bytes held, which are the bytes uploaded. */
  sha256: string;
  /** The intake report that quarantined it (in the uploader's Durable Object). */
  reportId: string;
  /** Unix milliseconds. */
  heldAt: number;
  bytes: number;
}

function metadataOf(h: HeldFile): Record<string, string> {
  return { client: h.client, tenant: h.tenant, filename: h.filename, purpose: h.purpose, sha256: h.sha256, report_id: h.reportId, held_at: String(h.heldAt), bytes: String(h.bytes) };
}

/** The held file an R2 object describes; undefined for an object that is not one (a foreign key, unreadable metadata). */
export function heldOf(object: { key: string; customMetadata?: Record<string, string> | undefined }): HeldFile | undefined {
  const id = object.key.slice(PREFIX.length);
  const meta = MetadataSchema.safeParse(object.customMetadata ?? {});
  if (!object.key.startsWith(PREFIX) || !isObjectId("quarantined_file", id) || !meta.success) return undefined;
  const m = meta.data;
  return { id, client: m.client, tenant: m.tenant, filename: m.filename, purpose: m.purpose, sha256: m.sha256, reportId: m.report_id, heldAt: m.held_at, bytes: m.bytes };
}

export const retentionMs = (config: Config): number => config.quarantine.retention_days * DAY_MS;

export const expiresAt = (heldAt: number, retention: number): number => heldAt + retention;

/** The wire object of a held file (admin list and retrieve). Times in Unix seconds, as OpenAI's objects. */
export function heldObject(h: HeldFile, retention: number): Record<string, unknown> {
  return {
    id: h.id,
    object: "quarantined_file",
    client_id: h.client,
    tenant: h.tenant,
    filename: h.filename,
    purpose: h.purpose,
    bytes: h.bytes,
    sha256: h.sha256,
    report_id: h.reportId,
    created_at: Math.floor(h.heldAt / 1000),
    expires_at: Math.floor(expiresAt(h.heldAt, retention) / 1000),
  };
}

/** The bucket, or undefined when the deployment has none bound. */
export function bucketOf(env: Env): R2Bucket | undefined {
  return (env as Partial<Env>).QUARANTINE;
}

/** The bucket for an admin call; without one there is nothing to review, and saying so is 503, not an empty list. */
export function requireBucket(env: Env): R2Bucket {
  const bucket = bucketOf(env);
  if (bucket === undefined) throw new GatewayError("quarantine_unavailable", { detail: "QUARANTINE bucket not bound" });
  return bucket;
}

/** Runs one R2 call; a failure is 503 `quarantine_unavailable` (the caller decides what that leaves undone). */
export async function r2<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new GatewayError("quarantine_unavailable", { detail: `R2: ${err instanceof Error ? err.name : "failed"}` });
  }
}

/** Why a quarantined upload is not held; the audit record says which. */
export type HoldFailure = "not_bound" | "store_failed" | "report_unstored";
export type HoldResult = { held: true; file: HeldFile } | { held: false; failure: HoldFailure };

/**
 * Puts a quarantined upload into R2. Never throws: a file that cannot be held is refused all
 * the same (it was never going to be forwarded), and the refusal and the audit record say so.
 */
export async function holdUpload(c: Context<AppEnv>, upload: { bytes: Uint8Array; filename: string; purpose: string }, sha256: string, reportId: string): Promise<HoldResult> {
  const bucket = bucketOf(c.env);
  if (bucket === undefined) return { held: false, failure: "not_bound" };
  const now = Date.now();
  const { clientId, tenant } = c.get("identity");
  const file: HeldFile = { id: newQuarantineId(now), client: clientId, tenant, filename: upload.filename, purpose: upload.purpose, sha256, reportId, heldAt: now, bytes: upload.bytes.byteLength };
  try {
    await bucket.put(heldKey(file.id), upload.bytes, { customMetadata: metadataOf(file), httpMetadata: { contentType: "application/octet-stream" }, sha256 });
  } catch (err) {
    console.error(`aigis: quarantined file not held, R2 put failed: ${err instanceof Error ? err.name : "error"} (request ${c.get("requestId")})`);
    return { held: false, failure: "store_failed" };
  }
  // Retention must hold even where nobody lists: each hold sweeps the oldest files, after the answer.
  c.executionCtx.waitUntil(sweepExpired(c, bucket, now).catch(() => console.error("aigis: quarantine sweep failed")));
  return { held: true, file };
}

/** Removes a hold whose report could not be stored (best effort: a leftover expires like any other). */
export async function dropHold(bucket: R2Bucket | undefined, id: string): Promise<void> {
  await bucket?.delete(heldKey(id)).catch(() => console.error(`aigis: could not delete the unrecorded held file ${id}`));
}

export interface HeldPage {
  data: HeldFile[];
  /** Where the next page starts (`after`), or null at the end. */
  next: string | null;
  /** Files past retention met on the way (not in `data`): the caller expires them. */
  expired: HeldFile[];
}

/**
 * Held files oldest first, after `after`, optionally one client's. R2 cannot filter on
 * metadata, so a client's page is read from every client's files: a walk of at most
 * LIST_CALLS_MAX calls, which ends with `next` set if it stopped early, so a page can be
 * short (or empty) with more to come, as cursor pagination allows.
 */
export async function listHeld(bucket: R2Bucket, q: { client?: string | undefined; after?: string | undefined; limit: number }, now: number, retention: number): Promise<HeldPage> {
  const data: HeldFile[] = [];
  const expired: HeldFile[] = [];
  let startAfter = q.after === undefined ? undefined : heldKey(q.after);
  for (let calls = 0; calls < LIST_CALLS_MAX; calls++) {
    const page = await bucket.list({ prefix: PREFIX, include: ["customMetadata"], limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) });
    for (const o of page.objects) {
      const h = heldOf(o);
      if (h === undefined) continue;
      if (now >= expiresAt(h.heldAt, retention)) {
        expired.push(h);
        continue;
      }
      if (q.client !== undefined && h.client !== q.client) continue;
      if (data.length === q.limit) return { data, next: data.at(-1)!.id, expired };
      data.push(h);
    }
    if (!page.truncated) return { data, next: null, expired };
    startAfter = page.objects.at(-1)?.key ?? startAfter;
  }
  // Stopped early: the next page starts after the last key read, whatever it held.
  return { data, next: startAfter === undefined ? null : startAfter.slice(PREFIX.length), expired };
}

/**
 * Deletes the held files past retention, oldest first, and stops at the first one that is
 * not (ids are time-ordered), so a sweep reads one short page when nothing is due.
 */
export async function sweepExpired(c: Context<AppEnv>, bucket: R2Bucket, now: number): Promise<void> {
  const retention = retentionMs(getConfig(c.env));
  const page = await bucket.list({ prefix: PREFIX, include: ["customMetadata"], limit: 100 });
  const due: HeldFile[] = [];
  for (const o of page.objects) {
    const h = heldOf(o);
    if (h === undefined) continue;
    if (now < expiresAt(h.heldAt, retention)) break;
    due.push(h);
  }
  if (due.length > 0) await expireHeld(c, bucket, due, now);
}

/**
 * Expires held files: R2 first (what must not outlive retention is the data), then each
 * uploader's record and the audit trail. A record that cannot be updated still reads as
 * expired to its uploader, whose view compares the time itself (src/files/held.ts).
 */
export async function expireHeld(c: Context<AppEnv>, bucket: R2Bucket, files: readonly HeldFile[], now: number): Promise<void> {
  await bucket.delete(files.map((h) => heldKey(h.id)));
  await Promise.all(
    files.map(async (h) => {
      await owners(c, (s) => s.decideHeld({ id: h.id, reportId: h.reportId, heldAt: h.heldAt, status: "expired", at: now }), h.client).catch(() =>
        console.error(`aigis: held file ${h.id} expired, its uploader's record not updated`),
      );
      recordHeld(c, "file_expired", h, { actor: null });
    }),
  );
}

/**
 * A `data` audit record about a held file, under its uploader (so a client's trail shows
 * what became of its files); `actor` is the admin who acted, null for retention.
 */
export function recordHeld(c: Context<AppEnv>, action: "file_released" | "file_discarded" | "file_expired" | "file_downloaded", h: HeldFile, detail: Record<string, AuditValue>): void {
  recordData(c, action, { quarantine_id: h.id, sha256: h.sha256, bytes: h.bytes, purpose: h.purpose, filename: clipText(h.filename), report_id: h.reportId, ...detail }, { clientId: h.client, tenant: h.tenant });
}
