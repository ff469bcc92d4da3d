/**
 * Per-client probing state and `observe`, the pure update the client's Durable Object runs
 * on each request (issue 7). Plain JSON, bounded (`PROBE_STATE_MAX_BYTES`), `now` passed in.
 *
 * What is kept, and why it is enough:
 * - a ring of the last `RING` query fingerprints (64-bit SimHash as two uint32, interleaved)
 *   with their times in seconds: the nearest-neighbour distance of a new query is taken
 *   against it;
 * - a decaying histogram of those distances (65 bins, one per Hamming distance), so the
 *   distribution survives the ring being overwritten;
 * - two generations of a 4096-bit bitmap of biased token ids (hashed), rotated every half
 *   `bias_window_s`: linear counting over their union estimates distinct ids up to ~30k,
 *   far past the ~2k at which the bias component saturates;
 * - the hashes of the last few bias sets, so a repeated set (label tokens) costs no budget;
 * - decaying counters, the probe budget (a ../quota/bucket token bucket), and the action
 *   level with its escalation streak (hysteresis).
 *
 * Every decayed quantity decays with the same half-life, and the bitmap only ever empties,
 * so without new requests the score never rises: `retryAfterS` is found by bisection.
 */
import { bucketConfig, take, type BucketState } from "../quota/bucket";
import { carriesTemplate, learnTemplate, type ProbeFeatures, type TemplateHint } from "./features";
import { biasComponent, combine, driftGap, eventComponent, evidence, referenceCdf, type Components, type ProbePolicy } from "./score";

/**
 * What `observe` needs from one request: a structural subset of the feature extractor's
 * output. The fingerprint arrives as two uint32 (`fpHi`, `fpLo`), absent when the request
 * has no user content; the adapter converts a 16-hex-digit string with
 * `parseInt(s.slice(0, 8), 16)` / `parseInt(s.slice(8), 16)`.
 */
export interface ProbeObservation {
  logprobs: boolean;
  logitBiasCount: number;
  /** Biased token ids, sorted (possibly capped by the extractor). */
  logitBiasTokens: readonly number[];
  /** At most 2 output tokens (a token plus a leading space or end marker): a single-token probe. */
  singleToken: boolean;
  echo: boolean;
  embeddings: boolean;
  embeddingInputs: number;
  fpHi?: number;
  fpLo?: number;
  repetition: boolean;
  extraction: boolean;
  /** `edgeLadder` hashes of the fingerprinted text and its length, for template learning. */
  edges?: readonly number[];
  chars?: number;
  /** Whether the fingerprint was taken with a template hint applied (its middle only). */
  templated?: boolean;
  /** The output cap is at most `SHORT_OUTPUT` tokens: a label, a yes/no, a score. */
  shortOutput?: boolean;
  /** Choices asked (`n`; legacy `best_of` when larger). */
  n?: number;
  /** Only the text's two ends were fingerprinted (features.ts TEXT_WINDOW): an equal fingerprint is not proof of a retry. */
  windowed?: boolean;
}

/** Output caps up to this many tokens make a request probe-shaped (classifier-style answers). */
export const SHORT_OUTPUT = 16;

/**
 * Whether a near-duplicate of this request is worth counting as a probe: the answer is
 * short (a label, a yes/no, a score: what classifier extraction and single-token probing
 * read), or it carries the model's numbers for the input itself (logit_bias, echo,
 * embeddings). Long generations are not counted even with logprobs: a coding agent
 * resending a file with a small change, or a RAG client whose popular chunks recur with a
 * new question, sends near-duplicates for long answers. Such requests are still
 * fingerprinted (later probes are compared against them). docs/extraction-defence.md
 * lists what this leaves out.
 */
const sameHint = (a: TemplateHint | null, b: TemplateHint | null): boolean =>
  a !== null && b !== null && a.prefix === b.prefix && a.suffix === b.suffix && a.ph === b.ph && a.sh === b.sh;

/** What `observe` needs of the feature extractor's output (the RPC payload: numbers only). */
export function observationOf(f: ProbeFeatures): ProbeObservation {
  const fp = f.fingerprint;
  return {
    logprobs: f.logprobs,
    logitBiasCount: f.logitBiasCount,
    logitBiasTokens: f.logitBiasTokens,
    singleToken: f.singleToken,
    echo: f.echo,
    embeddings: f.embeddings,
    embeddingInputs: f.embeddingInputs,
    ...(fp !== null ? { fpHi: parseInt(fp.slice(0, 8), 16), fpLo: parseInt(fp.slice(8), 16) } : {}),
    repetition: f.repetition,
    extraction: f.extraction,
    edges: f.edges,
    chars: f.chars,
    templated: f.fingerprintPrefix + f.fingerprintSuffix > 0,
    shortOutput: f.maxOutputTokens !== null && f.maxOutputTokens <= SHORT_OUTPUT,
    windowed: f.windowed,
    n: f.n,
  };
}

export const probeShaped = (o: ProbeObservation): boolean => o.logitBiasCount > 0 || o.echo || o.embeddings || o.shortOutput === true;

export type ProbeAction = "allow" | "degrade" | "slow" | "deny";
const ACTIONS: readonly ProbeAction[] = ["allow", "degrade", "slow", "deny"];

interface Counters {
  /** Requests, fingerprinted requests, near-duplicates, retries (exact, within the window). */
  req: number;
  fp: number;
  near: number;
  retry: number;
  /** Single-token requests with logprobs. */
  stlp: number;
  echo: number;
  emb: number;
  extraction: number;
  repetition: number;
}

export interface ProbeState {
  v: 1;
  /** Time (ms) every decayed value was last brought to. */
  at: number;
  ring: number[];
  ringAt: number[];
  head: number;
  hist: number[];
  c: Counters;
  /** Generation number (floor(now / half window)) of `cur`; `prev` is the one before. */
  gen: number;
  cur: number[];
  prev: number[];
  sets: number[];
  budget?: BucketState;
  /** Index into allow, degrade, slow, deny. */
  level: number;
  streak: number;
  /** The previous text's edge hashes and length, and the template learned from them. */
  edges?: number[];
  chars?: number;
  tpl?: TemplateHint | null;
  /** The last template candidate: one becomes the template when two comparisons in a row agree. */
  cand?: TemplateHint | null;
}

export interface ObserveResult {
  state: ProbeState;
  /** The client's template, for the Worker to strip from the next request before fingerprinting. */
  template: TemplateHint | null;
  score: number;
  components: Components;
  action: ProbeAction;
  retryAfterS?: number;
  reasons: string[];
}

export const RING = 256;
const BITMAP_WORDS = 128; // 4096 bits
const RECENT_SETS = 8;
/**
 * Serialised size never exceeded. By construction under 13 KB: 768 ring numbers of ≤ 10
 * digits, 65 + 9 floats, 256 bitmap words, 8 set hashes, 26 edge hashes and two template
 * hints; the tests measure ~12 KB.
 */
export const PROBE_STATE_MAX_BYTES = 16_384;
const HOUR_MS = 3_600_000;

/** @example const state = emptyProbeState(); // a client never seen */
export function emptyProbeState(): ProbeState {
  const zero = { req: 0, fp: 0, near: 0, retry: 0, stlp: 0, echo: 0, emb: 0, extraction: 0, repetition: 0 };
  return { v: 1, at: 0, ring: [], ringAt: [], head: 0, hist: new Array<number>(65).fill(0), c: zero, gen: 0, cur: new Array<number>(BITMAP_WORDS).fill(0), prev: new Array<number>(BITMAP_WORDS).fill(0), sets: [], level: 0, streak: 0 };
}

/** Bytes of the state as the Durable Object stores it (JSON). */
export function probeStateSize(state: ProbeState): number {
  return JSON.stringify(state).length;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// Tiny values are dropped so a long-idle client's JSON does not fill with 1e-300s.
const decayed = (x: number, f: number): number => (x * f < 1e-6 ? 0 : x * f);

/** The state with every decayed value brought to `now` and the bitmap generations rotated. */
function advance(s: ProbeState, now: number, p: ProbePolicy): ProbeState {
  const dt = now - s.at;
  const f = dt > 0 ? 2 ** (-dt / (p.half_life_s * 1000)) : 1;
  const c = {} as Counters;
  for (const k of Object.keys(s.c) as (keyof Counters)[]) c[k] = decayed(s.c[k], f);
  const g = Math.floor(now / ((p.bias_window_s * 1000) / 2));
  let { cur, prev } = s;
  if (g === s.gen + 1) [prev, cur] = [cur, new Array<number>(BITMAP_WORDS).fill(0)];
  else if (g > s.gen + 1) [prev, cur] = [new Array<number>(BITMAP_WORDS).fill(0), new Array<number>(BITMAP_WORDS).fill(0)];
  // A clock that steps back neither decays nor rotates: nothing is forgotten early.
  return { ...s, at: Math.max(s.at, now), c, hist: s.hist.map((h) => decayed(h, f)), gen: Math.max(s.gen, g), cur, prev };
}

/** Linear counting (Whang et al. 1990) over the generations given. */
function distinctBiased(gens: readonly (readonly number[])[]): number {
  let zeros = 0;
  for (let i = 0; i < BITMAP_WORDS; i++) {
    let w = 0;
    for (const g of gens) w |= g[i]!;
    zeros += 32 - popcount(w >>> 0);
  }
  const m = BITMAP_WORDS * 32;
  return zeros === 0 ? m * Math.log(m) : -m * Math.log(zeros / m);
}

/**
 * The score of `s` as a function of a later time, without building the later state: the
 * shares and the histogram's shape do not change with decay, only the evidence does, and
 * the bitmap loses a generation at each rotation. Used by `components` (t = s.at) and by
 * the retryAfterS search, which evaluates it a few dozen times.
 */
function scorer(s: ProbeState, p: ProbePolicy): (t: number) => Components {
  const m = p.min_observations;
  const c = s.c;
  let mass = 0;
  for (const h of s.hist) mass += h;
  const gap = driftGap(s.hist, referenceCdf(RING), p.drift_slack_bits);
  const bias = [biasComponent(distinctBiased([s.cur, s.prev]), p), -1, 0];
  const genMs = (p.bias_window_s * 1000) / 2;
  return (t) => {
    const f = t > s.at ? 2 ** (-(t - s.at) / (p.half_life_s * 1000)) : 1;
    const lost = Math.min(2, Math.max(0, Math.floor(t / genMs) - s.gen));
    if (bias[lost] === -1) bias[lost] = biasComponent(distinctBiased([s.cur]), p);
    return {
      bias: bias[lost]!,
      near_duplicates: c.fp > 0 ? (c.near / c.fp) * evidence(c.fp * f, m) : 0,
      drift: gap * evidence(mass * f, m),
      single_token_logprobs: c.req > 0 ? (c.stlp / c.req) * evidence(c.req * f, m) : 0,
      extraction: eventComponent(c.extraction * f, p),
      repetition: eventComponent(c.repetition * f, p),
    };
  };
}

const components = (s: ProbeState, p: ProbePolicy): Components => scorer(s, p)(s.at);

function levelFor(score: number, p: ProbePolicy, margin: number): number {
  const t = p.thresholds;
  return score >= t.deny - margin ? 3 : score >= t.slow - margin ? 2 : score >= t.degrade - margin ? 1 : 0;
}

// FNV-1a over the sorted ids: the identity of a bias set, for the "seen recently" check.
function setHash(ids: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const id of ids) h = Math.imul(h ^ id, 0x01000193) >>> 0;
  return h;
}

function tokenBit(id: number): number {
  // Multiplicative hashing spreads consecutive ids (a sweep's order) over the bitmap.
  return (Math.imul(id >>> 0, 0x9e3779b1) >>> 0) >>> 20;
}

/**
 * When a denied client, without new requests, stops being denied: the earliest time the
 * pre-request score is under the deny level's exit threshold. Escalation needs `sustain ≥ 2`
 * observations, so the first request after that time is not denied again.
 */
function denyEndsMs(at: (t: number) => Components, now: number, p: ProbePolicy): number {
  const exit = p.thresholds.deny - p.hysteresis;
  const below = (t: number) => combine(at(t), p.weights) < exit;
  let lo = now;
  let hi = now + HOUR_MS;
  while (!below(hi)) {
    if (hi - now > 30 * 24 * HOUR_MS) return hi;
    hi = now + (hi - now) * 2;
  }
  // To 1/64 of the wait (at least a second): `hi` is always a time the client is no longer
  // denied, so stopping early only rounds Retry-After up, never below the truth.
  while (hi - lo > Math.max(1000, (hi - now) / 64)) {
    const mid = Math.floor((lo + hi) / 2);
    if (below(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

const REASON: Record<keyof Components, string> = {
  bias: "distinct_logit_bias_tokens",
  near_duplicates: "near_duplicate_queries",
  drift: "nearest_neighbour_drift",
  single_token_logprobs: "single_token_logprobs",
  extraction: "system_prompt_extraction",
  repetition: "divergence_prompts",
};

/**
 * Records one request and decides what the gateway does with it: `degrade` coarsens the
 * information-rich parameters (logprobs, logit_bias, echo, n), `slow` degrades and delays,
 * `deny` refuses for `retryAfterS`, after which the client is no longer denied (the score
 * has decayed below the deny level, or the probe budget has refilled: the later of both).
 *
 * @example
 * const r = observe(state, obs, Date.now(), DEFAULT_PROBE_POLICY);
 * state = r.state; // persist; act on r.action
 */
export function observe(state: ProbeState, obs: ProbeObservation, now: number, p: ProbePolicy): ObserveResult {
  if (!Number.isFinite(now)) throw new RangeError("probe clock is not a finite number");
  // Counts come from the gateway's own feature extractor: a bad one is a bug, and throwing
  // makes the Durable Object call fail, which the middleware treats as closed (never free).
  for (const n of [obs.logitBiasCount, obs.embeddingInputs, obs.n ?? 1]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError("observation counts must be non-negative integers");
  }
  const prior = advance(state, now, p);
  // De-escalation reads the evidence before this request, so an honest retryAfterS holds.
  // (A client at allow has nothing to fall from: its prior score is not needed.)
  let level = prior.level === 0 ? 0 : Math.min(prior.level, levelFor(combine(components(prior, p), p.weights), p, p.hysteresis));

  const s: ProbeState = { ...prior, c: { ...prior.c }, hist: prior.hist.slice(), ring: prior.ring.slice(), ringAt: prior.ringAt.slice(), cur: prior.cur.slice(), sets: prior.sets.slice() };
  const c = s.c;
  const reasons: string[] = [];
  c.req += 1;
  if (obs.logprobs && obs.singleToken) c.stlp += 1;
  if (obs.echo) c.echo += 1;
  if (obs.embeddings) c.emb += 1;
  if (obs.extraction) c.extraction += 1;
  if (obs.repetition) c.repetition += 1;

  // Template learning (features.ts): from the edge hashes of this text and the previous one.
  let tpl = s.tpl ?? null;
  let fingerprintUsable = true;
  if (obs.edges !== undefined && obs.chars !== undefined) {
    if (tpl !== null && !obs.templated && carriesTemplate(obs.edges, tpl)) {
      // Fingerprinted whole by a Worker that did not know the template yet (a fresh isolate):
      // as a whole it would look like a near-duplicate of every templated request.
      fingerprintUsable = false;
    }
    if (s.edges !== undefined && s.chars !== undefined) {
      // A template recurs: the same edges shared with the previous text twice in a row. The
      // shared part of two perturbation probes moves with each perturbation, so it never
      // settles into a template that would hide the probes' similarity.
      const learned = learnTemplate(s.edges, s.chars, obs.edges, obs.chars);
      if (learned !== null && !sameHint(learned, tpl) && sameHint(learned, s.cand ?? null)) tpl = learned;
      s.cand = learned;
    }
    s.edges = obs.edges.slice();
    s.chars = obs.chars;
    s.tpl = tpl;
  }

  const biasHash = obs.logitBiasTokens.length > 0 ? setHash(obs.logitBiasTokens) : 0;
  if (fingerprintUsable && obs.fpHi !== undefined && obs.fpLo !== undefined) {
    const hi = obs.fpHi >>> 0;
    const lo = obs.fpLo >>> 0;
    const sec = Math.floor(now / 1000);
    let best = 65;
    let bestAt = -1;
    for (let i = 0; i < s.ringAt.length; i++) {
      const d = popcount(s.ring[2 * i]! ^ hi) + popcount(s.ring[2 * i + 1]! ^ lo);
      if (d < best || (d === best && s.ringAt[i]! > s.ringAt[bestAt]!)) {
        best = d;
        bestAt = i;
      }
    }
    // The same text with another logit_bias is the sweep's own pattern, never a retry.
    const sameBias = obs.logitBiasTokens.length === 0 || s.sets.includes(biasHash);
    if (best === 0 && sameBias && obs.windowed !== true && sec - s.ringAt[bestAt]! <= p.retry_window_s) {
      // A retry (client or SDK) carries no new information: refresh the entry, count nothing.
      c.retry += 1;
      s.ringAt[bestAt] = sec;
      reasons.push("retry");
    } else {
      if (probeShaped(obs)) {
        c.fp += 1;
        if (best <= p.near_bits) c.near += 1;
        if (best <= 64) s.hist[best]! += 1;
      }
      const slot = s.ringAt.length < RING ? s.ringAt.length : s.head;
      s.ring[2 * slot] = hi;
      s.ring[2 * slot + 1] = lo;
      s.ringAt[slot] = sec;
      s.head = (slot + 1) % RING;
    }
  }

  let cost = 0;
  if (obs.logitBiasTokens.length > 0) {
    for (const id of obs.logitBiasTokens) {
      const b = tokenBit(id);
      s.cur[b >>> 5] = (s.cur[b >>> 5]! | (1 << (b & 31))) >>> 0;
    }
    if (!s.sets.includes(biasHash)) {
      cost += Math.ceil(Math.max(obs.logitBiasCount, obs.logitBiasTokens.length) / p.budget.bias_tokens_per_credit);
      s.sets = [biasHash, ...s.sets].slice(0, RECENT_SETS);
    }
  }
  if (obs.echo && obs.logprobs) cost += p.budget.echo_logprobs;
  if ((obs.logprobs || obs.logitBiasCount > 0) && obs.n !== undefined && obs.n > 1) cost += p.budget.extra_choice * (Math.min(obs.n, 128) - 1);
  if (obs.embeddings) cost += p.budget.per_embedding_input * Math.max(1, obs.embeddingInputs);

  const scoreAt = scorer(s, p);
  const comps = scoreAt(s.at);
  const score = combine(comps, p.weights);
  for (const k of Object.keys(comps) as (keyof Components)[]) if (comps[k] * p.weights[k] >= 0.1) reasons.push(REASON[k]);

  if (p.allow_listed) {
    return { state: { ...s, level: 0, streak: 0 }, template: tpl, score, components: comps, action: "allow", reasons: [...reasons, "allow_listed"] };
  }

  const target = levelFor(score, p, 0);
  let streak = 0;
  if (target > level) {
    streak = prior.streak + 1;
    if (streak >= p.sustain) [level, streak] = [target, 0];
  }

  const cfg = bucketConfig(p.budget.burst, p.budget.per_hour, HOUR_MS);
  const taken = take(s.budget, cfg, Math.min(cost, p.budget.burst), now);
  let budgetRetryS: number | undefined;
  if (taken.ok) s.budget = taken.next;
  else {
    // Refused requests are not charged, as in the quota engine: the budget is only refilled.
    s.budget = taken.next;
    budgetRetryS = Math.ceil(taken.retryAfterMs / 1000);
    reasons.push("probe_budget");
  }

  const next: ProbeState = { ...s, level, streak };
  // An exhausted probe budget refuses (deny) whatever the score: the budget is the hard cap.
  const action = ACTIONS[budgetRetryS !== undefined ? 3 : level]!;
  let retryAfterS: number | undefined;
  if (level === 3) {
    // `next` differs from `s` only in level and streak, which the score does not read.
    retryAfterS = Math.max(1, Math.ceil((denyEndsMs(scoreAt, now, p) - now) / 1000));
  }
  // A budget refusal can outlast the score's: the client waits for the later of the two.
  if (budgetRetryS !== undefined) retryAfterS = Math.max(retryAfterS ?? 0, budgetRetryS);
  return { state: next, template: tpl, score, components: comps, action, ...(retryAfterS !== undefined ? { retryAfterS } : {}), reasons };
}

export interface ProbeSummary {
  score: number;
  components: Components;
  /** The escalation level as of now: allow, degrade, slow or deny. */
  level: ProbeAction;
  fingerprints: number;
  templated: boolean;
  requests: number;
}

/** What an operator sees of a client's probing state as of `now`: numbers only, never text. */
export function probeSummary(state: ProbeState, now: number, p: ProbePolicy): ProbeSummary {
  const s = advance(state, now, p);
  const comps = components(s, p);
  return { score: combine(comps, p.weights), components: comps, level: ACTIONS[s.level] ?? "allow", fingerprints: s.ringAt.length, templated: (s.tpl ?? null) !== null, requests: Math.round(s.c.req * 100) / 100 };
}
