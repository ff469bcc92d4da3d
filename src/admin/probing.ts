/**
 * `GET /admin/v1/probing?client_id=…[&plan=…][&limit=…]`: a client's probing score as of
 * now (its components, level, fingerprints held, state size) and its newest audit records
 * of probing actions. Numbers and signal names only: the state holds no text to show.
 */
import type { Context } from "hono";
import { z } from "zod";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { planFor } from "../rules/schema";
import { validateBody } from "../request/body";

const QuerySchema = z.strictObject({
  client_id: z.string().min(1).max(256),
  plan: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export async function probingReport(c: Context<AppEnv>): Promise<Response> {
  const q = validateBody(QuerySchema, c.req.query()) as z.infer<typeof QuerySchema>;
  const rules = c.get("rules").doc;
  if (q.plan !== undefined && !Object.hasOwn(rules.plans, q.plan)) throw new GatewayError("not_found", { message: "No such plan.", detail: "probing report: unknown plan" });
  const policy = planFor(rules, q.plan ?? "").probing;
  const ns = c.env.CLIENT_STATE;
  const report = await ns.get(ns.idFromName(q.client_id)).probing(policy, Date.now(), q.limit);
  return c.json({ client_id: q.client_id, ...report });
}
