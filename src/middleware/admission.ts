/**
 * Stage 7: admission. Exactly one RPC call to the client's Durable Object per request,
 * which answers for everything that must be exact about the client: API keys revoked since
 * KV last caught up, and every rate limit and budget of the client's plan at once (an
 * optional tenant-wide budget adds one call to the tenant's object; docs/limits.md).
 *
 * What a request reserves: estimated input tokens plus its output cap (max_tokens after the
 * plan's clamping, else the plan's default) times `n`. The settle stage replaces that with
 * actual usage after the response.
 *
 * Failure: an object that cannot answer is 503 unless the rules say `quota_failure_mode:
 * "open"`. Errors the runtime marks `.overloaded` are not retried (retrying feeds the
 * overload); errors marked `.retryable` are retried once with a fresh stub.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AdmitRequest, AdmitResult, ProbeVerdict } from "../admission/client-state";
import { policyText } from "../admission/policy-text";
import { requeueSettlements, sendSettlements, takeSettlements } from "../admission/settle-queue";
import { GatewayError, type ErrorCode } from "../errors";
import { getConfig, secretOf, type AppEnv } from "../env";
import { degradeRequest } from "../extraction/degrade";
import { extractProbeFeatures, type TemplateHint } from "../extraction/features";
import type { ProbePolicy } from "../extraction/score";
import { observationOf, type ProbeObservation } from "../extraction/state";
import { rateLimitHeaders } from "../quota/headers";
import { isMetered, LimitsSchema, priceFor, type Limits, type TenantBudget } from "../quota/limits";
import { estimateRequestTokens, outputCapOf } from "../quota/tokens";
import { isApiRoute, type ApiRoute } from "../routes";
import { planFor, tenantBudgetOf } from "../rules/schema";

interface DurableObjectErrorFlags {
  overloaded?: boolean;
  retryable?: boolean;
}

type Namespace = AppEnv["Bindings"]["CLIENT_STATE"];

/** Thrown when the object has not answered within the deadline. */
class AdmissionDeadline extends Error {}

/**
 * Waits for `call` at most `ms`. Past the deadline the call cannot be cancelled: `late` gets it,
 * so that a reservation it still makes can be released instead of being held and then charged.
 */
function withDeadline<T>(call: Promise<T>, ms: number, late: (call: Promise<T>) => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late(call);
      reject(new AdmissionDeadline());
    }, ms);
  });
  return Promise.race([call, deadline]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

export interface AdmitOptions {
  /** docs/configuration.md `admission_timeout_ms`. */
  deadlineMs: number;
  /** Keeps the release of a late reservation alive after the response (`waitUntil`). */
  waitUntil: (work: Promise<unknown>) => void;
}

/**
 * The admission call, carrying the settlements of earlier requests that wait for this object
 * (src/admission/settle-queue.ts). When the call fails they are put back and sent on their
 * own: the object may or may not have applied them, and settling twice changes nothing.
 */
export async function admitWithRetry(ns: Namespace, name: string, req: AdmitRequest, opts: AdmitOptions): Promise<AdmitResult> {
  const settles = takeSettlements(ns, name);
  try {
    return await admitOnce(ns, name, settles.length > 0 ? { ...req, settles } : req, opts);
  } catch (err) {
    if (settles.length > 0) {
      requeueSettlements(ns, name, settles);
      opts.waitUntil(sendSettlements(ns, name));
    }
    throw err;
  }
}

async function admitOnce(ns: Namespace, name: string, req: AdmitRequest, opts: AdmitOptions): Promise<AdmitResult> {
  for (let attempt = 0; ; attempt++) {
    const stub = ns.get(ns.idFromName(name));
    try {
      // The RPC stub's own promise type does not narrow to the union; the value is an AdmitResult.
      const call = stub.admit(req) as Promise<AdmitResult>;
      return await withDeadline(call, opts.deadlineMs, (late) => {
        const quota = req.quota;
        const release = late.then((r) => (r.ok && r.reservation !== undefined && quota !== undefined ? stub.settleMany([{ id: quota.request.id, outcome: { released: true }, limits: quota.limits, now: Date.now() }]) : undefined));
        opts.waitUntil(release.catch(() => {}));
      });
    } catch (err) {
      if (err instanceof AdmissionDeadline) throw new GatewayError("admission_unavailable", { detail: `client object did not answer within ${opts.deadlineMs} ms` });
      const flags = (typeof err === "object" && err !== null ? err : {}) as DurableObjectErrorFlags;
      if (flags.overloaded === true) throw new GatewayError("admission_unavailable", { detail: "client object overloaded" });
      if (flags.retryable === true && attempt === 0) continue;
      throw new GatewayError("admission_unavailable", { detail: `client object failed${flags.retryable === true ? " twice" : ""}` });
    }
  }
}

const REFUSAL_CODES: Record<Exclude<AdmitResult, { ok: true }>["reason"], ErrorCode> = {
  revoked: "invalid_api_key",
  probing: "probing_limited",
  rate_limited: "rate_limited",
  too_many_streams: "concurrency_limited",
  insufficient_quota: "insufficient_quota",
  exceeds_capacity: "request_exceeds_limit",
  unpriced_model: "model_not_priced",
};

function refusalError(result: Exclude<AdmitResult, { ok: true }>, scope: string): GatewayError {
  const code = REFUSAL_CODES[result.reason];
  if (result.reason === "revoked") {
    return new GatewayError(code, { detail: "api key revoked (client object)", headers: { "www-authenticate": 'Bearer realm="aigis", error="invalid_token"' } });
  }
  if (result.reason === "probing") {
    const retry = String(result.probe.retryAfterS ?? 1);
    return new GatewayError(code, { detail: `probing score ${result.probe.score.toFixed(3)}: ${result.probe.reasons.join(",")}`, headers: { "retry-after": retry } });
  }
  const headers = rateLimitHeaders(result.policies, { policy: result.policy, retryAfterMs: result.retryAfterMs });
  return new GatewayError(code, { detail: `${scope} ${result.reason}: ${result.policy}`, headers });
}

/**
 * Makes the forwarded output cap match what was reserved, so a plain response cannot run
 * past its reservation: lowered to the grant when a budget had less room, and set to the
 * plan's default when the client gave none but a token or spend limit depends on it.
 */
function capOutput(c: Context<AppEnv>, limits: Limits, granted: number | undefined, cap: number | undefined, n: number): void {
  const route = c.get("route");
  if (route === "embeddings" || !isApiRoute(route)) return;
  const metered = limits.tokens_per_minute !== undefined || limits.daily_tokens !== undefined || limits.monthly_tokens !== undefined || limits.daily_spend_usd !== undefined || limits.monthly_spend_usd !== undefined;
  if (!metered) return;
  const perChoice = Math.min(cap ?? limits.default_output_cap, granted === undefined ? Infinity : Math.max(1, Math.floor(granted / n)));
  if (cap !== undefined && perChoice >= cap) return;
  const field = route === "responses" ? "max_output_tokens" : route === "chat" && c.get("body").max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
  c.set("body", { ...c.get("body"), [field]: perChoice });
}

/** Tenant budgets as engine limits, built once per rules document (its objects live as long as it is cached). */
const tenantLimitsCache = new WeakMap<object, Limits>();
function tenantLimitsOf(budget: TenantBudget, allowUnpriced: boolean): Limits {
  let l = tenantLimitsCache.get(budget);
  if (l === undefined || l.allow_unpriced !== allowUnpriced) {
    l = LimitsSchema.parse({ ...budget, allow_unpriced: allowUnpriced });
    tenantLimitsCache.set(budget, l);
  }
  return l;
}

/**
 * The admission clock. `npm run simulate:extraction` replays days of traffic in minutes, so
 * its gateway (and only it: the binding is set by the simulator, never in wrangler.toml)
 * has `AIGIS_SIM_CLOCK = "header"` and takes the time from `x-aigis-sim-now` (ms).
 */
function clockOf(c: Context<AppEnv>): number {
  if (secretOf(c.env, "AIGIS_SIM_CLOCK") === "header") {
    const t = Number(c.req.header("x-aigis-sim-now"));
    if (Number.isSafeInteger(t) && t > 0) return t;
  }
  return Date.now();
}

/** The Worker secret probe fingerprints are keyed with (`wrangler secret put AIGIS_PROBE_KEY`). */
export const PROBE_KEY_SECRET = "AIGIS_PROBE_KEY";

/** A plan's probing policy with `allow_listed` set, one object per plan policy (so its text is made once). */
const allowListed = new WeakMap<ProbePolicy, ProbePolicy>();
function allowListedPolicy(policy: ProbePolicy): ProbePolicy {
  let listed = allowListed.get(policy);
  if (listed === undefined) allowListed.set(policy, (listed = { ...policy, allow_listed: true }));
  return listed;
}

/**
 * The template each client's object last reported, per isolate, so the next request can be
 * fingerprinted without it (src/extraction/features.ts). Lengths and hashes only. A fresh
 * isolate starts without it; the object then ignores that one fingerprint.
 */
const templates = new Map<string, TemplateHint | null>();
const TEMPLATE_CACHE = 4096;

function rememberTemplate(clientId: string, hint: TemplateHint | null): void {
  if (templates.size >= TEMPLATE_CACHE && !templates.has(clientId)) templates.delete(templates.keys().next().value!);
  templates.set(clientId, hint);
}

/** The request's probing observation, computed here so it travels in the admission call. */
function probeObservation(c: Context<AppEnv>, key: string): ProbeObservation {
  return observationOf(extractProbeFeatures(c.get("route") as ApiRoute, c.get("body"), { fingerprintKey: key, template: templates.get(c.get("identity").clientId) ?? undefined }));
}

/**
 * Applies the probing verdict of an admitted request: `degrade` rewrites the body, `slow`
 * waits `slow_ms` and degrades. In shadow mode only the record is kept.
 */
async function applyProbe(c: Context<AppEnv>, verdict: ProbeVerdict, policy: ProbePolicy): Promise<void> {
  const shadow = policy.mode === "shadow";
  c.get("log").probe = { action: verdict.action, shadow, score: Math.round(verdict.score * 1000) / 1000, reasons: verdict.reasons.join(",") };
  if (verdict.action === "allow") return;
  if (shadow) {
    c.get("log").decision = "shadow";
    c.get("log").ruleIds.push(`shadow.probing.${verdict.action}`);
    return;
  }
  c.get("log").decision = "throttle";
  c.get("log").ruleIds.push(`probing.${verdict.action}`);
  if (verdict.action === "slow" && policy.slow_ms > 0) await new Promise((resolve) => setTimeout(resolve, policy.slow_ms));
  const { body } = degradeRequest(c.get("route") as ApiRoute, c.get("body"), policy.degrade);
  c.set("body", body);
  c.set("probeDegrade", policy.degrade);
}

/**
 * @example app.use("/v1/*", admission())
 */
export function admission(): MiddlewareHandler<AppEnv> {
  return async function admissionStage(c, next) {
    const identity = c.get("identity");
    const route = c.get("route");
    const rules = c.get("rules").doc;
    const now = clockOf(c);
    const req: AdmitRequest = { keyHash: identity.keyHash ?? "", now };
    const plan = planFor(rules, identity.plan);
    const limits = plan.limits;
    let cap: number | undefined;
    let n = 1;
    const tenantBudget = tenantBudgetOf(rules, identity.tenant);
    // Nothing to enforce, nothing to reserve or settle: the call checks revocation only.
    if (isApiRoute(route) && isMetered(limits, tenantBudget)) {
      const body = c.get("body");
      cap = outputCapOf(route, body);
      const outputCap = route === "embeddings" ? 0 : (cap ?? limits.default_output_cap);
      // Legacy completions generate `best_of` candidates server-side and bill them all.
      n = Math.max(typeof body.n === "number" ? body.n : 1, typeof body.best_of === "number" ? body.best_of : 1);
      const model = String(body.model);
      const request = { id: c.get("requestId"), model, inputTokens: estimateRequestTokens(route, body), outputCap, n, stream: body.stream === true };
      // Only the model's own price travels: the call is serialised on both sides, and a
      // deployment's whole price table can be many times the rest of the request.
      const price = priceFor(rules.prices, model);
      req.quota = { limits: policyText(limits), prices: price === undefined ? {} : { [model]: price }, request };
    }

    const probing = plan.probing;
    let probePolicy: ProbePolicy | undefined;
    if (probing.enabled && isApiRoute(route)) {
      const key = secretOf(c.env, PROBE_KEY_SECRET);
      // Fails closed: unkeyed fingerprints could be compared across deployments and forged.
      if (key === undefined) throw new GatewayError("config_invalid", { detail: `probing is enabled but the ${PROBE_KEY_SECRET} secret is missing` });
      const allowListed = probing.allow_listed || probing.allow_clients.includes(identity.clientId);
      probePolicy = allowListed && !probing.allow_listed ? allowListedPolicy(probing) : probing;
      req.probe = { obs: probeObservation(c, key), policy: policyText(probePolicy), requestId: c.get("requestId") };
    }

    const admitOptions: AdmitOptions = { deadlineMs: getConfig(c.env).admission_timeout_ms, waitUntil: (work) => c.executionCtx.waitUntil(work) };
    let result: AdmitResult;
    try {
      result = await admitWithRetry(c.env.CLIENT_STATE, identity.clientId, req, admitOptions);
    } catch (err) {
      if (rules.quota_failure_mode === "open" && err instanceof GatewayError) {
        // The operator chose availability over exactness: admitted unmetered, and recorded.
        c.get("log").ruleIds.push("quota.fail_open");
        return next();
      }
      throw err;
    }
    if (!result.ok && result.reason === "probing") {
      rememberTemplate(identity.clientId, result.probe.template);
      c.get("log").probe = { action: "deny", shadow: false, score: Math.round(result.probe.score * 1000) / 1000, reasons: result.probe.reasons.join(",") };
      c.get("log").ruleIds.push("probing.deny");
      throw refusalError(result, "client");
    }
    if (!result.ok) {
      const err = refusalError(result, "client");
      // Shadow limits: record what would have been refused; the request goes on unmetered
      // (the refused admission changed nothing in the object). Revocation is never shadowed.
      if (result.reason === "revoked" || plan.mode.limits !== "shadow") throw err;
      c.get("log").decision = "shadow";
      c.get("log").ruleIds.push(`shadow.${err.code}`);
      return next();
    }

    let tenantLimits: Limits | undefined;
    if (tenantBudget !== undefined && req.quota !== undefined) {
      tenantLimits = tenantLimitsOf(tenantBudget, limits.allow_unpriced);
      // The client's reservation must not leak when the tenant refuses or its object fails:
      // released unless the tenant admits.
      c.set("reservation", { clientId: identity.clientId, tenant: identity.tenant, limits, granted: undefined, tenantLimits: undefined, released: true, inputEstimate: 0 });
      const tenant = await admitWithRetry(c.env.CLIENT_STATE, `tenant:${identity.tenant}`, { keyHash: "", now, quota: { ...req.quota, limits: policyText(tenantLimits) } }, admitOptions);
      if (!tenant.ok) {
        const err = refusalError(tenant, "tenant");
        if (plan.mode.limits !== "shadow") throw err;
        c.get("log").decision = "shadow";
        c.get("log").ruleIds.push(`shadow.tenant.${err.code}`);
        return next();
      }
    }

    if (result.probe !== undefined && probePolicy !== undefined) {
      rememberTemplate(identity.clientId, result.probe.template);
      await applyProbe(c, result.probe, probePolicy);
    }

    if (result.reservation !== undefined) {
      const granted = result.reservation.grantedOutputTokens;
      capOutput(c, limits, granted, cap, n);
      c.set("reservation", { clientId: identity.clientId, tenant: identity.tenant, limits, granted, tenantLimits, released: false, inputEstimate: req.quota?.request.inputTokens ?? 0 });
    }
    await next();
    const probe = c.get("log").probe;
    // Honest about throttling: an SDK user can see why logprobs got coarser.
    if (probe !== undefined && !probe.shadow && probe.action !== "allow") c.res.headers.set("x-aigis-probing", probe.action);
    if (result.policies !== undefined && result.policies.length > 0) {
      for (const [name, value] of Object.entries(rateLimitHeaders(result.policies))) c.res.headers.set(name, value);
    }
  };
}
