/**
 * Stage 3: body size limit. Refuses an oversized body with 413 before a byte of it is
 * parsed: first by Content-Length, then while reading (a chunked body has none). The
 * bytes read are kept for the parse stage, so the body is read exactly once. Uploads to
 * POST /v1/files are capped by `max_upload_bytes` instead of `max_body_bytes`; either way no
 * more than the cap is ever buffered.
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";
import { getConfig, type AppEnv } from "../env";
import { readUpTo } from "../util/bytes";

/**
 * @example app.use("/v1/*", bodyLimit())
 */
export function bodyLimit(): MiddlewareHandler<AppEnv> {
  return async function bodyLimitStage(c, next) {
    if (c.req.method !== "POST") return next();
    const config = getConfig(c.env);
    // File uploads get their own, larger cap; every other body keeps the small one.
    const max = c.get("objectOp")?.op === "file.upload" ? config.max_upload_bytes : config.max_body_bytes;
    const declared = c.req.header("content-length");
    if (declared !== undefined && (!/^\d{1,12}$/.test(declared) || Number(declared) > max)) {
      throw new GatewayError("request_too_large", { detail: `content-length ${declared.slice(0, 16)}` });
    }
    let body: Uint8Array | undefined;
    try {
      // With a declared length under the cap the runtime may read the body in one go (a body
      // longer than its Content-Length is a framing error the runtime refuses itself).
      body = declared !== undefined ? new Uint8Array(await c.req.raw.arrayBuffer()) : await readUpTo(c.req.raw.body, max);
    } catch {
      throw new GatewayError("invalid_json", { message: "The request body could not be read.", detail: "body read failed" });
    }
    if (body === undefined) throw new GatewayError("request_too_large", { detail: "body over limit while reading" });
    c.get("log").requestBytes = body.byteLength;
    c.set("rawBody", body);
    await next();
  };
}
