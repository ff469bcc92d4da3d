/**
 * Which models a client may reach: the plan's list, narrowed by the tenant's list and the
 * key's own list when they exist. Pure, so `GET /v1/models` and the authorise stage agree.
 */
import type { Plan, RulesDocument } from "../rules/schema";

export function matchesModel(pattern: string, model: string): boolean {
  if (pattern === "*") return true;
  return pattern.endsWith("*") ? model.startsWith(pattern.slice(0, -1)) : pattern === model;
}

export interface ModelScope {
  plan: Plan;
  tenant: string;
  /** The key's or token's own model list, if it has one. */
  own: readonly string[] | undefined;
}

export function modelAllowed(rules: RulesDocument, scope: ModelScope, model: string): boolean {
  if (!scope.plan.models.some((p) => matchesModel(p, model))) return false;
  const tenant = Object.hasOwn(rules.tenants, scope.tenant) ? rules.tenants[scope.tenant] : undefined;
  if (tenant?.models !== undefined && !tenant.models.some((p) => matchesModel(p, model))) return false;
  if (scope.own !== undefined && !scope.own.some((p) => matchesModel(p, model))) return false;
  return true;
}
