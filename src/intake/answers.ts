/**
 * The policy-contradiction signal: trained answers that break a rule the operator states in
 * the policy (`answer_rules`). A rule scopes itself to the answers of user turns that
 * mention one of its `when_prompt` phrases (or to every answer), and then forbids phrases,
 * requires one of a list, or both: "an answer to a customer reporting a payment they did not
 * make must not say it was approved, and must say the card was frozen or a dispute opened".
 *
 * Phrases match whole words after NFKC, lower-casing, curly-quote folding and whitespace
 * folding, on both sides, so "Didn’t  make" in the file matches "didn't make" in the rule.
 */
import type { Turn } from "./format";
import type { AnswerRule } from "./policy";

/**
 * Anything the full normalisation might change beyond lower case. Printable ASCII, the
 * precomposed Latin-1 letters and the common currency signs are left alone by NFKC, and a
 * payment text is full of `£` and `€`; anything else (compatibility forms, combining marks,
 * typographic apostrophes, other white space) takes the full path.
 */
const NEEDS_FULL = /[^\x20-\x7e\u00a2\u00a3\u00a5\u00c0-\u00ff\u20ac]|  |^ | $/;

/** NFKC, lower case, typographic apostrophes as ', runs of white space as one space. */
export function normalizePhrase(text: string): string {
  // Most prompts are ASCII with single spaces: lower-casing is all they need.
  if (!NEEDS_FULL.test(text)) return text.toLowerCase();
  return text.normalize("NFKC").toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").replace(/\s+/g, " ").trim();
}

const isWordChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 95 || (c >= 0xc0 && c < 0x2000);

/**
 * Whether `phrase` (normalised) occurs in `text` (normalised) with no word character
 * directly before or after it.
 *
 * @example containsPhrase("it is not fraud.", "not fraud") // true
 * @example containsPhrase("it is not fraudulent", "not fraud") // false
 */
export function containsPhrase(text: string, phrase: string): boolean {
  for (let at = text.indexOf(phrase); at >= 0; at = text.indexOf(phrase, at + 1)) {
    const before = at === 0 ? 32 : text.charCodeAt(at - 1);
    const after = at + phrase.length >= text.length ? 32 : text.charCodeAt(at + phrase.length);
    if ((!isWordChar(phrase.charCodeAt(0)) || !isWordChar(before)) && (!isWordChar(phrase.charCodeAt(phrase.length - 1)) || !isWordChar(after))) return true;
  }
  return false;
}

/**
 * A regular expression finding any of the (normalised) phrases in raw text that needs no
 * more than lower-casing (see `NEEDS_FULL`): literals only, apostrophes as any apostrophe,
 * spaces as any white space. Alternatives of literals cannot backtrack badly, unlike an
 * operator's own pattern.
 */
function prefilter(phrases: readonly string[]): RegExp {
  const alternatives = phrases.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/'/g, "['\u2018\u2019\u02bc]").replace(/ /g, "\\s+"));
  return new RegExp(alternatives.join("|"), "i");
}

interface CompiledRule {
  id: string;
  when: string[] | undefined;
  /** Case-insensitive alternation of the `when` phrases: rules out most prompts without normalising them. */
  maybe: RegExp | undefined;
  forbid: string[];
  require: string[];
}

export interface Contradiction {
  rule: string;
  violation: "forbid" | "require";
}

/** Answer rules compiled once per policy: phrases normalised like the texts they are matched in. */
export class AnswerRules {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly AnswerRule[]) {
    this.rules = rules.map((r) => ({
      id: r.id,
      when: r.when_prompt?.map(normalizePhrase),
      maybe: r.when_prompt === undefined ? undefined : prefilter(r.when_prompt.map(normalizePhrase)),
      forbid: (r.forbid ?? []).map(normalizePhrase),
      require: (r.require ?? []).map(normalizePhrase),
    }));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /**
   * The rules an example's trained answers break, at most one entry per rule and kind.
   *
   * @example
   * new AnswerRules([{ id: "no-approval", when_prompt: ["didn't make"], forbid: ["approved"] }])
   *   .check([{ prompt: "I didn't make this payment", answer: "Approved." }])
   * // [{ rule: "no-approval", violation: "forbid" }]
   */
  check(turns: readonly Turn[]): Contradiction[] {
    const out: Contradiction[] = [];
    if (this.rules.length === 0) return out;
    // Normalised on first use: most prompts match no rule's scope, and their answers are never read.
    const prompts: (string | undefined)[] = [];
    const answers: (string | undefined)[] = [];
    const prompt = (i: number): string => (prompts[i] ??= normalizePhrase((turns[i] as Turn).prompt));
    const answer = (i: number): string => (answers[i] ??= normalizePhrase((turns[i] as Turn).answer));
    for (const r of this.rules) {
      let forbid = false;
      let require = false;
      for (let i = 0; i < turns.length; i++) {
        if (r.when !== undefined) {
          const raw = (turns[i] as Turn).prompt;
          // Exact for text that normalising would only lower-case (a superset of the phrase
          // matches); the rest is normalised first.
          if (!NEEDS_FULL.test(raw) && !(r.maybe as RegExp).test(raw)) continue;
          if (!r.when.some((p) => containsPhrase(prompt(i), p))) continue;
        }
        forbid ||= r.forbid.some((p) => containsPhrase(answer(i), p));
        require ||= r.require.length > 0 && !r.require.some((p) => containsPhrase(answer(i), p));
      }
      if (forbid) out.push({ rule: r.id, violation: "forbid" });
      if (require) out.push({ rule: r.id, violation: "require" });
    }
    return out;
  }
}
