/**
 * Limits and budgets as the rules document states them. These zod schemas are the single
 * source of truth: the rules document embeds them, the engine reads their `z.infer` types,
 * and `npm run rules:schema` turns their `.describe()` texts into editor help.
 *
 * Two kinds of limit:
 * - rates (requests per second and minute, tokens per minute, concurrent streams) smooth
 *   traffic; exceeding one is `rate_limited` and worth retrying in a moment;
 * - budgets (tokens and USD per UTC day and month) cap consumption; exceeding one is
 *   `insufficient_quota`, not worth retrying before the window resets.
 */
import { z } from "zod";
import { matchesModel } from "../policy/models";

const Count = (max: number) => z.number().int().min(1).max(max);
const Tokens = z.number().int().min(0).max(1e12);
/** USD amounts are kept in integer nano-dollars, so they must stay below 2^53 of those. */
const Usd = z.number().min(0).max(1_000_000);

/**
 * Rates are token buckets, not fixed windows: a fixed "60 per minute" window lets a client
 * send 60 at 12:00:59.9 and 60 more at 12:01:00.0, twice the limit within a second. A bucket
 * of capacity N refilling N per minute never admits more than N in any 60 seconds plus what
 * refilled meanwhile, and tells a client exactly when the next request fits.
 */
export const LimitsSchema = z
  .strictObject({
    requests_per_second: z
      .strictObject({
        rate: z
          .number()
          .min(0.001)
          .max(100_000)
          .refine((r) => Math.abs(r * 1000 - Math.round(r * 1000)) < 1e-6, "at most three decimals")
          .describe("Sustained requests per second (e.g. 0.5 is one request every two seconds)."),
        burst: Count(1_000_000).optional().describe("Requests that may arrive at once; default: the rate rounded up."),
      })
      .optional()
      .describe("Token bucket over requests: holds `burst`, refills `rate` per second."),
    requests_per_minute: Count(1e9).optional().describe("Token bucket over requests: holds N, refills N per minute (no double burst at minute edges)."),
    tokens_per_minute: Count(1e10).optional().describe("Token bucket over tokens (input + reserved output): holds N, refills N per minute."),
    concurrent_streams: Count(100_000).optional().describe("Streaming responses open at once."),
    daily_tokens: Tokens.optional().describe("Tokens per UTC calendar day."),
    monthly_tokens: Tokens.optional().describe("Tokens per UTC calendar month."),
    daily_spend_usd: Usd.optional().describe("USD per UTC calendar day, priced with the price table."),
    monthly_spend_usd: Usd.optional().describe("USD per UTC calendar month, priced with the price table."),
    default_output_cap: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(4096)
      .describe("Output tokens reserved per choice when a request sets no max_tokens."),
    allow_unpriced: z
      .boolean()
      .default(false)
      .describe("Admit models missing from the price table even when a spend budget is set (their spend is not counted)."),
  })
  .describe("Per-plan rate limits and budgets. Every limit is optional; an absent one does not apply.");
export type Limits = z.infer<typeof LimitsSchema>;

/** Whether any limit or budget is configured; with none, admission reserves nothing. */
export function hasLimits(l: Limits): boolean {
  return (
    l.requests_per_second !== undefined ||
    l.requests_per_minute !== undefined ||
    l.tokens_per_minute !== undefined ||
    l.concurrent_streams !== undefined ||
    l.daily_tokens !== undefined ||
    l.monthly_tokens !== undefined ||
    l.daily_spend_usd !== undefined ||
    l.monthly_spend_usd !== undefined
  );
}

/** Whether admission meters a client at all: with no limit on its plan and no tenant budget, nothing is reserved or counted. */
export function isMetered(limits: Limits, tenantBudget: TenantBudget | undefined): boolean {
  return hasLimits(limits) || tenantBudget !== undefined;
}

/**
 * A tenant's budget over all its clients. The same engine can enforce it (in one Durable
 * Object per tenant): it is a subset of `LimitsSchema`, so
 * `LimitsSchema.parse({ ...budget, allow_unpriced })` gives the Limits `admit` takes.
 */
export const TenantBudgetSchema = LimitsSchema.pick({ daily_spend_usd: true, monthly_spend_usd: true, daily_tokens: true, monthly_tokens: true }).describe(
  "Budgets shared by all clients of a tenant, on top of each client's own limits.",
);
export type TenantBudget = z.infer<typeof TenantBudgetSchema>;

export const ModelPriceSchema = z.strictObject({
  input_per_mtok: z.number().min(0).max(10_000).describe("USD per million input tokens."),
  output_per_mtok: z.number().min(0).max(10_000).describe("USD per million output tokens."),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/**
 * USD per million tokens by model: an exact name, or `prefix*` (dated snapshots such as
 * `gpt-4o-2024-08-06` match `gpt-4o*`). The exact name wins, then the longest prefix.
 */
export const PriceTableSchema = z
  .record(z.string().min(1).max(128), ModelPriceSchema)
  .default({})
  .describe("Prices for spend budgets. A model without a price is refused by plans that have a spend budget, unless the plan sets allow_unpriced.");
export type PriceTable = z.infer<typeof PriceTableSchema>;

/**
 * What the gateway does when the client's Durable Object cannot answer. `closed` (the
 * default) refuses the request with 503: an outage must not turn into unlimited spend.
 * `open` admits it unmetered, for operators who value availability over exact limits.
 */
export const QuotaFailureModeSchema = z
  .enum(["closed", "open"])
  .default("closed")
  .describe("When the client's quota object cannot answer: closed refuses with 503, open admits unmetered.");
export type QuotaFailureMode = z.infer<typeof QuotaFailureModeSchema>;

/**
 * The price of `model`, or undefined when the table has none.
 *
 * @example priceFor({ "gpt-4o*": { input_per_mtok: 2.5, output_per_mtok: 10 } }, "gpt-4o-2024-08-06")
 */
export function priceFor(table: PriceTable, model: string): ModelPrice | undefined {
  if (Object.hasOwn(table, model) && !model.endsWith("*")) return table[model];
  let best: string | undefined;
  for (const pattern of Object.keys(table)) {
    if (pattern.endsWith("*") && matchesModel(pattern, model) && (best === undefined || pattern.length > best.length)) best = pattern;
  }
  return best === undefined ? undefined : table[best];
}
