/**
 * Which requests the audit trail records, and what it records of them, pure: every security
 * decision that is not a plain allow (block, redact, flag, shadow, throttle, deny, auth
 * failure, fail-closed refusal), as an `AuditEvent` built from the request's analytics log.
 * Numbers, names and ids only: the prompt enters as a keyed hash (`promptMac`), never as text.
 */
import type { RequestLog } from "../analytics/record";
import type { AuditEvent } from "./writer";

/** Error codes that are security decisions, with the action recorded for them. */
const AUDITED_ERRORS: Readonly<Record<string, string>> = {
  invalid_api_key: "auth_failure",
  auth_rate_limited: "auth_throttled",
  insufficient_scope: "deny",
  csrf_rejected: "deny",
  model_not_allowed: "deny",
  parameter_not_allowed: "deny",
  route_not_allowed: "deny",
  model_not_priced: "deny",
  image_url_not_allowed: "block",
  prompt_blocked: "block",
  response_blocked: "block",
  rate_limited: "throttle",
  concurrency_limited: "throttle",
  insufficient_quota: "throttle",
  request_exceeds_limit: "throttle",
  probing_limited: "deny",
  // The gateway refused to run unchecked.
  auth_unavailable: "fail_closed",
  admission_unavailable: "fail_closed",
  rules_unavailable: "fail_closed",
  config_invalid: "fail_closed",
  dashboard_not_configured: "fail_closed",
};

/** Decisions other than allow and error that the pipeline records on the log. */
const AUDITED_DECISIONS = new Set(["block", "flag", "redact", "shadow", "throttle"]);

/** The action to record for a finished request, or undefined when it is not a security event. */
export function auditAction(log: RequestLog): string | undefined {
  const byError = AUDITED_ERRORS[log.errorCode];
  if (byError !== undefined) return byError;
  if (AUDITED_DECISIONS.has(log.decision)) {
    // The extraction defence's throttle is a degrade or a slow-down: say which.
    if (log.decision === "throttle" && log.probe !== undefined && log.probe.action !== "allow") return log.probe.action;
    return log.decision;
  }
  // An allowed request on which a rule still fired (a fail-open, a logged finding).
  if (log.ruleIds.length > 0 && log.errorCode === "") return "allow_flagged";
  return undefined;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Detail values are clipped: one odd value must not make a record large. */
const clip = (s: string, n = 200): string => (s.length > n ? s.slice(0, n) : s);

/** The event for a finished request, or undefined when the request is not audited. */
export function decisionEvent(log: RequestLog, promptMac: string | null, at: number): AuditEvent | undefined {
  const action = auditAction(log);
  if (action === undefined) return undefined;
  const detail: AuditEvent["detail"] = {
    request_id: log.requestId,
    status: log.status,
    route: log.route,
    method: log.method,
  };
  if (log.model !== "") detail.model = clip(log.model);
  if (log.errorCode !== "") detail.error_code = log.errorCode;
  if (log.ruleIds.length > 1) detail.rule_ids = clip(log.ruleIds.join(","), 500);
  if (log.firewall !== undefined) {
    detail.injection = round3(log.firewall.injection);
    detail.jailbreak = round3(log.firewall.jailbreak);
    if (log.firewall.entityTypes !== "") detail.entity_types = clip(log.firewall.entityTypes);
  }
  if (log.output !== undefined && log.output.findings > 0) detail.output = clip(log.output.summary);
  if (log.probe !== undefined && log.probe.action !== "allow") {
    detail.probe_score = round3(log.probe.score);
    detail.probe_reasons = clip(log.probe.reasons);
  }
  return {
    at,
    kind: "decision",
    client: log.clientId,
    tenant: log.tenant,
    rule: clip(log.ruleIds[0] ?? log.errorCode, 128),
    rulesVersion: log.rulesVersion,
    action,
    promptMac,
    detail,
  };
}
