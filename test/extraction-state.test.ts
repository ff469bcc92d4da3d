import { describe, expect, it } from "vitest";
import { DEFAULT_PROBE_POLICY, ProbePolicySchema, type ProbePolicy } from "../src/extraction/score";
import { mulberry32 } from "../scripts/lib/rng";
import { emptyProbeState, observe, probeStateSize, PROBE_STATE_MAX_BYTES, type ProbeAction, type ProbeObservation, type ProbeState } from "../src/extraction/state";

const T0 = Date.UTC(2026, 10, 29, 8, 0, 0);
const HOUR = 3_600_000;

/** Deterministic uint32s (mulberry32 scaled back to 32 bits, exactly), so a failure reproduces. */
function rng(seed: number): () => number {
  const unit = mulberry32(seed);
  return () => unit() * 4294967296;
}

type Fp = [number, number];
const randomFp = (r: () => number): Fp => [r(), r()];
/** `base` with `bits` distinct random bits flipped. */
function flip(base: Fp, bits: number, r: () => number): Fp {
  const out: Fp = [base[0], base[1]];
  const used = new Set<number>();
  while (used.size < bits) used.add(r() % 64);
  for (const b of used) out[b >> 5] = (out[b >> 5]! ^ (1 << (b & 31))) >>> 0;
  return out;
}

function obs(over: Partial<ProbeObservation> & { fp?: Fp } = {}): ProbeObservation {
  const { fp, ...rest } = over;
  return {
    logprobs: false,
    logitBiasCount: rest.logitBiasTokens?.length ?? 0,
    logitBiasTokens: [],
    singleToken: false,
    echo: false,
    embeddings: false,
    embeddingInputs: 0,
    repetition: false,
    extraction: false,
    ...(fp ? { fpHi: fp[0], fpLo: fp[1] } : {}),
    ...rest,
  };
}

/** Runs a stream through `observe`, returning the final state and every action. */
function run(state: ProbeState, stream: Iterable<[ProbeObservation, number]>, p: ProbePolicy = DEFAULT_PROBE_POLICY) {
  const actions: ProbeAction[] = [];
  let s = state;
  let last;
  for (const [o, t] of stream) {
    last = observe(s, o, t, p);
    s = last.state;
    actions.push(last.action);
  }
  return { state: s, actions, last: last! };
}

function* sweep(n: number, start: number, r: () => number): Generator<[ProbeObservation, number]> {
  // Carlini et al.: the same prompt, max_tokens 1, logprobs, a new set of 300 biased ids each time.
  const fp = randomFp(r);
  for (let i = 0; i < n; i++) {
    const ids = Array.from({ length: 300 }, (_, k) => (i * 300 + k) % 100_000);
    yield [obs({ fp, logprobs: true, singleToken: true, logitBiasTokens: ids, logitBiasCount: 300 }), start + i * 1000];
  }
}

const firstIndex = (actions: ProbeAction[], a: ProbeAction[]) => actions.findIndex((x) => a.includes(x));

describe("probe state: attacks", () => {
  it("a logit-bias sweep is degraded within 1,000 requests and denied before 10,000", () => {
    const { actions, last } = run(emptyProbeState(), sweep(10_000, T0, rng(1)));
    const degraded = firstIndex(actions, ["degrade", "slow", "deny"]);
    const denied = actions.indexOf("deny");
    expect(degraded).toBeGreaterThanOrEqual(0);
    expect(degraded).toBeLessThan(1000);
    expect(denied).toBeGreaterThanOrEqual(0);
    expect(denied).toBeLessThan(10_000);
    expect(last.reasons).toContain("distinct_logit_bias_tokens");
  });

  it("a single observation never escalates: sustained evidence is needed", () => {
    const r = observe(emptyProbeState(), obs({ logprobs: true, singleToken: true, logitBiasTokens: Array.from({ length: 300 }, (_, k) => k) }), T0, DEFAULT_PROBE_POLICY);
    expect(r.score).toBeGreaterThan(DEFAULT_PROBE_POLICY.thresholds.degrade);
    expect(r.action).toBe("allow");
  });

  it("a near-duplicate probe stream is degraded within a few hundred requests", () => {
    const r = rng(2);
    const bases = [randomFp(r), randomFp(r), randomFp(r), randomFp(r)];
    const stream = function* (): Generator<[ProbeObservation, number]> {
      for (let i = 0; i < 2000; i++) yield [obs({ fp: flip(bases[i % 4]!, 1 + (r() % 3), r), shortOutput: true }), T0 + i * 2000];
    };
    const { actions, last } = run(emptyProbeState(), stream());
    const degraded = firstIndex(actions, ["degrade", "slow", "deny"]);
    expect(degraded).toBeGreaterThanOrEqual(0);
    expect(degraded).toBeLessThan(300);
    expect(last.reasons).toEqual(expect.arrayContaining(["near_duplicate_queries", "nearest_neighbour_drift"]));
    // Near-duplicates alone (weights 0.6 and 0.5) slow but never deny: RAG can look like this.
    expect(actions).not.toContain("deny");
  });

  it("counts near-duplicates only of probe-shaped requests (long generations are not probing)", () => {
    const r = rng(2);
    const base = randomFp(r);
    const stream = (extra: Partial<ProbeObservation>) =>
      run(emptyProbeState(), (function* (): Generator<[ProbeObservation, number]> {
        for (let i = 0; i < 500; i++) yield [obs({ fp: flip(base, 1 + (r() % 3), r), ...extra }), T0 + i * 2000];
      })());
    // A coding agent resending a file; a RAG client with recurring chunks, even with logprobs.
    for (const long of [stream({}), stream({ logprobs: true })]) {
      expect(long.actions.every((a) => a === "allow")).toBe(true);
      expect(long.last.components.near_duplicates).toBe(0);
    }
    // Short answers, echo, biased logits and embeddings are counted.
    for (const extra of [{ shortOutput: true }, { echo: true }, { embeddings: true, embeddingInputs: 1 }, { logitBiasTokens: [7], logitBiasCount: 1 }]) {
      expect(stream(extra).last.components.near_duplicates).toBeGreaterThan(0.9);
    }
  });

  it("extra choices cost probe budget only with logprobs or logit_bias", () => {
    const p = ProbePolicySchema.parse({ budget: { burst: 10, per_hour: 1 } });
    const r = rng(13);
    const run = (extra: Partial<ProbeObservation>) => {
      let s = emptyProbeState();
      const actions: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = observe(s, obs({ fp: randomFp(r), n: 8, ...extra }), T0 + i * 1000, p);
        s = res.state;
        actions.push(res.action);
      }
      return actions;
    };
    // 7 credits per request: the second one no longer fits in a burst of 10.
    expect(run({ logprobs: true })).toEqual(["allow", "deny", "deny"]);
    expect(run({})).toEqual(["allow", "allow", "allow"]);
    expect(() => observe(emptyProbeState(), obs({ n: 1.5 }), T0, p)).toThrow(RangeError);
  });

  it("an equal fingerprint of a windowed (long) text counts as a near-duplicate, not a retry", () => {
    const fp = randomFp(rng(12));
    let s = emptyProbeState();
    for (let i = 0; i < 3; i++) s = observe(s, obs({ fp, shortOutput: true, windowed: true }), T0 + i * 1000, DEFAULT_PROBE_POLICY).state;
    // Counters decay (2-hour half-life), hence "close to".
    expect(s.c.retry).toBe(0);
    expect(s.c.near).toBeCloseTo(2, 3);
    let t = emptyProbeState();
    for (let i = 0; i < 3; i++) t = observe(t, obs({ fp, shortOutput: true }), T0 + i * 1000, DEFAULT_PROBE_POLICY).state;
    expect(t.c.retry).toBeCloseTo(2, 3);
    expect(t.c.near).toBe(0);
  });

  it("extraction and divergence prompts escalate on their own", () => {
    const r = rng(3);
    const stream = function* (): Generator<[ProbeObservation, number]> {
      for (let i = 0; i < 50; i++) yield [obs({ fp: randomFp(r), extraction: true, repetition: i % 2 === 0 }), T0 + i * 5000];
    };
    const { actions } = run(emptyProbeState(), stream());
    expect(actions.slice(0, 3)).toEqual(["allow", "allow", "allow"]);
    expect(actions.at(-1)).not.toBe("allow");
  });
});

describe("probe state: benign heavy users", () => {
  it("20,000 mixed benign requests are never denied and degraded for at most 0.1%", () => {
    const r = rng(4);
    let t = T0;
    const stream = function* (): Generator<[ProbeObservation, number]> {
      let last: Fp = randomFp(r);
      for (let i = 0; i < 20_000; i++) {
        t += 200 + (r() % 800);
        const kind = i % 10;
        if (kind < 4) {
          // Chat, coding agents, templated batch jobs: the varying middle fingerprints at random.
          last = randomFp(r);
          yield [obs({ fp: last }), t];
        } else if (kind < 6) {
          // A retry of the previous request seconds later.
          yield [obs({ fp: last }), t];
        } else if (kind < 9) {
          // Label-token classification: the same 3 ids, logprobs, one token.
          last = randomFp(r);
          yield [obs({ fp: last, logprobs: true, singleToken: true, logitBiasTokens: [198, 3763, 3919] }), t];
        } else {
          last = randomFp(r);
          yield [obs({ fp: last, embeddings: true, embeddingInputs: 16 }), t];
        }
      }
    };
    const { actions } = run(emptyProbeState(), stream());
    expect(actions).toHaveLength(20_000);
    expect(actions).not.toContain("deny");
    expect(actions).not.toContain("slow");
    expect(actions.filter((a) => a !== "allow").length).toBeLessThanOrEqual(20);
  });

  it("retries (exact duplicates seconds apart) are not near-duplicates", () => {
    const r = rng(5);
    let s = emptyProbeState();
    for (let i = 0; i < 500; i++) {
      const fp = randomFp(r);
      s = observe(s, obs({ fp }), T0 + i * 10_000, DEFAULT_PROBE_POLICY).state;
      const again = observe(s, obs({ fp }), T0 + i * 10_000 + 3000, DEFAULT_PROBE_POLICY);
      expect(again.reasons).toContain("retry");
      s = again.state;
    }
    expect(s.c.near).toBe(0);
    expect(s.c.retry).toBeGreaterThan(0);
  });
});

describe("probe state: decay and retryAfterS", () => {
  it("after a sweep stops, waiting retryAfterS ends the denial, and the client returns to allow", () => {
    const p = DEFAULT_PROBE_POLICY;
    const attack = run(emptyProbeState(), sweep(1000, T0, rng(6)));
    expect(attack.last.action).toBe("deny");
    const wait = attack.last.retryAfterS!;
    expect(wait).toBeGreaterThan(0);
    const end = T0 + 999 * 1000;
    // Honest: one second early it is still denied, at the stated time it is not, even for another probe.
    const early = observe(attack.state, obs({ logprobs: true, singleToken: true, logitBiasTokens: [1, 2, 3] }), end + (wait - 60) * 1000, p);
    expect(early.action).toBe("deny");
    const probe = observe(attack.state, [...sweep(1, end + wait * 1000, rng(7))][0]![0], end + wait * 1000, p);
    expect(probe.action).not.toBe("deny");
    // Documented bound with no traffic: bias_window_s + half_life_s × log2(N / min_observations).
    const bound = p.bias_window_s * 1000 + p.half_life_s * 1000 * Math.log2(1000 / p.min_observations);
    const later = observe(attack.state, obs({ fp: randomFp(rng(8)) }), end + bound, p);
    expect(later.action).toBe("allow");
  });

  it("a retryAfterS from a full budget is when the cost fits again", () => {
    const p = ProbePolicySchema.parse({ budget: { burst: 100, per_hour: 3600 }, weights: { bias: 0 } });
    const r = rng(9);
    let s = emptyProbeState();
    let res;
    let i = 0;
    do res = observe(s, obs({ fp: randomFp(r), logitBiasTokens: Array.from({ length: 300 }, (_, k) => i * 300 + k) }), T0, p), (s = res.state), i++;
    while (res.action === "allow" && i < 100);
    // An exhausted budget refuses outright, whatever the score.
    expect(res.action).toBe("deny");
    expect(res.reasons).toContain("probe_budget");
    const after = observe(s, obs({ fp: randomFp(r), logitBiasTokens: [5, 6, 7] }), T0 + res.retryAfterS! * 1000, p);
    expect(after.action).toBe("allow");
  });
});

describe("probe state: bounds and policy", () => {
  it("stays under PROBE_STATE_MAX_BYTES after 100,000 worst-case observations", () => {
    const r = rng(10);
    let s = emptyProbeState();
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const ids = Array.from({ length: 20 }, () => r() % 200_000);
      const edges = Array.from({ length: 26 }, () => r() >>> 0);
      s = observe(s, { ...obs({ fp: randomFp(r), logprobs: true, singleToken: i % 2 === 0, logitBiasTokens: ids, extraction: i % 7 === 0, repetition: i % 11 === 0, echo: i % 3 === 0, embeddings: i % 5 === 0, embeddingInputs: 4 }), edges, chars: 2000 }, T0 + i * 137, DEFAULT_PROBE_POLICY).state;
      if (i % 1000 === 999) max = Math.max(max, probeStateSize(s));
    }
    expect(s.ringAt).toHaveLength(256);
    expect(s.sets.length).toBeLessThanOrEqual(8);
    expect(max).toBeGreaterThan(8000);
    expect(max).toBeLessThan(PROBE_STATE_MAX_BYTES);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it("allow-listed workloads are allowed but the score is still reported", () => {
    const p = ProbePolicySchema.parse({ allow_listed: true });
    const { actions, last } = run(emptyProbeState(), sweep(200, T0, rng(11)), p);
    expect(new Set(actions)).toEqual(new Set(["allow"]));
    expect(last.score).toBeGreaterThan(p.thresholds.deny);
    expect(last.reasons).toEqual(expect.arrayContaining(["allow_listed", "distinct_logit_bias_tokens"]));
  });

  it("the schema fills defaults and rejects misordered thresholds", () => {
    expect(ProbePolicySchema.parse({})).toEqual(DEFAULT_PROBE_POLICY);
    expect(DEFAULT_PROBE_POLICY.thresholds).toEqual({ degrade: 0.5, slow: 0.7, deny: 0.85 });
    expect(ProbePolicySchema.safeParse({ thresholds: { degrade: 0.9 } }).success).toBe(false);
    expect(ProbePolicySchema.safeParse({ sustain: 1 }).success).toBe(false);
  });
});

describe("probe state: inputs", () => {
  it("a malformed count or clock throws instead of being charged as free", () => {
    const s = emptyProbeState();
    expect(() => observe(s, obs({ embeddings: true, embeddingInputs: Number.NaN }), T0, DEFAULT_PROBE_POLICY)).toThrow(RangeError);
    expect(() => observe(s, obs({ logitBiasCount: -1 }), T0, DEFAULT_PROBE_POLICY)).toThrow(RangeError);
    expect(() => observe(s, obs(), Number.NaN, DEFAULT_PROBE_POLICY)).toThrow(RangeError);
  });

  it("a clock that steps back forgets nothing", () => {
    const a = run(emptyProbeState(), sweep(20, T0, rng(12)));
    const back = observe(a.state, obs(), T0 - HOUR, DEFAULT_PROBE_POLICY);
    expect(back.state.c.stlp).toBeCloseTo(a.state.c.stlp, 6);
    expect(back.action).toBe("deny");
  });
});
