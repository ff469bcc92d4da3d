/**
 * `GET /v1/usage`: the caller's own usage and remaining budget, from its Durable Object
 * (exact; Analytics Engine samples, so budgets are never read from there). Only the
 * caller's client id is ever looked up: there is no parameter to ask for another.
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { planFor } from "../rules/schema";

export async function usage(c: Context<AppEnv>): Promise<Response> {
  const { identity } = c.var;
  const limits = planFor(c.var.rules.doc, identity.plan).limits;
  const ns = c.env.CLIENT_STATE;
  const report = await ns.get(ns.idFromName(identity.clientId)).usage(limits, Date.now());
  return c.json({ object: "usage", client_id: identity.clientId, plan: identity.plan, ...report });
}
