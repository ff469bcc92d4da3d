/**
 * Stage 1: request id. Every response carries `x-request-id`, generated here so that it is
 * unique and trustworthy. A caller's own id (`x-request-id` or `x-client-request-id`) is
 * kept only when short and well-formed: it is echoed as `x-client-request-id` and logged
 * in its own field, never used as ours (a forged id could collide with another request's).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

const CLIENT_ID_SHAPE = /^[A-Za-z0-9._:-]{1,64}$/;

export function newRequestId(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  let hex = "";
  for (const x of b) hex += x.toString(16).padStart(2, "0");
  return `req_${hex}`;
}

/** The caller's request id if it is safe to keep, else "". */
export function clientRequestId(headers: Headers): string {
  const v = headers.get("x-client-request-id") ?? headers.get("x-request-id");
  return v !== null && CLIENT_ID_SHAPE.test(v) ? v : "";
}

/**
 * @example app.use(requestId())
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdStage(c, next) {
    c.set("requestId", newRequestId());
    await next();
    c.res.headers.set("x-request-id", c.get("requestId"));
    const own = clientRequestId(c.req.raw.headers);
    if (own !== "") c.res.headers.set("x-client-request-id", own);
  };
}
