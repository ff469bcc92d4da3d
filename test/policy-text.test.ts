/**
 * Policies travel to client objects as JSON text (src/admission/policy-text.ts): what the
 * object reads back must be exactly the policy the Worker holds, for every plan's limits
 * and probing policy.
 */
import { describe, expect, it } from "vitest";
import { policyText, readPolicy } from "../src/admission/policy-text";
import { DEFAULT_PROBE_POLICY, ProbePolicySchema } from "../src/extraction/score";
import { LimitsSchema } from "../src/quota/limits";
import { DEFAULT_RULES } from "../src/rules/defaults";
import { RulesDocumentSchema } from "../src/rules/schema";

const EVERY_LIMIT = LimitsSchema.parse({
  requests_per_second: { rate: 12.5, burst: 40 },
  requests_per_minute: 600,
  tokens_per_minute: 2_000_000,
  concurrent_streams: 3,
  daily_tokens: 1e12,
  monthly_tokens: 1e12,
  daily_spend_usd: 0.000001,
  monthly_spend_usd: 1e6,
  default_output_cap: 2048,
  allow_unpriced: true,
});

describe("policy text", () => {
  it("reads back exactly the policy it was made from", () => {
    const rules = RulesDocumentSchema.parse(DEFAULT_RULES);
    const policies: object[] = [EVERY_LIMIT, LimitsSchema.parse({}), DEFAULT_PROBE_POLICY, ProbePolicySchema.parse({ mode: "shadow", allow_clients: ["a", "b"] })];
    for (const plan of [rules.default_plan, ...Object.values(rules.plans)]) policies.push(plan.limits, plan.probing);
    for (const p of policies) expect(readPolicy(policyText(p))).toStrictEqual(p);
  });

  it("is made once per policy object, and equal policies in other objects give equal text", () => {
    expect(policyText(EVERY_LIMIT)).toBe(policyText(EVERY_LIMIT));
    const copy = structuredClone(EVERY_LIMIT);
    expect(policyText(copy)).toBe(policyText(EVERY_LIMIT));
    expect(policyText(LimitsSchema.parse({ requests_per_minute: 601 }))).not.toBe(policyText(LimitsSchema.parse({ requests_per_minute: 600 })));
  });

  it("two texts read back as two policies, each its own", () => {
    const a = LimitsSchema.parse({ requests_per_minute: 1 });
    const b = LimitsSchema.parse({ requests_per_minute: 2 });
    expect(readPolicy(policyText(a)).requests_per_minute).toBe(1);
    expect(readPolicy(policyText(b)).requests_per_minute).toBe(2);
    expect(readPolicy(policyText(a)).requests_per_minute).toBe(1);
  });
});
