/**
 * The rules document: the operator's policy, versioned and pushed to KV (docs/rules.md).
 * This zod schema is the single source of truth: the Worker validates with it, the CLI
 * validates with it, and `npm run rules:schema` writes rules/schema.json for editors.
 * Later stages add sections here; every addition needs a default so old documents stay valid.
 */
import { z } from "zod";

export const UnknownFieldPolicySchema = z
  .enum(["reject", "strip", "pass"])
  .describe("What happens to request fields the gateway does not know: reject (400 naming the field), strip (drop), pass (forward unchanged).");

export const PlanSchema = z.strictObject({
  unknown_fields: UnknownFieldPolicySchema.default("reject"),
});
export type Plan = z.infer<typeof PlanSchema>;

export const RulesDocumentSchema = z.strictObject({
  $schema: z.string().optional(),
  schema_version: z.literal(1),
  /** Operator-chosen id of this version, e.g. "2026-11-28.1"; appears in every analytics data point. */
  version: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/),
  description: z.string().max(2000).optional(),
  /** Policy per plan name (an API key or token names its plan). */
  plans: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), PlanSchema).default({}),
  /** Applies to a plan that is not listed in `plans`. */
  default_plan: PlanSchema.default({ unknown_fields: "reject" }),
});
export type RulesDocument = z.infer<typeof RulesDocumentSchema>;

/** Input type (before defaults), what operators write. */
export type RulesDocumentInput = z.input<typeof RulesDocumentSchema>;

export function planFor(doc: RulesDocument, plan: string): Plan {
  return Object.hasOwn(doc.plans, plan) ? (doc.plans[plan] as Plan) : doc.default_plan;
}
