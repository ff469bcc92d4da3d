// @ts-check
/**
 * A promptfoo extension (`promptfoo eval -x file://…/redteam-hooks.mjs:beforeAll`) for
 * `npm run redteam` (docs/redteam.md). The tests `promptfoo redteam generate` wrote carry the
 * intent plugin's assertion, which an LLM grades; this hook replaces it, before anything is
 * sent, with a deterministic one:
 *
 *   attack          the answer is the gateway's firewall refusal (400 prompt_blocked)
 *   benign control  the answer is not a refusal of any kind
 *
 * The target's transformResponse (scripts/redteam.ts) turns every non-200 answer into one line,
 * `<refused> <status> <error.code>`, which is what the assertions match. Benign controls wrapped
 * in a jailbreak template are dropped: the template makes them attacks.
 *
 * The job file named by AIGIS_REDTEAM_JOB lists which prompt texts are attacks and which are
 * benign controls (results are matched back to redteam/attacks.json by text), the strategies
 * benign controls skip, and the refusal prefix. The hook writes `job.testsOut`: per test, in the
 * order promptfoo numbers them (`testIdx` in its results), the kind, strategy, original prompt
 * and the exact text sent. promptfoo's result file cannot serve for that: it replaces strings
 * that look like secrets, base64 ones included, with "[REDACTED]".
 */
import { readFileSync, writeFileSync } from "node:fs";

/**
 * @typedef {{ attacks: string[], benign: string[], benignSkip: string[], refused: string, testsOut: string }} Job
 * @typedef {{ vars?: Record<string, unknown>, assert?: unknown[], metadata?: Record<string, unknown>, provider?: unknown }} TestCase
 */

/** @param {{ suite: { tests?: TestCase[] } }} context */
export function beforeAll(context) {
  const path = process.env.AIGIS_REDTEAM_JOB;
  if (!path) throw new Error("AIGIS_REDTEAM_JOB is not set: this hook belongs to npm run redteam");
  /** @type {Job} */
  const job = JSON.parse(readFileSync(path, "utf8"));
  const attacks = new Set(job.attacks);
  const benign = new Set(job.benign);
  /** @type {TestCase[]} */
  const tests = [];
  /** @type {Array<{ kind: string, strategy: string, original: string, sent: string }>} */
  const sent = [];
  for (const t of context.suite.tests ?? []) {
    const strategy = typeof t.metadata?.strategyId === "string" ? t.metadata.strategyId : "basic";
    const original = typeof t.metadata?.originalText === "string" ? t.metadata.originalText : String(t.vars?.prompt);
    const kind = attacks.has(original) ? "attack" : benign.has(original) ? "benign" : undefined;
    if (kind === undefined) throw new Error(`a generated test comes from a prompt that is not ours (${strategy}): ${original.slice(0, 80)}`);
    // A strategy that brings its own provider talks to an attacker model: not a static transform.
    if (t.provider !== undefined) throw new Error(`strategy ${strategy} needs a provider of its own; it cannot run offline`);
    if (kind === "benign" && job.benignSkip.includes(strategy)) continue;
    sent.push({ kind, strategy, original, sent: String(t.vars?.prompt) });
    tests.push({
      ...t,
      assert: [kind === "attack" ? { type: "starts-with", value: `${job.refused} 400 prompt_blocked` } : { type: "not-starts-with", value: job.refused }],
      metadata: { ...t.metadata, strategyId: strategy, originalText: original, aigisKind: kind },
    });
  }
  if (tests.length === 0) throw new Error("no tests left to run");
  writeFileSync(job.testsOut, JSON.stringify(sent));
  return { suite: { ...context.suite, tests } };
}
