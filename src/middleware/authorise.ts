/**
 * Stage 6: authorise. What this client may call: the endpoint (plan routes), the model
 * (plan, tenant and key lists) and each parameter (the plan's parameter policy, which may
 * strip or clamp fields). Runs after validation so it sees a typed body, and before
 * admission so a refused request costs no quota. Files and fine-tuning need the `files` or
 * `fine_tune` scope (src/files/objects.ts); whose object it is, is checked by the handler.
 */
import type { MiddlewareHandler } from "hono";
import type { Identity } from "../auth/identity";
import { GatewayError } from "../errors";
import { getConfig, type AppEnv } from "../env";
import { modelAllowed } from "../policy/models";
import { applyParamPolicy } from "../policy/params";
import { requiredScopes } from "../files/objects";
import { isApiRoute } from "../routes";
import { planFor } from "../rules/schema";
import { providerChain } from "../upstream/providers";

/** Response header naming why logprobs were removed (so a client is never silently short-changed). */
export const LOGPROBS_STRIPPED_HEADER = "x-aigis-logprobs-stripped";

/**
 * @example app.use("/v1/*", authorise())
 */
export function authorise(): MiddlewareHandler<AppEnv> {
  return async function authoriseStage(c, next) {
    const route = c.get("route");
    const identity = c.get("identity");
    const rules = c.get("rules").doc;
    const plan = planFor(rules, identity.plan);
    const shadow = plan.mode.policy === "shadow";
    // In shadow mode a refusal is recorded and the request goes on unchanged.
    const refuse = (err: GatewayError): void => {
      if (!shadow) throw err;
      c.get("log").decision = "shadow";
      c.get("log").ruleIds.push(`shadow.${err.code}${err.param === null ? "" : `:${err.param}`}`);
    };
    if (route !== "healthz" && !(plan.routes as readonly string[]).includes(route)) {
      refuse(new GatewayError("route_not_allowed", { detail: `plan ${identity.plan} lacks route ${route}` }));
    }
    const op = c.get("objectOp")?.op;
    if (op !== undefined) {
      // Scopes belong to the credential, like `admin`: never shadowed (docs/training-data.md).
      const scopes = requiredScopes(op, op === "file.upload" ? c.get("upload").purpose : undefined);
      if (!scopes.some((s) => identity.scopes.includes(s))) throw new GatewayError("insufficient_scope", { detail: `missing scope ${scopes.join(" or ")}` });
      // The base model of a fine-tuning job is a model like any other: the plan's lists apply.
      if (op === "job.create" && !modelAllowed(rules, { plan, tenant: identity.tenant, own: identity.models }, String(c.get("body").model))) {
        refuse(new GatewayError("model_not_allowed", { param: "model", detail: "fine-tuning base model not in plan/tenant/key list" }));
      }
      return next();
    }
    if (!isApiRoute(route)) return next();

    const model = String(c.get("body").model);
    // A model no provider serves is "not found" for everyone; one that exists but is not
    // this client's is "not allowed" (the identity issue asks for the distinction).
    if (providerChain(getConfig(c.env), model).length === 0) throw new GatewayError("model_not_found", { param: "model", detail: "no provider serves this model" });
    if (!modelAllowed(rules, { plan, tenant: identity.tenant, own: identity.models }, model)) {
      refuse(new GatewayError("model_not_allowed", { param: "model", detail: `model not in plan/tenant/key list` }));
    }

    let outcome: ReturnType<typeof applyParamPolicy>;
    try {
      outcome = applyParamPolicy(route, c.get("body"), plan.params);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      refuse(err);
      outcome = { body: c.get("body"), changes: [], logprobsStripped: false };
    }
    if (shadow && outcome.changes.length > 0) {
      for (const change of outcome.changes) c.get("log").ruleIds.push(`shadow.policy.${change}`);
      c.get("log").decision = "shadow";
      outcome = { body: c.get("body"), changes: [], logprobsStripped: false };
    }
    c.set("body", outcome.body);
    for (const change of outcome.changes) c.get("log").ruleIds.push(`policy.${change}`);
    await next();
    if (outcome.logprobsStripped) c.res.headers.set(LOGPROBS_STRIPPED_HEADER, "logit_bias");
  };
}

/**
 * Requires a scope on the identity (admin endpoints). 403, never 401: the caller is known.
 * @example app.use("/admin/v1/*", requireScope("admin"))
 */
export function requireScope(scope: string): MiddlewareHandler<AppEnv> {
  return async function requireScopeStage(c, next) {
    assertScope(c.get("identity"), scope);
    await next();
  };
}

/** Throws `insufficient_scope` unless the identity holds `scope`. */
export function assertScope(identity: Identity, scope: string): void {
  if (!identity.scopes.includes(scope)) throw new GatewayError("insufficient_scope", { detail: `missing scope ${scope}` });
}
