/**
 * Stage 2: analytics. Opens the request's log record before anything can reject the
 * request, and writes exactly one Analytics Engine data point when the request is
 * complete: at once for plain responses, when the stream ends (through waitUntil) for
 * streams. Writing is fire-and-forget: it never delays or fails the response.
 */
import type { MiddlewareHandler } from "hono";
import { newRequestLog, toDataPoint, type RequestLog } from "../analytics/record";
import type { AppEnv } from "../env";
import { clientRequestId } from "./request-id";

function write(env: AppEnv["Bindings"], log: RequestLog): void {
  log.latencyMs = Date.now() - log.startedAt;
  try {
    env.ANALYTICS.writeDataPoint(toDataPoint(log));
  } catch (err) {
    // Losing a data point must never cost the client its response.
    console.error(`aigis: analytics write failed: ${err instanceof Error ? err.name : "unknown"}`);
  }
}

/**
 * @example app.use(analytics())
 */
export function analytics(): MiddlewareHandler<AppEnv> {
  return async function analyticsStage(c, next) {
    const log = newRequestLog(c.get("requestId"), c.req.method, Date.now());
    log.clientRequestId = clientRequestId(c.req.raw.headers);
    c.set("log", log);
    await next();
    log.status = c.res.status;
    if (log.status >= 400 && log.decision === "allow") log.decision = "error";
    const streamDone = c.get("streamDone");
    if (streamDone === undefined) {
      write(c.env, log);
      return;
    }
    c.executionCtx.waitUntil(streamDone.then(() => write(c.env, log), () => write(c.env, log)));
  };
}
