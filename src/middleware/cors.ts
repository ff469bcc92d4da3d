/**
 * CORS, off by default: an API gateway for servers needs none, and every allowed origin is
 * a place keys can leak from. With `cors.origins` configured, those exact origins get CORS
 * headers and preflights are answered; all others get none.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { getConfig, type AppEnv, type Config } from "../env";

/**
 * @example app.use(corsStage())
 */
export function corsStage(): MiddlewareHandler<AppEnv> {
  let built: { config: Config; handler: MiddlewareHandler } | undefined;
  return async function corsStageHandler(c, next) {
    const config = getConfig(c.env);
    if (config.cors.origins.length === 0) return next();
    if (built?.config !== config) {
      built = {
        config,
        handler: cors({
          origin: config.cors.origins,
          allowMethods: ["GET", "POST"],
          allowHeaders: ["authorization", "content-type", "x-api-key", "x-client-request-id", "openai-beta"],
          exposeHeaders: ["x-request-id", "x-client-request-id", "retry-after", "x-should-retry", "x-aigis-probing"],
          maxAge: config.cors.max_age,
        }),
      };
    }
    return built.handler(c, next);
  };
}
