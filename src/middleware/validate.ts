/**
 * Stage 5: parse and validate. Turns the raw bytes into the route's typed request under
 * the caller's plan's unknown-field policy (reject, strip or pass). Everything later reads
 * `c.get("body")`; the forward stage re-serialises it, so stripped fields never reach the provider.
 * Files and fine-tuning: job creation is JSON like the API routes; an upload is parsed into
 * its `file` and `purpose` parts, and list queries are validated (src/files/request.ts).
 */
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import { GatewayError } from "../errors";
import { getConfig, type AppEnv } from "../env";
import { parseListQuery, parseUpload } from "../files/request";
import { decodeUtf8, exceedsDepth, isJsonContentType, parseJsonObject, validateBody } from "../request/body";
import { isApiRoute } from "../routes";
import { planFor } from "../rules/schema";
import { requestSchema } from "../schemas";
import { fineTuningJobRequest } from "../schemas/fine-tuning";

const RELEASED = new Uint8Array(0);

/**
 * @example app.use("/v1/*", parseAndValidate())
 */
export function parseAndValidate(): MiddlewareHandler<AppEnv> {
  return async function parseStage(c, next) {
    const route = c.get("route");
    const op = c.get("objectOp")?.op;
    if (!isApiRoute(route) && op === undefined) return next();
    const policy = planFor(c.get("rules").doc, c.get("identity").plan).unknown_fields;
    let schema: z.ZodType<Record<string, unknown>>;
    if (isApiRoute(route)) schema = requestSchema(route, policy);
    else if (op === "job.create") schema = fineTuningJobRequest(policy);
    else {
      if (op === "file.upload") {
        c.set("upload", await parseUpload(c.req.header("content-type"), c.get("rawBody"), policy));
        // The parsed file holds the bytes now: drop the raw copy (an upload can be tens of MB).
        c.set("rawBody", RELEASED);
      } else if (op === "file.list" || op === "job.list") c.set("listQuery", parseListQuery(op, c.req.url));
      // Requests on one object carry nothing to parse (a body on cancel is ignored).
      return next();
    }
    if (!isJsonContentType(c.req.header("content-type"))) throw new GatewayError("unsupported_media_type", { detail: "content-type" });
    const text = decodeUtf8(c.get("rawBody"));
    if (exceedsDepth(text, getConfig(c.env).max_json_depth)) throw new GatewayError("nesting_too_deep", { detail: "depth limit" });
    const json = parseJsonObject(text);
    const body = validateBody(schema, json);
    c.get("log").model = typeof body.model === "string" ? body.model : "";
    c.get("log").stream = body.stream === true;
    c.set("body", body);
    await next();
  };
}
