/**
 * Stage 5: parse and validate. Turns the raw bytes into the route's typed request under
 * the caller's plan's unknown-field policy (reject, strip or pass). Everything later reads
 * `c.var.body`; the forward stage re-serialises it, so stripped fields never reach the provider.
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";
import { getConfig, type AppEnv } from "../env";
import { decodeUtf8, exceedsDepth, isJsonContentType, parseJsonObject, validateBody } from "../request/body";
import { isApiRoute } from "../routes";
import { planFor } from "../rules/schema";
import { requestSchema } from "../schemas";

/**
 * @example app.use("/v1/*", parseAndValidate())
 */
export function parseAndValidate(): MiddlewareHandler<AppEnv> {
  return async function parseStage(c, next) {
    const route = c.var.route;
    if (!isApiRoute(route)) return next();
    if (!isJsonContentType(c.req.header("content-type"))) throw new GatewayError("unsupported_media_type", { detail: "content-type" });
    const text = decodeUtf8(c.var.rawBody);
    if (exceedsDepth(text, getConfig(c.env).max_json_depth)) throw new GatewayError("nesting_too_deep", { detail: "depth limit" });
    const json = parseJsonObject(text);
    const policy = planFor(c.var.rules.doc, c.var.identity.plan).unknown_fields;
    const body = validateBody(requestSchema(route, policy), json);
    c.var.log.model = typeof body.model === "string" ? body.model : "";
    c.var.log.stream = body.stream === true;
    c.set("body", body);
    await next();
  };
}
