/**
 * Adversarial inputs for the linear-time checks: long runs of the character classes that
 * backtracking patterns choke on (digits, '@', '.', '-', spaces, the base64 alphabet, quotes,
 * and the prefixes detectors key on), as units that fast-check draws from each class and that
 * are repeated to the size wanted. Pure, for workerd and Node alike.
 */
import fc from "fast-check";

/** Character classes, each a string of its characters. */
export const CLASSES: Readonly<Record<string, string>> = {
  digits: "0123456789",
  at: "@a",
  dots: ".a1",
  dashes: "-1a",
  spaces: " \t1a",
  base64: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
  quotes: "\"'`a:= ",
  "digit groups": "0123456789 -+()./",
  "url-ish": "a:/.@?=&%#",
  "markup": "[]()<>!a=\"/:",
  "escapes": "%&#;x0123456789abcdef\\u",
  invisible: "\u200b\u200d\u2060\ufe0f\u{e0041}\u202e\u00ad",
};

/** Units the detectors' prefixes and context words start on, repeated as they are. */
export const FIXED_UNITS: readonly string[] = [
  "1-", "a@", "a.", "+1 ", "Ab Cd ", "password: ", "born 1/1/", "GB82 ", "sk-", "eyJ", "AKIA", "-----BEGIN PRIVATE KEY-----\n",
  "[EMAIL_", "![a](http://x/", "<img src=", "http://a", "aigis-", "%4", "&#1", "i.g.n.o.r.e ", "\u{1F600}\uFE0F", "x://a:b@",
];

/** A unit: one to eight characters of one class. */
export function unitOf(cls: string): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...cls), minLength: 1, maxLength: 8 });
}

/** The patterns a run uses: `perClass` fast-check units of each class (from `seed`), and the fixed ones. */
export function patterns(seed: number, perClass: number): { name: string; unit: string }[] {
  const out: { name: string; unit: string }[] = [];
  for (const [name, cls] of Object.entries(CLASSES)) {
    const units = [...new Set(fc.sample(unitOf(cls), { seed, numRuns: perClass * 4 }))].slice(0, perClass);
    for (const unit of units) out.push({ name, unit });
  }
  for (const unit of FIXED_UNITS) out.push({ name: "prefix", unit });
  return out;
}

/** `unit` repeated to exactly `size` UTF-16 code units (never ending inside a surrogate pair). */
export function fill(unit: string, size: number): string {
  let s = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1);
  return s;
}

/** An adversarial input for the properties: a unit of a class, repeated, with an optional tail. */
export const adversarialInput: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(fc.constantFrom(...Object.values(CLASSES)).chain(unitOf), fc.constantFrom(...FIXED_UNITS)),
    fc.integer({ min: 2_000, max: 24_000 }),
    fc.string({ unit: "grapheme-ascii", maxLength: 12 }),
  )
  .map(([unit, size, tail]) => fill(unit, size) + tail);
