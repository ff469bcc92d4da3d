/**
 * Stage 9: response protection, set up before the request is forwarded. It decides which
 * output checks this response gets (the plan's `output` rules), puts the per-client canary
 * into the system prompt when the rules ask for one, and hands on the input firewall's
 * placeholders so that exactly this request's placeholders can be restored. The forward
 * stage applies the checks to the plain body or to each SSE event
 * (src/protect/response.ts); what they found goes to analytics when the response is done.
 *
 * It runs after the input firewall: the canary must not be scanned as the client's text,
 * and the placeholders are only complete once the firewall has redacted.
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";
import { secretOf, type AppEnv } from "../env";
import { canaryFor } from "../protect/prompt-leak";
import { ResponseProtection } from "../protect/response";
import { insertCanary, systemPromptOf } from "../protect/system-prompt";
import { isApiRoute } from "../routes";
import { planFor } from "../rules/schema";

/** The Worker secret the canaries are derived from (`wrangler secret put AIGIS_CANARY_SECRET`). */
export const CANARY_SECRET = "AIGIS_CANARY_SECRET";

const NO_PLACEHOLDERS: ReadonlyMap<string, string> = new Map();

/** Tells the client the response was changed or flagged; never which rule fired. */
export const OUTPUT_HEADER = "x-aigis-output";

/**
 * @example app.use("/v1/*", outputProtection()) // after firewall()
 */
export function outputProtection(): MiddlewareHandler<AppEnv> {
  return async function outputProtectionStage(c, next) {
    const route = c.get("route");
    // Embeddings return vectors: nothing a person reads.
    if (!isApiRoute(route) || route === "embeddings") return next();
    const policy = planFor(c.get("rules").doc, c.get("identity").plan).output;
    if (policy.mode === "off") return next();

    const body = c.get("body");
    // Read before the canary goes in: the overlap check compares with the operator's text.
    const systemPrompt = systemPromptOf(route, body);
    let canary: string | undefined;
    if (policy.canary.enabled) {
      const secret = secretOf(c.env, CANARY_SECRET);
      // Fail closed: a rule that asks for canaries must not silently run without them.
      if (secret === undefined) throw new GatewayError("config_invalid", { detail: `output.canary is enabled but the ${CANARY_SECRET} secret is missing` });
      const candidate = await canaryFor(secret, c.get("identity").clientId);
      if (insertCanary(route, body, candidate)) canary = candidate;
    }
    const protection = new ResponseProtection({
      policy,
      // No copy needed: nothing adds placeholders after the firewall.
      originals: c.get("redactions")?.originals ?? NO_PLACEHOLDERS,
      canary,
      systemPrompt,
    });
    c.set("protection", protection);
    await next();
    // Plain responses are done here; a stream records when it ends (the forward stage).
    if (c.get("streamDone") === undefined) protection.record(c.get("log"));
    const visible = [...new Set(protection.findings.map((f) => f.action).filter((a) => a === "redact" || a === "flag"))];
    if (visible.length > 0 && c.res.status < 400) c.res.headers.set(OUTPUT_HEADER, visible.sort().join(", "));
  };
}
