/**
 * The rules document: the operator's policy, versioned and pushed to KV (docs/rules.md).
 * This zod schema is the single source of truth: the Worker validates with it, the CLI
 * validates with it, and `npm run rules:schema` writes rules/schema.json for editors.
 * Later stages add sections here; every addition needs a default so old documents stay valid.
 */
import { IntakePolicySchema } from "../intake/policy";
import { z } from "zod";
import { FirewallPolicySchema } from "../firewall/policy";
import { ProbePolicySchema } from "../extraction/score";
import { OutputPolicySchema } from "../protect/policy";
import { LimitsSchema, PriceTableSchema, QuotaFailureModeSchema, TenantBudgetSchema, type TenantBudget } from "../quota/limits";

export const UnknownFieldPolicySchema = z
  .enum(["reject", "strip", "pass"])
  .describe("What happens to request fields the gateway does not know: reject (400 naming the field), strip (drop), pass (forward unchanged).");

const Toggle = z.enum(["allow", "strip", "reject"]);
const Cap = (max: number, action: "clamp" | "reject") =>
  z.strictObject({ max: z.number().int().min(0), action: z.enum(["clamp", "reject"]).default(action) }).default({ max, action });

/**
 * What a plan may send. `strip` removes the field before forwarding, `reject` answers 403
 * `parameter_not_allowed` naming it, `clamp` lowers a number to the cap. docs/auth.md
 * explains each default.
 */
export const ParamPolicySchema = z.strictObject({
  /** Caps max_tokens, max_completion_tokens and max_output_tokens alike. */
  max_output_tokens: Cap(16_384, "clamp"),
  n: Cap(8, "reject"),
  best_of: Cap(8, "reject"),
  logprobs: Toggle.default("allow"),
  /** Chat/responses `top_logprobs`; also the legacy completions integer `logprobs`. */
  top_logprobs: Cap(5, "clamp"),
  logit_bias: Toggle.default("allow"),
  /**
   * logit_bias and logprobs together let a client read the model's logits one token at a
   * time and recover its output projection (Carlini et al. 2024, "Stealing Part of a
   * Production Language Model"; OWASP LLM10:2025). By default the logprobs are stripped and
   * the response says so in `x-aigis-logprobs-stripped`.
   */
  logit_bias_with_logprobs: z.enum(["strip_logprobs", "reject", "allow"]).default("strip_logprobs"),
  /** Legacy completions `echo` returns the prompt (with logprobs: the prompt's logprobs). */
  echo: Toggle.default("reject"),
  tools: Toggle.default("allow"),
  /**
   * Tool types a plan may send while `tools` is allowed, exact or `prefix*`; `*` is every type.
   * `function` and `custom` run in the client's code; the others run at the provider (web
   * search, code execution, computer use, shell). Chat `web_search_options` counts as `web_search`.
   */
  tool_types: z.array(z.string().regex(/^[a-z0-9_]{1,64}\*?$|^\*$/)).default(["*"]),
  /**
   * Remote MCP servers a plan may name in a Responses `mcp` tool: host names, exact or
   * `*.example.com`, reached over https only; connectors as `connector:<id>`. Empty (the
   * default) refuses every `mcp` tool: the provider would send the server whatever the model
   * decides to, from the shared account (OWASP API7:2023, LLM06:2025).
   */
  mcp_servers: z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]{1,253}$|^connector:[A-Za-z0-9_-]{1,128}$/)).default([]),
  /**
   * Vector stores a plan may search with `file_search` (exact ids). Stores live in the shared
   * provider account and no route here creates one, so none belongs to a client: the operator
   * lists those a plan may read. Empty (the default) refuses `file_search` (OWASP API1:2023).
   */
  vector_stores: z.array(z.string().min(1).max(128)).default([]),
  /**
   * `store` keeps the request and answer at the provider under the shared account: `allow`,
   * `off` (forward `store: false` on chat and Responses, whatever the client sent; Responses
   * stores by default when the field is absent), or `reject` (403 on an explicit `store: true`).
   */
  store: z.enum(["allow", "off", "reject"]).default("allow"),
  stream: z.enum(["allow", "reject"]).default("allow"),
  temperature: z
    .strictObject({ min: z.number().min(0).max(2).default(0), max: z.number().min(0).max(2).default(2), action: z.enum(["clamp", "reject"]).default("clamp") })
    .default({ min: 0, max: 2, action: "clamp" }),
  /** Token-id arrays in `prompt` or embeddings `input` cannot be scanned by the firewall. */
  token_arrays: z.enum(["allow", "reject"]).default("reject"),
});
export type ParamPolicy = z.infer<typeof ParamPolicySchema>;

/** Files and fine-tuning also need the `files` or `fine_tune` scope on the credential (docs/training-data.md). */
export const ROUTE_NAMES = ["chat", "responses", "embeddings", "completions", "models", "usage", "files", "fine_tuning"] as const;

export const PlanSchema = z.strictObject({
  unknown_fields: UnknownFieldPolicySchema.default("reject"),
  /** Model names or `prefix*` patterns this plan may use; `*` is every configured model. */
  models: z.array(z.string().min(1).max(128)).default(["*"]),
  routes: z.array(z.enum(ROUTE_NAMES)).default([...ROUTE_NAMES]),
  params: ParamPolicySchema.default(ParamPolicySchema.parse({})),
  /** Rate limits and budgets per client of this plan (docs/limits.md). */
  limits: LimitsSchema.default(LimitsSchema.parse({})),
  /** The prompt firewall: detection thresholds and actions (docs/firewall.md). */
  firewall: FirewallPolicySchema,
  /** Response protection: leaks, exfiltration links, placeholder restoring (docs/firewall.md). */
  output: OutputPolicySchema,
  /** Extraction defence: probe budget, probing score and graduated actions (docs/extraction-defence.md). */
  probing: ProbePolicySchema,
  /** Training-data intake: the scan of fine-tuning files before they are forwarded (docs/training-data.md). */
  intake: IntakePolicySchema,
  /**
   * `enforce` (default) or `shadow`, separately for the access policy (routes, models,
   * parameters) and for the limits: in shadow mode a refusal is recorded (analytics
   * decision `shadow`, rule id `shadow.<code>`) and the request goes on unchanged.
   */
  mode: z
    .strictObject({ policy: z.enum(["enforce", "shadow"]).default("enforce"), limits: z.enum(["enforce", "shadow"]).default("enforce") })
    .prefault({}),
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
  default_plan: PlanSchema.default(PlanSchema.parse({})),
  /**
   * Per-tenant restrictions on top of the plan: a tenant's clients reach only these models.
   * A tenant not listed here is limited by its plans alone.
   */
  tenants: z
    .record(
      z.string().min(1).max(96),
      z.strictObject({
        models: z.array(z.string().min(1).max(128)).optional(),
        /** A budget shared by all clients of the tenant: one more Durable Object call per request. */
        budget: TenantBudgetSchema.optional(),
      }),
    )
    .default({}),
  /** USD per million tokens, per model (exact name or `prefix*`), for spend budgets. */
  prices: PriceTableSchema.default({}),
  /** What happens when a client's Durable Object cannot answer: `closed` (503) or `open` (admit unmetered). */
  quota_failure_mode: QuotaFailureModeSchema,
});
export type RulesDocument = z.infer<typeof RulesDocumentSchema>;

/** Input type (before defaults), what operators write. */
export type RulesDocumentInput = z.input<typeof RulesDocumentSchema>;

export function planFor(doc: RulesDocument, plan: string): Plan {
  return Object.hasOwn(doc.plans, plan) ? (doc.plans[plan] as Plan) : doc.default_plan;
}

/** The tenant's shared budget, when the document gives it one. */
export function tenantBudgetOf(doc: RulesDocument, tenant: string): TenantBudget | undefined {
  return Object.hasOwn(doc.tenants, tenant) ? doc.tenants[tenant]?.budget : undefined;
}
