/**
 * The audit trail for operators (admin scope):
 * - `GET /admin/v1/audit?limit=N` (0 to 1000, default 50): the newest records, newest first,
 *   with where the chain stands (`head`, `flushed` to D1, `pending`, `dropped`, `failures`).
 *   `npm run audit -- verify --gateway` compares D1's head with `flushed`.
 * - `POST /admin/v1/audit/events`: key and rules changes made outside the gateway
 *   (`npm run keys -- create`, a rules push without `--gateway`) reported by the CLIs, so the
 *   trail has them. Decisions cannot be posted: only the gateway records those.
 */
import type { Context } from "hono";
import { z } from "zod";
import { auditLog, RECENT_ROWS, type AuditEvent } from "../audit/writer";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { decodeUtf8, parseJsonObject, validateBody } from "../request/body";

const LimitSchema = z.coerce.number().int().min(0).max(RECENT_ROWS).default(50);

function unavailable(err: unknown): GatewayError {
  return new GatewayError("audit_unavailable", { detail: `audit writer: ${err instanceof Error ? err.message : String(err)}` });
}

export async function auditReport(c: Context<AppEnv>): Promise<Response> {
  const limit = LimitSchema.safeParse(c.req.query("limit"));
  if (!limit.success) throw new GatewayError("invalid_parameter", { param: "limit", message: `limit must be an integer from 0 to ${RECENT_ROWS}.`, detail: "audit: bad limit" });
  try {
    return c.json(await auditLog(c.env).recent(limit.data));
  } catch (err) {
    throw unavailable(err);
  }
}

const Name = z.string().max(128);
const EventSchema = z.strictObject({
  kind: z.enum(["key", "rules"]),
  action: z.string().regex(/^[a-z][a-z_]{0,31}$/),
  client: Name.default(""),
  tenant: Name.default(""),
  rule: Name.default(""),
  rules_version: Name.default(""),
  detail: z
    .record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/), z.union([z.string().max(200), z.number().finite(), z.boolean(), z.null()]))
    .refine((d) => Object.keys(d).length <= 16, "at most 16 detail fields")
    .default({}),
});
const EventsSchema = z.strictObject({ events: z.array(EventSchema).min(1).max(50) });

export async function postAuditEvents(c: Context<AppEnv>): Promise<Response> {
  const { events } = validateBody(EventsSchema, parseJsonObject(decodeUtf8(c.get("rawBody")))) as z.infer<typeof EventsSchema>;
  const at = Date.now();
  const actor = c.get("identity").clientId;
  const records: AuditEvent[] = events.map((e) => ({
    at,
    kind: e.kind,
    client: e.client,
    tenant: e.tenant,
    rule: e.rule,
    rulesVersion: e.rules_version,
    action: e.action,
    promptMac: null,
    // The admin key that reported it, whatever the body says.
    detail: { ...e.detail, actor, reported: true },
  }));
  try {
    // Awaited, unlike the gateway's own events: the CLI must know whether the trail has them.
    const { head, accepted } = await auditLog(c.env).append(records);
    return c.json({ accepted, head }, 202);
  } catch (err) {
    throw unavailable(err);
  }
}
