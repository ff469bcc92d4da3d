/**
 * `GET /v1/models`, answered by the gateway from its configuration rather than proxied:
 * a client sees exactly the models it may reach through this gateway (its plan, tenant and
 * key lists applied), nothing of the provider's account.
 */
import type { Context } from "hono";
import { getConfig, type AppEnv } from "../env";
import { modelAllowed } from "../policy/models";
import { planFor } from "../rules/schema";
import { listedModels } from "./providers";

/** A fixed `created` keeps the listing stable between isolates. */
const CREATED = 1_700_000_000;

/** Lists exactly the models this client may use. */
export function listModels(c: Context<AppEnv>): Response {
  const identity = c.get("identity");
  const rules = c.get("rules").doc;
  const scope = { plan: planFor(rules, identity.plan), tenant: identity.tenant, own: identity.models };
  const data = listedModels(getConfig(c.env))
    .filter((id) => modelAllowed(rules, scope, id))
    .map((id) => ({ id, object: "model", created: CREATED, owned_by: "aigis" }));
  return c.json({ object: "list", data });
}
