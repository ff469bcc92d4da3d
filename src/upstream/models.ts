/**
 * `GET /v1/models`, answered by the gateway from its configuration rather than proxied:
 * a client sees exactly the models it can reach through this gateway, nothing of the
 * provider's account.
 */
import type { Context } from "hono";
import { getConfig, type AppEnv } from "../env";
import { listedModels } from "./providers";

/** A fixed `created` keeps the listing stable between isolates. */
const CREATED = 1_700_000_000;

export function listModels(c: Context<AppEnv>): Response {
  const data = listedModels(getConfig(c.env)).map((id) => ({ id, object: "model", created: CREATED, owned_by: "aigis" }));
  return c.json({ object: "list", data });
}
