/**
 * Route resolution, right after the log opens: unknown paths are 404 and known paths with
 * another method are 405 (with `Allow`, RFC 9110 section 15.5.6) before any work is spent.
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { ROUTES } from "../routes";

/**
 * @example app.use(resolveRoute())
 */
export function resolveRoute(): MiddlewareHandler<AppEnv> {
  return async function routeStage(c, next) {
    const spec = Object.hasOwn(ROUTES, c.req.path) ? ROUTES[c.req.path] : undefined;
    if (spec === undefined) throw new GatewayError("not_found", { detail: "unknown path" });
    c.var.log.route = spec.route;
    const method = c.req.method === "HEAD" && spec.method === "GET" ? "GET" : c.req.method;
    if (method !== spec.method) {
      throw new GatewayError("method_not_allowed", { headers: { allow: spec.method }, detail: `${c.req.method} on ${spec.route}` });
    }
    c.set("route", spec.route);
    await next();
  };
}
