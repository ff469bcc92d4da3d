/**
 * `GET /v1/usage`: the caller's own usage and remaining budget, from its Durable Object
 * (exact; Analytics Engine samples, so budgets are never read from there). Only the
 * caller's client id is ever looked up: there is no parameter to ask for another.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { UsageReport } from "../quota/usage";
import { planFor, type RulesDocument } from "../rules/schema";

export async function usage(c: Context<AppEnv>): Promise<Response> {
  const identity = c.get("identity");
  const report = await clientUsage(c.env.CLIENT_STATE, c.get("rules").doc, identity.clientId, identity.plan, Date.now());
  return c.json({ object: "usage", client_id: identity.clientId, plan: identity.plan, ...report });
}

/**
 * A client's usage under its plan's limits in `rules` (the dashboard asks for every client's).
 * @example await clientUsage(env.CLIENT_STATE, rules.doc, "client-a", "default", Date.now())
 */
export function clientUsage(ns: Env["CLIENT_STATE"], rules: RulesDocument, clientId: string, plan: string, now: number): Promise<UsageReport> {
  return ns.get(ns.idFromName(clientId)).usage(planFor(rules, plan).limits, now);
}
