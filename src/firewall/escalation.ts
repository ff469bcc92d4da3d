/**
 * Tier 2 from the firewall stage: the texts whose tier-1 scores fall in the uncertain band
 * go to the configured second-stage classifier (src/firewall/tier2.ts), concurrently and at
 * most `MAX_ESCALATED` per request; the verdicts replace tier 1's where it was unsure.
 * Nothing is escalated unless AIGIS_CONFIG configures a classifier and the plan allows it.
 */
import type { Context } from "hono";
import { getConfig, secretOf, type AppEnv } from "../env";
import type { DetectorScores } from "./detector/index";
import type { FirewallPolicy } from "./policy";
import { thresholdsOf, type TextScan } from "./scan";
import { bandsFor, combine, escalate, needsTier2, outcomeTag, verdictCache, type CategoryBands, type Tier2Config, type Tier2Deps, type Tier2Outcome } from "./tier2";

export interface Escalation {
  escalated: boolean;
  /** "" when not escalated, else ok | cached | timeout | http_error | bad_response | unavailable (the worst of the texts). */
  outcome: string;
  /** The scores the rules act on: tier 1's, or tier 2's verdict where it answered. */
  scores: DetectorScores;
}

/** A request with hundreds of borderline parts must not turn into hundreds of subrequests. */
export const MAX_ESCALATED = 8;

/** Worst first: a failure says more about the request than a cache hit. */
const SEVERITY = ["timeout", "unavailable", "http_error", "bad_response", "ok", "cached"];

export function rulesBands(policy: FirewallPolicy): CategoryBands {
  const i = thresholdsOf(policy.injection, "injection");
  const j = thresholdsOf(policy.jailbreak, "jailbreak");
  return { injection: { low: i.flag, high: i.block }, jailbreak: { low: j.flag, high: j.block } };
}

/**
 * Escalates the uncertain texts of `scans` and returns the request's combined scores.
 * `scores` is tier 1's request score, returned as is when nothing is escalated.
 */
export async function escalateUncertain(c: Context<AppEnv>, policy: FirewallPolicy, scans: readonly TextScan[], scores: DetectorScores): Promise<Escalation> {
  const cfg = getConfig(c.env).firewall.tier2;
  if (cfg === undefined || !policy.tier2.enabled) return { escalated: false, outcome: "", scores };
  const bands = bandsFor(cfg, rulesBands(policy));
  const uncertain = scans
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.classified && needsTier2(s.scores, bands))
    .sort((a, b) => Math.max(b.s.scores.injection, b.s.scores.jailbreak) - Math.max(a.s.scores.injection, a.s.scores.jailbreak))
    .slice(0, MAX_ESCALATED);
  if (uncertain.length === 0) return { escalated: false, outcome: "", scores };

  const deps: Tier2Deps = { fetch: (input, init) => fetch(input, init), cache: verdictCache };
  if (cfg.kind === "http" && cfg.auth_secret !== undefined) {
    const secret = secretOf(c.env, cfg.auth_secret);
    if (secret !== undefined) deps.secret = secret;
  }
  if (cfg.kind === "workers-ai") {
    const binding = (c.env as unknown as Record<string, unknown>)[cfg.binding];
    if (binding !== undefined) deps.ai = binding as NonNullable<Tier2Deps["ai"]>;
  }
  const failMode: Tier2Config["fail_mode"] = policy.tier2.fail_mode ?? cfg.fail_mode;
  const outcomes = await Promise.all(uncertain.map(({ s }) => escalate(s.cleaned, cfg, deps)));

  const perText = scans.map((s) => s.scores);
  outcomes.forEach((outcome: Tier2Outcome, k) => {
    const { s, i } = uncertain[k]!;
    perText[i] = combine(s.scores, outcome, failMode, bands).scores;
  });
  const combined = { injection: 0, jailbreak: 0 };
  for (const p of perText) {
    combined.injection = Math.max(combined.injection, p.injection);
    combined.jailbreak = Math.max(combined.jailbreak, p.jailbreak);
  }
  const tags = outcomes.map(outcomeTag).sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b));
  return { escalated: true, outcome: tags[0] ?? "", scores: combined };
}
