/**
 * Review of quarantined training files (admin scope; docs/training-data.md, "Quarantine holds
 * the file for review"). The bytes are in R2 (src/files/quarantine.ts), the uploader's view of
 * them in its Durable Object (src/files/held.ts).
 *
 * - `GET /admin/v1/quarantine?client_id=…&after=…&limit=…`: held files, oldest first.
 * - `GET /admin/v1/quarantine/{id}`: one, with the intake report that quarantined it.
 * - `GET /admin/v1/quarantine/{id}/content`: its bytes, exactly as uploaded.
 * - `POST /admin/v1/quarantine/{id}/release`: forwarded to the provider like an accepted
 *   upload and recorded as the uploader's file, then deleted from R2.
 * - `POST /admin/v1/quarantine/{id}/discard`: deleted.
 *
 * A decision may carry `{"reason": "…"}` for the audit trail. An id that is not held (never
 * was, decided already, expired) is 404 `quarantined_file_not_found`.
 */
import type { Context } from "hono";
import { z } from "zod";
import { sha256Hex } from "../auth/api-keys";
import { getConfig, type AppEnv } from "../env";
import { GatewayError } from "../errors";
import { reportObject } from "../files/intake-reports";
import { OBJECT_IDS, type OwnedObject } from "../files/objects";
import { owners } from "../files/ownership";
import { createdAt, deleteAtProvider, uploadToProvider } from "../files/provider";
import { dropHold, expiresAt, expireHeld, heldKey, heldObject, heldOf, listHeld, r2, recordHeld, requireBucket, retentionMs, type HeldFile } from "../files/quarantine";
import { decodeUtf8, parseJsonObject, validateBody } from "../request/body";

const ListSchema = z.strictObject({
  client_id: z.string().min(1).max(256).optional(),
  after: z.string().regex(OBJECT_IDS.quarantined_file.pattern).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const DecisionSchema = z.strictObject({ reason: z.string().max(200).optional() });

function notHeld(detail: string): GatewayError {
  return new GatewayError("quarantined_file_not_found", { detail: `quarantine: ${detail}` });
}

/** The optional reason of a decision; an empty body is none. */
function reasonOf(c: Context<AppEnv>): string | null {
  const raw = c.get("rawBody");
  if (raw === undefined || raw.byteLength === 0) return null;
  const { reason } = validateBody(DecisionSchema, parseJsonObject(decodeUtf8(raw))) as z.infer<typeof DecisionSchema>;
  return reason ?? null;
}

/** The path's id; the route stage has checked its shape. */
const pathId = (c: Context<AppEnv>): string => c.req.param("id") ?? "";

/**
 * The held file behind `object` (an R2 head or get), or 404. One past retention is expired
 * now, before the answer, so a retry sees it gone.
 */
async function heldOrNotFound(c: Context<AppEnv>, bucket: R2Bucket, object: R2Object | null, now: number): Promise<HeldFile> {
  const h = object === null ? undefined : heldOf(object);
  if (h === undefined) throw notHeld("no such object");
  if (now >= expiresAt(h.heldAt, retentionMs(getConfig(c.env)))) {
    await expireHeld(c, bucket, [h], now).catch(() => console.error(`aigis: could not expire held file ${h.id}`));
    throw notHeld("expired");
  }
  return h;
}

/** GET /admin/v1/quarantine */
export async function listQuarantine(c: Context<AppEnv>): Promise<Response> {
  const q = validateBody(ListSchema, c.req.query()) as z.infer<typeof ListSchema>;
  const bucket = requireBucket(c.env);
  const now = Date.now();
  const retention = retentionMs(getConfig(c.env));
  const page = await r2(() => listHeld(bucket, { client: q.client_id, after: q.after, limit: q.limit }, now, retention));
  if (page.expired.length > 0) c.executionCtx.waitUntil(expireHeld(c, bucket, page.expired, now).catch(() => console.error("aigis: quarantine sweep failed")));
  return c.json({ object: "list", data: page.data.map((h) => heldObject(h, retention)), has_more: page.next !== null, next_after: page.next });
}

/** GET /admin/v1/quarantine/{id}: the held file and its intake report (findings with line numbers: what to look at). */
export async function retrieveQuarantined(c: Context<AppEnv>): Promise<Response> {
  const bucket = requireBucket(c.env);
  const id = pathId(c);
  const h = await heldOrNotFound(c, bucket, await r2(() => bucket.head(heldKey(id))), Date.now());
  const retention = retentionMs(getConfig(c.env));
  const report = await owners(c, (s) => s.intakeReport(h.reportId), h.client);
  return c.json({ ...heldObject(h, retention), intake_report: report === null ? null : reportObject(report, retention) });
}

/** RFC 6266 / RFC 8187: the uploader's file name, percent-encoded, so no byte of it can break the header. */
function attachment(filename: string): string {
  const encoded = encodeURIComponent(filename).replace(/['()*!]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename*=UTF-8''${encoded}`;
}

/** GET /admin/v1/quarantine/{id}/content: streamed from R2, never buffered; each download is audited. */
export async function quarantinedContent(c: Context<AppEnv>): Promise<Response> {
  const bucket = requireBucket(c.env);
  const object = await r2(() => bucket.get(heldKey(pathId(c))));
  let h: HeldFile;
  try {
    h = await heldOrNotFound(c, bucket, object, Date.now());
  } catch (err) {
    await object?.body.cancel();
    throw err;
  }
  recordHeld(c, "file_downloaded", h, { actor: c.get("identity").clientId });
  const headers = new Headers({
    "content-type": "application/octet-stream",
    "content-length": String((object as R2ObjectBody).size),
    "content-disposition": attachment(h.filename),
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  });
  return new Response((object as R2ObjectBody).body, { status: 200, headers });
}

/**
 * POST /admin/v1/quarantine/{id}/release. The uploader's record decides first whether the
 * file is still held; after the provider accepted it, the ownership row and the decision are
 * written in one transaction, and if that fails (or another decision came first) the file is
 * deleted at the provider again, so no released file exists without its owner. The R2 copy
 * is deleted last: if that fails, the record already says released and a second release is
 * refused.
 */
export async function releaseQuarantined(c: Context<AppEnv>): Promise<Response> {
  const reason = reasonOf(c);
  const bucket = requireBucket(c.env);
  const id = pathId(c);
  const now = Date.now();
  const object = await r2(() => bucket.get(heldKey(id)));
  let h: HeldFile;
  try {
    h = await heldOrNotFound(c, bucket, object, now);
    const row = await owners(c, (s) => s.heldFile(id), h.client);
    if (row !== null && row.status !== "held") {
      await dropHold(bucket, id);
      throw notHeld(`already ${row.status}`);
    }
  } catch (err) {
    await object?.body.cancel();
    throw err;
  }
  const bytes = new Uint8Array(await r2(() => (object as R2ObjectBody).arrayBuffer()));
  // What is forwarded must be what was scanned and what the audit trail names.
  if ((await sha256Hex(bytes)) !== h.sha256) throw new GatewayError("internal_error", { detail: `quarantine: held file ${id} does not match its SHA-256` });

  const { value, id: fileId } = await uploadToProvider(c, { purpose: h.purpose, filename: h.filename, bytes });
  const owned: OwnedObject = { kind: "file", id: fileId, created: createdAt(value), purpose: h.purpose, bytes: bytes.byteLength, sha256: h.sha256, filename: h.filename, status: "released" };
  const undo = () =>
    deleteAtProvider(c, fileId).catch(() => console.error(`aigis: could not remove released file ${fileId} at the provider (request ${c.get("requestId")})`));
  let before;
  try {
    before = await owners(c, (s) => s.decideHeld({ id, reportId: h.reportId, heldAt: h.heldAt, status: "released", at: now, owned }), h.client);
  } catch (err) {
    await undo();
    throw err;
  }
  if (before !== null && before !== "held") {
    await undo();
    await dropHold(bucket, id);
    throw notHeld(`decided concurrently: ${before}`);
  }
  await bucket.delete(heldKey(id)).catch(() => console.error(`aigis: released file ${id} left in R2; its record refuses a second release`));
  recordHeld(c, "file_released", h, { file_id: fileId, actor: c.get("identity").clientId, reason });
  return c.json({ id, object: "quarantined_file", status: "released", client_id: h.client, file: value });
}

/**
 * POST /admin/v1/quarantine/{id}/discard. The record first, then R2: if the delete fails the
 * answer is 503 and a retry finishes it (the record already says discarded).
 */
export async function discardQuarantined(c: Context<AppEnv>): Promise<Response> {
  const reason = reasonOf(c);
  const bucket = requireBucket(c.env);
  const id = pathId(c);
  const now = Date.now();
  const h = await heldOrNotFound(c, bucket, await r2(() => bucket.head(heldKey(id))), now);
  const before = await owners(c, (s) => s.decideHeld({ id, reportId: h.reportId, heldAt: h.heldAt, status: "discarded", at: now }), h.client);
  if (before === "released" || before === "expired") {
    await dropHold(bucket, id);
    throw notHeld(`already ${before}`);
  }
  await r2(() => bucket.delete(heldKey(id)));
  recordHeld(c, "file_discarded", h, { actor: c.get("identity").clientId, reason });
  return c.json({ id, object: "quarantined_file", status: "discarded", client_id: h.client });
}
