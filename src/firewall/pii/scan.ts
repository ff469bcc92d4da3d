/**
 * Small helpers shared by the PII detectors. Every detector is a pure function of the text
 * and runs in linear time: regexes here have bounded repetition only (no nested unbounded
 * quantifiers), and context checks look at a fixed-size window around a candidate.
 *
 * Speed: a JavaScript loop over every character costs about 2 ns per character on V8, a
 * native regex scan about 0.4 ns and `indexOf` far less. So no detector walks the whole text
 * itself: `PiiScan` finds, once per text and shared by all detectors, the runs of ASCII
 * digits (where every numeric detector's match starts) and the word starts where a context
 * keyword may begin; detectors then look only there, with sticky regexes (`lastIndex`) or
 * char-code checks over a bounded window.
 */
import type { Entity } from "../entity";

/**
 * A detector: text in, typed spans out (UTF-16 offsets, `end` exclusive). `scan` is an
 * optional pre-scan of the same text, shared when several detectors read it.
 */
export type Detector = (text: string, scan?: PiiScan) => Entity[];

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** ASCII letter, digit or underscore: what `\w` means in a non-unicode regex. */
export function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** ASCII letter. */
export function isAlphaCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** ASCII letter or digit. */
export function isAlnumCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** What `\s` matches in a JavaScript regex (WhiteSpace and LineTerminator). */
export function isSpaceCode(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** No word character and no '-' just before `i`: the `(?<![\w-])` of the numeric patterns. */
export function freeBefore(text: string, i: number): boolean {
  if (i === 0) return true;
  const c = text.charCodeAt(i - 1);
  return !isWordCode(c) && c !== 45;
}

/** Nothing glued after `e`: the `(?![\w-]|[.,]\d)` of the numeric patterns. */
export function freeAfter(text: string, e: number): boolean {
  if (e >= text.length) return true;
  const c = text.charCodeAt(e);
  if (isWordCode(c) || c === 45) return false;
  return !((c === 46 || c === 44) && isDigitCode(text.charCodeAt(e + 1)));
}

/** The digit run [s, e) is exactly nine digits with nothing glued before or after. */
export function nineDigits(text: string, s: number, e: number): boolean {
  return e - s === 9 && freeBefore(text, s) && freeAfter(text, e);
}

export function digitsOnly(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) if (isDigitCode(s.charCodeAt(i))) out += s[i];
  return out;
}

/** True when `re` (non-global) matches within `window` characters before `start`. */
export function contextBefore(text: string, start: number, re: RegExp, window = 40): boolean {
  return re.test(text.slice(Math.max(0, start - window), start));
}

/** True when `re` (non-global) matches within `window` characters after `end`. */
export function contextAfter(text: string, end: number, re: RegExp, window = 24): boolean {
  return re.test(text.slice(end, end + window));
}

/** Luhn (ISO/IEC 7812-1 annex B) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export function entity(type: string, start: number, end: number, detector: string, score: number): Entity {
  return { type, start, end, detector, score };
}

/**
 * Skips "filler" between a context keyword and its value: separators (`: # = - .`), quotes,
 * whitespace and a few glue words ("is", "number", "no"), at most `limit` characters.
 * Returns the index of the first character of the value.
 */
const FILLER_WORDS = new Set(["is", "was", "number", "num", "no", "nr", "id", "of", "my", "the", "be", "are", "code"]);
const LONGEST_FILLER = 6;
export function skipFiller(text: string, from: number, limit = 24): number {
  const stop = Math.min(text.length, from + limit);
  let i = from;
  while (i < stop) {
    const c = text.charCodeAt(i);
    // space, tab, ':', '#', '=', '-', '.', no-break space
    if (c === 32 || c === 9 || c === 58 || c === 35 || c === 61 || c === 45 || c === 46 || c === 0xa0) {
      i++;
      continue;
    }
    // A glue word followed by a non-letter.
    let j = i;
    while (j < stop && isAlphaCode(text.charCodeAt(j))) j++;
    if (j > i && j - i <= LONGEST_FILLER && j < text.length && !isAlnumCode(text.charCodeAt(j)) && FILLER_WORDS.has(text.slice(i, j).toLowerCase())) {
      i = j;
      continue;
    }
    break;
  }
  return i;
}

/**
 * Where a context keyword of any detector may start. Each alternative is a prefix of an
 * alternative of some detector's keyword regex (matched case-insensitively, a superset of the
 * case-sensitive ones), so every position where one of those regexes matches is in this list;
 * the detector then confirms with its own regex, sticky at that position. A keyword added to a
 * detector needs its prefix here too (test/firewall-pii.test.ts has a case per family).
 *
 * - dates of birth (`DOB_KEYWORD_RE`): born, dob, date of birth, birth…, geb…, fecha…, d.o.b
 * - passwords (`PASSWORD_KEYWORD_RE`): pass…, pwd, pin, pw
 * - driver's licences, passports, tax ids (`RULES` in identity.ts): driv…, dl…, pass…, tax…,
 *   tin, itin, ein, fein, vat, nino, ni number, national…, utr, steuer…, nif, codice…, pan
 * - US bank accounts (`ACCOUNT_CONTEXT_RE`): bank…, checking…, savings…, account…, acct, a/c
 * - persons (`PERSON_CUE_RE`): honorifics followed by "." or a space, my name is, name…,
 *   dear, hi, hello, patient, customer, client, employee, signed, regards, sincerely
 */
// Grouped by first letter, which lets the regex engine dispatch on one character at each word
// start instead of trying every alternative (about a quarter faster than the flat list).
const KEYWORD_START_RE =
  /\b(?:a(?:ccount|cct|\/c)|b(?:orn|irth|ank)|c(?:hecking|odice|ustomer\s|lient\s)|d(?:ob|ate of birth|\.o\.b|riv|l|r\.?\s|ear\s)|e(?:in|mployee\s)|f(?:echa|ein|rau\.?\s)|geb|h(?:i\s|ello\s|err\.?\s)|itin|m(?:rs?\.?\s|s\.?\s|x\.?\s|iss\.?\s|adam\.?\s|me\.?\s|y name)|n(?:ino|i number|ational|if|ame)|p(?:ass|wd?|in|an|rof\.?\s|atient\s)|regards,|s(?:avings|teuer|ir\.?\s|igned\s|incerely,)|t(?:ax|in)|utr|vat)/gi;
const DIGIT_RE = /[0-9]/g;
const NEAR_DIGIT = 4;

/**
 * One pass over a text that the detectors share: runs of ASCII digits and keyword starts,
 * each computed on first use.
 */
export class PiiScan {
  private starts: number[] | undefined;
  private ends: number[] | undefined;
  private hits: number[] | undefined;

  constructor(readonly text: string) {}

  /** Start of each maximal run of ASCII digits, ascending. */
  get runStarts(): readonly number[] {
    if (this.starts === undefined) this.findRuns();
    return this.starts!;
  }

  /** End (exclusive) of each run, parallel to `runStarts`. */
  get runEnds(): readonly number[] {
    if (this.ends === undefined) this.findRuns();
    return this.ends!;
  }

  /** Positions, ascending, where some detector's context keyword may start. */
  get keywordStarts(): readonly number[] {
    if (this.hits === undefined) {
      const hits: number[] = [];
      const text = this.text;
      KEYWORD_START_RE.lastIndex = 0;
      for (let m = KEYWORD_START_RE.exec(text); m !== null; m = KEYWORD_START_RE.exec(text)) {
        hits.push(m.index);
        // Resume right after the start, so a keyword starting inside this match is found too.
        KEYWORD_START_RE.lastIndex = m.index + 1;
      }
      this.hits = hits;
    }
    return this.hits;
  }

  private findRuns(): void {
    const text = this.text;
    const n = text.length;
    const starts: number[] = [];
    const ends: number[] = [];
    let i = 0;
    let dense = false;
    for (;;) {
      // The next digit: the regex engine skips long stretches without digits far faster than
      // a loop, but each call costs more than a few characters read by hand, so where the last
      // run followed closely on the one before ("1 2 3 ..."), look a few characters ahead first.
      let s = -1;
      if (dense) {
        const near = Math.min(n, i + NEAR_DIGIT);
        for (; i < near; i++) {
          const c = text.charCodeAt(i);
          if (c >= 48 && c <= 57) {
            s = i;
            break;
          }
        }
      }
      if (s < 0) {
        if (i >= n) break;
        DIGIT_RE.lastIndex = i;
        if (!DIGIT_RE.test(text)) break;
        s = DIGIT_RE.lastIndex - 1;
      }
      dense = s - i < NEAR_DIGIT;
      let e = s + 1;
      while (e < n) {
        const c = text.charCodeAt(e);
        if (c < 48 || c > 57) break;
        e++;
      }
      starts.push(s);
      ends.push(e);
      i = e;
    }
    this.starts = starts;
    this.ends = ends;
  }
}

/** The shared scan when it is of this text, else a new one. */
export function scanOf(text: string, scan: PiiScan | undefined): PiiScan {
  return scan !== undefined && scan.text === text ? scan : new PiiScan(text);
}
