/**
 * Route resolution, right after the log opens: unknown paths are 404 and known paths with
 * another method are 405 (with `Allow`, RFC 9110 section 15.5.6) before any work is spent.
 * An object id in the path (`/v1/files/{id}`) must have the provider's id shape, or the
 * request is 400 before anything looks it up.
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { isObjectId } from "../files/objects";
import { matchPath } from "../routes";

/**
 * @example app.use(resolveRoute())
 */
export function resolveRoute(): MiddlewareHandler<AppEnv> {
  return async function routeStage(c, next) {
    const match = matchPath(c.req.path);
    if (match === undefined) throw new GatewayError("not_found", { detail: "unknown path" });
    const first = match.specs[0];
    if (first !== undefined) c.get("log").route = first.route;
    const serves = (m: string): boolean => match.specs.some((s) => s.method === m);
    const method = c.req.method === "HEAD" && serves("GET") ? "GET" : c.req.method;
    const spec = match.specs.find((s) => s.method === method);
    if (spec === undefined) {
      const allow = match.specs.map((s) => s.method).join(", ");
      throw new GatewayError("method_not_allowed", { headers: { allow }, detail: `${c.req.method} on ${first?.route ?? "?"}` });
    }
    const id = match.id;
    if (id !== undefined && !isObjectId(id.kind, id.value)) {
      throw new GatewayError("invalid_parameter", { param: id.param, message: `Invalid value for '${id.param}'.`, detail: "malformed object id in path" });
    }
    c.set("route", spec.route);
    if (spec.op !== undefined) c.set("objectOp", { op: spec.op, id: id?.value });
    await next();
  };
}
