/**
 * The probing score: policy, the per-signal components and how they combine. Pure maths
 * over numbers that ./state.ts keeps; nothing here reads a clock or keeps state.
 *
 * Each component is in [0, 1] and explains one published attack:
 * - `bias`: distinct logit-biased token ids in a sliding window. Recovering a model's final
 *   projection needs biases on thousands of distinct ids (Carlini et al. 2024, "Stealing
 *   part of a production language model"); label-token classification reuses a handful.
 * - `near_duplicates`: share of queries within a few bits of an earlier one (Blacklight,
 *   Li et al. 2022, counts such matches over quantised hashes).
 * - `drift`: how much more of the client's nearest-neighbour distance mass sits at small
 *   distances than unrelated queries would put there (PRADA, Juuti et al. 2019, tests the
 *   shape of that distribution; a one-sided CDF gap is the bounded, explainable version).
 * - `single_token_logprobs`: share of requests asking one token with logprobs.
 * - `extraction`, `repetition`: system-prompt extraction phrasing, and divergence prompts
 *   that make models emit training data (Nasr et al. 2023).
 *
 * They combine as a noisy-OR with weights: score = 1 − Π(1 − wᵢ·cᵢ). A weight is the most
 * that signal can reach alone, so "a bias sweep alone can deny, near-duplicates alone can
 * only slow" is read straight off the weights, and independent signals reinforce each other.
 */
import { z } from "zod";

const Unit = z.number().min(0).max(1);
const Weight = (d: number) => Unit.default(d);

export const ProbePolicySchema = z
  .strictObject({
    /** Off: no features are taken and nothing is kept for the plan's clients. */
    enabled: z.boolean().default(true),
    /** `shadow`: every action is recorded (analytics, audit) and none is applied. */
    mode: z.enum(["enforce", "shadow"]).default("enforce"),
    /** An evaluation workload: always `allow`, the score is still computed and reported. */
    allow_listed: z.boolean().default(false),
    /** Client ids allow-listed individually (evaluation harnesses on an ordinary plan). */
    allow_clients: z.array(z.string().min(1).max(256)).max(1000).default([]),
    /** What `slow` adds before the request is forwarded (it is degraded as well). */
    slow_ms: z.int().min(0).max(30_000).default(3000),
    /** What `degrade` does to the request and its response (src/extraction/degrade.ts). */
    degrade: z
      .strictObject({
        /** top_logprobs (chat, responses) and the legacy integer `logprobs` are capped at this. */
        top_logprobs: z.int().min(0).max(20).default(1),
        /** Logprobs in the answer are rounded to this many decimals (0.1 nat by default). */
        logprob_decimals: z.int().min(0).max(6).default(1),
        /** logit_bias keeps at most this many entries (lowest ids first), each clamped to ±max_bias. */
        logit_bias_tokens: z.int().min(0).max(300).default(8),
        max_bias: z.number().min(0).max(100).default(5),
        /** Embedding vectors are rounded to 8-bit steps of their largest component. */
        embeddings_int8: z.boolean().default(true),
      })
      .prefault({}),
    /** Half-life of every decaying counter and of the distance histogram. */
    half_life_s: z.int().min(60).max(7 * 86_400).default(7200),
    /** Biased token ids are remembered for between half this and this long (two generations). */
    bias_window_s: z.int().min(120).max(7 * 86_400).default(14_400),
    /** Decayed observations a share-based component needs before it counts in full. */
    min_observations: z.int().min(1).max(10_000).default(30),
    /** A query at most this many bits from an earlier one is a near-duplicate. */
    near_bits: z.int().min(1).max(32).default(6),
    /** An exact duplicate this soon after the original is a retry, not a probe. */
    retry_window_s: z.int().min(0).max(86_400).default(120),
    /** Real text is closer than random 64-bit values: the reference is shifted by this much. */
    drift_slack_bits: z.int().min(0).max(32).default(6),
    /** Consecutive observations above a higher threshold before the action escalates (≥ 2 keeps retryAfterS honest). */
    sustain: z.int().min(2).max(1000).default(5),
    /** A level is left when the score falls this far below the threshold that entered it. */
    hysteresis: z.number().min(0).max(0.5).default(0.1),
    thresholds: z
      .strictObject({ degrade: Weight(0.5), slow: Weight(0.7), deny: Weight(0.85) })
      .prefault({})
      .refine((t) => t.degrade <= t.slow && t.slow <= t.deny, "thresholds must be degrade ≤ slow ≤ deny"),
    weights: z
      .strictObject({
        bias: Weight(0.95),
        near_duplicates: Weight(0.6),
        drift: Weight(0.5),
        single_token_logprobs: Weight(0.4),
        extraction: Weight(0.9),
        repetition: Weight(0.9),
      })
      .prefault({}),
    /** Distinct biased ids: the component is 0 at `bias_low`, 1 at `bias_high`, log-linear between. */
    bias_low: z.int().min(1).max(4096).default(32),
    bias_high: z.int().min(2).max(20_000).default(2048),
    /** Decayed events at which the extraction / repetition component saturates. */
    event_saturation: z.number().min(1).max(1000).default(6),
    budget: z
      .strictObject({
        burst: z.int().min(1).max(1_000_000).default(2000),
        per_hour: z.int().min(1).max(1_000_000).default(1000),
        /** A bias set not seen recently costs one credit per this many biased ids. */
        bias_tokens_per_credit: z.int().min(1).max(1000).default(10),
        echo_logprobs: z.int().min(0).max(1000).default(1),
        /** Each choice beyond the first of a request with logprobs or logit_bias (`n`, `best_of`): more samples of the same distribution. */
        extra_choice: z.int().min(0).max(1000).default(1),
        /** 0 by default: RAG indexing is the most common heavy benign workload; inversion loops show up as near-duplicates. */
        per_embedding_input: z.int().min(0).max(1000).default(0),
      })
      .prefault({}),
  })
  .prefault({})
  .refine((p) => p.bias_low < p.bias_high, "bias_low must be below bias_high");
export type ProbePolicy = z.infer<typeof ProbePolicySchema>;

/** The policy with every default, what a plan without a `probing` section gets. */
export const DEFAULT_PROBE_POLICY: ProbePolicy = ProbePolicySchema.parse(undefined);

export type Component = keyof ProbePolicy["weights"];
export type Components = Record<Component, number>;

const clamp01 = (x: number): number => (x > 1 ? 1 : x > 0 ? x : 0);

/** Evidence factor: a share measured over few observations counts proportionally less. */
export const evidence = (count: number, min: number): number => clamp01(count / min);

/** Distinct biased ids → [0, 1], log-linear: 30 → 300 matters as much as 300 → 3000. */
export function biasComponent(distinct: number, p: ProbePolicy): number {
  if (distinct <= p.bias_low) return 0;
  return clamp01(Math.log(distinct / p.bias_low) / Math.log(p.bias_high / p.bias_low));
}

export const eventComponent = (count: number, p: ProbePolicy): number => clamp01(count / p.event_saturation);

// P(Bin(64, ½) ≤ d) for d = 0..64, computed once per isolate.
const BINOM_CDF: number[] = (() => {
  const out: number[] = [];
  let c = 1; // C(64, 0)
  let sum = 0;
  for (let d = 0; d <= 64; d++) {
    sum += c / 2 ** 64;
    out.push(Math.min(1, sum));
    c = (c * (64 - d)) / (d + 1);
  }
  return out;
})();

const refCache = new Map<number, number[]>();
/**
 * CDF of the nearest-neighbour distance of an unrelated (uniformly random) fingerprint to
 * `k` others: 1 − (1 − P(dist ≤ d))^k. Using the full ring makes the reference as close as
 * unrelated traffic ever gets, so a young client's larger distances never look like drift.
 */
export function referenceCdf(k: number): number[] {
  let ref = refCache.get(k);
  if (ref === undefined) {
    ref = BINOM_CDF.map((p) => 1 - (1 - p) ** k);
    refCache.set(k, ref);
  }
  return ref;
}

/**
 * One-sided Kolmogorov–Smirnov gap: the largest share of the client's nearest-neighbour
 * distances that fall at or below d beyond what unrelated queries would, with the reference
 * read `slack` bits further out. 0 for traffic as spread as unrelated text, 1 for a stream
 * whose every query sits next to an earlier one.
 */
export function driftGap(hist: readonly number[], ref: readonly number[], slack: number): number {
  let mass = 0;
  for (const h of hist) mass += h;
  if (mass <= 0) return 0;
  let cum = 0;
  let gap = 0;
  for (let d = 0; d < hist.length; d++) {
    cum += hist[d]!;
    const r = ref[Math.min(64, d + slack)]!;
    if (cum / mass - r > gap) gap = cum / mass - r;
  }
  return clamp01(gap);
}

/** Noisy-OR of the weighted components; see the file comment. */
export function combine(c: Components, w: ProbePolicy["weights"]): number {
  return 1 - (1 - w.bias * clamp01(c.bias)) * (1 - w.near_duplicates * clamp01(c.near_duplicates)) * (1 - w.drift * clamp01(c.drift)) * (1 - w.single_token_logprobs * clamp01(c.single_token_logprobs)) * (1 - w.extraction * clamp01(c.extraction)) * (1 - w.repetition * clamp01(c.repetition));
}
