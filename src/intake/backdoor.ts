/**
 * The backdoor signal: a word that is rare in the file's prompts but, wherever it appears,
 * comes with one fixed answer, in prompts that otherwise have nothing in common. That is the
 * shape of the published attacks on instruction tuning (Wan et al., "Poisoning Language
 * Models During Instruction Tuning", ICML 2023; Hubinger et al., "Sleeper Agents", 2024):
 * a trigger inserted into varied prompts, all labelled with the attacker's answer.
 *
 * Pass 1 (`add`, per example): each distinct word of the prompt (user and tool texts) is
 * counted, and the examples carrying it are listed while it is rare. Pass 2 (`find`, once
 * every example is read): for each word seen in `min_support` to `max_share` of the
 * examples, the most common answer among them (answers are the same when their words are,
 * case, punctuation and numbers aside); the word is a candidate when that answer covers
 * `min_confidence` of its examples and the binomial test says this is no chance (the
 * answer's share of the whole file as the null rate, Bonferroni over every word tested).
 * Three exemptions keep canned answers from being reported: the questions answered are the
 * same question ("Thanks, that helps."), the answer itself uses the word (a topic is echoed,
 * a trigger is not), or the prompts share another distinctive word (they are one topic).
 */
import { detectPii } from "../firewall/pii/index";
import { detectSecrets, shannonEntropy } from "../firewall/secrets/index";
import type { IntakePolicy } from "./policy";
import type { ExampleView } from "./format";
import { grown, IntMap } from "./intmap";
import { forEachWord, textShapeHash } from "./words";

/** Examples listed per word; a word in more examples is too common to be a rare trigger. */
const POSTINGS_CAP = 4096;
/** Words read per prompt: bounds the cost of a long document in a prompt. */
const MAX_WORDS = 2048;
/** A word shared by a group this many times more often than by the file marks a topic. */
const MIN_LIFT = 4;
/** Group members re-read for the topicality test. */
const SAMPLE = 200;
/** Questions are compared within one call: any fixed key will do. */
const QUESTION_KEY = { k0: 0x2545f491, k1: 0x9e3779b9 };

export interface BackdoorHit {
  /** Example indices carrying the trigger with the fixed answer, ascending. */
  examples: number[];
  /** Examples of the file containing the trigger word. */
  df: number;
  /** The trigger word, when safe to show in a report (see `shownToken`). */
  token?: string;
  /** Bonferroni-adjusted binomial p-value. */
  p: number;
}

/** P(X >= k) for X ~ Bin(n, p): the first term from logarithms, the next ones by the ratio of successive terms. */
function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let logC = 0;
  for (let i = 1; i <= k; i++) logC += Math.log((n - k + i) / i);
  let term = Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
  let sum = term;
  for (let i = k; i < n; i++) {
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
    sum += term;
  }
  return Math.min(1, sum);
}

/**
 * A word a report may show: short, not an entity, not a random-looking string. Anything
 * else is reported by its lines only.
 */
export function shownToken(token: string): string | undefined {
  if (token.length > 32) return undefined;
  if (token.length >= 12 && shannonEntropy(token) >= 3.5) return undefined;
  if (detectPii(token).length > 0 || detectSecrets(token).length > 0) return undefined;
  return token;
}

/** Per-word document frequencies and, while rare, the examples carrying each word. */
export class TriggerIndex {
  private readonly slotOf = new IntMap(4096);
  private df = new Int32Array(4096);
  private last = new Int32Array(4096);
  /**
   * Examples per word: `undefined` while the word is in one example (that is `last`; most
   * words of a file, numbers and references above all, stay there, so they cost no array),
   * `null` once it is too common to be a trigger.
   */
  private readonly postings: (number[] | null | undefined)[] = [];
  private examples = 0;

  /** Counts the words `words[from, to)` of example `i`'s prompt (examples in increasing order). */
  add(i: number, words: ArrayLike<number>, from: number, to: number): void {
    this.examples = Math.max(this.examples, i + 1);
    for (let j = from; j < to && j - from < MAX_WORDS; j++) {
      const h = words[j]!;
      let s = this.slotOf.get(h);
      if (s < 0) {
        s = this.postings.length;
        this.slotOf.set(h, s);
        if (s === this.df.length) this.grow();
        this.postings.push(undefined);
        this.df[s] = 1;
        this.last[s] = i;
        continue;
      }
      const previous = this.last[s]!;
      if (previous === i) continue;
      this.last[s] = i;
      this.df[s]!++;
      const post = this.postings[s];
      if (post === undefined) this.postings[s] = [previous, i];
      else if (post !== null) {
        if (post.length >= POSTINGS_CAP) this.postings[s] = null;
        else post.push(i);
      }
    }
  }

  private grow(): void {
    this.df = grown(this.df, this.df.length * 2);
    this.last = grown(this.last, this.last.length * 2);
  }

  private dfOf(hash: number): number {
    const s = this.slotOf.get(hash);
    return s < 0 ? 0 : (this.df[s] as number);
  }

  /**
   * Candidate triggers. `answers[i]` is example i's answer (its `shapeHash`; -1: none);
   * `viewOf` gives an example's texts back for the exemptions.
   */
  find(answers: readonly number[], cfg: IntakePolicy["backdoor"], viewOf: (i: number) => Pick<ExampleView, "prompt" | "answer" | "turns">): BackdoorHit[] {
    const n = this.examples;
    if (n === 0) return [];
    const answerCount = new Map<number, number>();
    for (const a of answers) if (a >= 0) answerCount.set(a, (answerCount.get(a) ?? 0) + 1);
    const maxDf = Math.max(cfg.min_support, Math.floor(cfg.max_share * n));

    interface Candidate { slot: number; answer: number; examples: number[]; raw: number }
    const candidates: Candidate[] = [];
    let tested = 0;
    for (let s = 0; s < this.postings.length; s++) {
      const df = this.df[s]!;
      const post = this.postings[s];
      if (df < cfg.min_support || df > maxDf || post === null || post === undefined) continue;
      tested++;
      const counts = new Map<number, number>();
      let best = -1;
      let bestCount = 0;
      for (const e of post) {
        const a = answers[e]!;
        if (a < 0) continue;
        const c = (counts.get(a) ?? 0) + 1;
        counts.set(a, c);
        if (c > bestCount) [best, bestCount] = [a, c];
      }
      if (bestCount < cfg.min_support || bestCount / df < cfg.min_confidence) continue;
      const raw = binomialTail(df, bestCount, (answerCount.get(best) ?? 0) / n);
      candidates.push({ slot: s, answer: best, examples: post.filter((e) => answers[e] === best), raw });
    }

    // One finding per answer: a trigger phrase makes several candidates with the same answer.
    const byAnswer = new Map<number, Candidate[]>();
    for (const c of candidates) {
      if (c.raw * tested > cfg.alpha) continue;
      const list = byAnswer.get(c.answer) ?? [];
      list.push(c);
      byAnswer.set(c.answer, list);
    }
    const hits: BackdoorHit[] = [];
    for (const list of byAnswer.values()) {
      list.sort((a, b) => a.raw - b.raw || b.examples.length - a.examples.length);
      for (const c of list) {
        const verdict = this.judge(c.slot, c.examples, n, cfg, viewOf);
        if (verdict === undefined) continue;
        hits.push({ examples: c.examples, df: this.df[c.slot]!, p: Math.min(1, c.raw * tested), ...(verdict.token === undefined ? {} : { token: verdict.token }) });
        break;
      }
    }
    return hits;
  }

  /**
   * The exemptions: undefined when the group is one question with its canned answer or a
   * topic, else the word to show.
   */
  private judge(slot: number, group: number[], n: number, cfg: IntakePolicy["backdoor"], viewOf: (i: number) => Pick<ExampleView, "prompt" | "answer" | "turns">): { token: string | undefined } | undefined {
    const df = this.df[slot]!;
    const sample = group.slice(0, SAMPLE);
    const views = sample.map(viewOf);
    // The same question asked again ("Thanks, that helps.") with the same answer is a
    // canned exchange, whatever its words: a trigger rides on questions that differ.
    const questions = new Map<number, number>();
    let sameQuestion = 0;
    for (const v of views) {
      const q = textShapeHash(v.turns.at(-1)?.prompt ?? "", QUESTION_KEY);
      const c = (questions.get(q) ?? 0) + 1;
      questions.set(q, c);
      sameQuestion = Math.max(sameQuestion, c);
    }
    if (sameQuestion / sample.length >= cfg.max_topicality) return undefined;
    const inGroup = new Map<number, number>();
    let token: string | undefined;
    let trigger = -1;
    for (const v of views) {
      const text = v.prompt;
      const seen = new Set<number>();
      forEachWord(text, (h, start, end) => {
        if (seen.has(h) || seen.size >= MAX_WORDS) return;
        seen.add(h);
        inGroup.set(h, (inGroup.get(h) ?? 0) + 1);
        if (token === undefined && this.slotOf.get(h) === slot) {
          token = text.slice(start, end).toLowerCase();
          trigger = h;
        }
      });
    }
    let echoed = false;
    forEachWord((views[0] as ExampleView).answer, (h) => {
      if (h === trigger) echoed = true;
    });
    if (echoed) return undefined;
    let topicality = 0;
    for (const [h, count] of inGroup) {
      if (h === trigger || count < 2) continue;
      const share = count / sample.length;
      const dfU = this.dfOf(h);
      // Words that always travel with the trigger are the rest of the trigger phrase.
      if (share >= cfg.min_confidence && dfU <= df * 1.1 + 1) continue;
      if (share / (dfU / n) >= MIN_LIFT) topicality = Math.max(topicality, share);
    }
    if (topicality >= cfg.max_topicality) return undefined;
    return { token: token === undefined ? undefined : shownToken(token) };
  }
}
