/**
 * `GET /admin/v1/intake_reports?client_id=…[&id=…][&limit=…]`: a client's stored intake
 * reports (src/files/intake-reports.ts), read from its Durable Object. With `id`, that report
 * as its uploader gets it (the `report_id` of a `data` audit record leads here); without,
 * the newest `limit` (1 to 1000, default 50), newest first, with finding counts per rule
 * instead of the reports. Reports hold rule ids, line numbers and counts, never the data.
 */
import type { Context } from "hono";
import { z } from "zod";
import { getConfig, type AppEnv } from "../env";
import { retentionMs } from "../files/quarantine";
import { reportListing, reportNotFound, reportObject } from "../files/intake-reports";
import { OBJECT_IDS } from "../files/objects";
import { validateBody } from "../request/body";

const QuerySchema = z.strictObject({
  client_id: z.string().min(1).max(256),
  id: z.string().regex(OBJECT_IDS.intake_report.pattern).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export async function intakeReports(c: Context<AppEnv>): Promise<Response> {
  const q = validateBody(QuerySchema, c.req.query()) as z.infer<typeof QuerySchema>;
  const ns = c.env.CLIENT_STATE;
  const stub = ns.get(ns.idFromName(q.client_id));
  if (q.id !== undefined) {
    const row = await stub.intakeReport(q.id);
    if (row === null) throw reportNotFound("id");
    return c.json(reportObject(row, retentionMs(getConfig(c.env))));
  }
  const rows = await stub.intakeReports(q.limit);
  return c.json({ object: "list", client_id: q.client_id, data: rows.map(reportListing) });
}
