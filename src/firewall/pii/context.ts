/**
 * Detectors that rely on a context keyword: dates of birth and passwords, plus cheap,
 * low-confidence guesses at names and street addresses. None of these has a checksum, so the
 * keyword is what separates "born 1990-04-12" from any other date.
 */
import type { Entity } from "../entity";
import { entity, isAlnumCode, isAlphaCode, isSpaceCode, isWordCode, scanOf, type PiiScan } from "./scan";

const MONTHS = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const MONTH_INDEX = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DATE_RE = new RegExp(
  [
    String.raw`(?<![\w/.-])(?<y1>\d{4})[-/.](?<m1>\d{1,2})[-/.](?<d1>\d{1,2})(?![\w]|[-/.]\d)`,
    String.raw`(?<![\w/.-])(?<a2>\d{1,2})[-/.](?<b2>\d{1,2})[-/.](?<y2>\d{4}|\d{2})(?![\w]|[-/.]\d)`,
    String.raw`(?<![\w])(?<d3>\d{1,2})(?:st|nd|rd|th)?(?: of)?[ -](?<m3>${MONTHS})\.?,?[ -](?<y3>\d{4})(?!\w)`,
    String.raw`(?<![\w])(?<m4>${MONTHS})\.? (?<d4>\d{1,2})(?:st|nd|rd|th)?,? (?<y4>\d{4})(?!\w)`,
  ].join("|"),
  "i",
);
// Sticky: tried only where `PiiScan.keywordStarts` says a keyword may start (a new keyword
// needs its prefix in `KEYWORD_START_RE` too).
const DOB_KEYWORD_RE = /\b(?:born|dob|date of birth|birth ?date|birthday|geburtsdatum|geboren|fecha de nacimiento)\b|\bd\.o\.b\b\.?/iy;
const SENTENCE_END_RE = /[.!?]\s/;

function validDay(m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

function monthOf(name: string): number {
  return MONTH_INDEX.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

/**
 * Dates of birth: the first date within 40 characters after "born", "DOB", "date of birth",
 * "birthday" and the like, in ISO, numeric (either day order) or month-name forms.
 * @example datesOfBirth("DOB: 12/31/1990") // span of "12/31/1990"
 */
export function datesOfBirth(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  let next = 0; // end of the previous keyword match: matches do not overlap
  for (const at of scanOf(text, scan).keywordStarts) {
    if (at < next) continue;
    DOB_KEYWORD_RE.lastIndex = at;
    if (!DOB_KEYWORD_RE.test(text)) continue;
    const from = DOB_KEYWORD_RE.lastIndex;
    next = from;
    const window = text.slice(from, from + 40);
    const m = DATE_RE.exec(window);
    if (m === null) continue;
    const g = m.groups ?? {};
    let ok = false;
    if (g.y1 !== undefined) ok = validDay(Number(g.m1), Number(g.d1));
    else if (g.y2 !== undefined) {
      const a = Number(g.a2);
      const b = Number(g.b2);
      ok = validDay(a, b) || validDay(b, a);
    } else if (g.y3 !== undefined) ok = validDay(monthOf(g.m3!), Number(g.d3));
    else if (g.y4 !== undefined) ok = validDay(monthOf(g.m4!), Number(g.d4));
    // The date must come before the next sentence, not somewhere after an unrelated clause.
    if (!ok || (m.index > 1 && SENTENCE_END_RE.test(window.slice(0, m.index)))) continue;
    out.push(entity("DATE_OF_BIRTH", from + m.index, from + m.index + m[0].length, "date-of-birth", 0.85));
  }
  return out;
}

// Sticky, like the cue regex of persons below: tried only at `PiiScan.keywordStarts` (a new
// keyword needs its prefix in `KEYWORD_START_RE` too).
const PASSWORD_KEYWORD_RE = /\b(?:password|passwd|passcode|passphrase|pass phrase|pwd|pin|pw)\b/iy;
// Glue between the keyword and the value. The value must start within 16 characters of the
// glue word, hence the cap on the whitespace (applied again below).
const GLUE_RE = /(?:is|was|will be|set to|changed to|of)\s{1,15}/iy;
const GLUE_WINDOW = 16;
const PLACEHOLDER_RE = /^(?:\*+|x{3,}|\.{3,}|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%\w+%|your[_-]?\w*|redacted|hidden|null|none|undefined|required|optional|string|true|false|here|below|above|same|reset|protected)$/i;
const LOWER_WORD_RE = /^[a-z]+$/;

/** . , ; ! ? ) ] } " ' ` */
function isTrailingPunct(c: number): boolean {
  return c === 46 || c === 44 || c === 59 || c === 33 || c === 63 || c === 41 || c === 93 || c === 125 || c === 34 || c === 39 || c === 96;
}

/** Reads the secret after `from`: a quoted string or a whitespace-free run, at most 128 chars. */
function readSecret(text: string, from: number): [number, number] | null {
  const q = text.charCodeAt(from);
  if (q === 34 || q === 39 || q === 96) {
    const close = text.indexOf(text[from]!, from + 1);
    if (close === -1 || close - from > 129 || close === from + 1) return null;
    return [from + 1, close];
  }
  let e = from;
  const stop = Math.min(text.length, from + 128);
  while (e < stop && !isSpaceCode(text.charCodeAt(e))) e++;
  while (e > from && isTrailingPunct(text.charCodeAt(e - 1))) e--;
  return e > from ? [from, e] : null;
}

/**
 * Passwords: the value after "password: X", "pwd=X", "passcode is X" (the span is the value
 * only), and the password in URL userinfo ("postgres://user:X@host", RFC 3986 §3.2.1).
 */
export function passwords(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  let next = 0;
  for (const at of scanOf(text, scan).keywordStarts) {
    if (at < next) continue;
    PASSWORD_KEYWORD_RE.lastIndex = at;
    if (!PASSWORD_KEYWORD_RE.test(text)) continue;
    let i = PASSWORD_KEYWORD_RE.lastIndex;
    next = i;
    if (text[i] === '"' || text[i] === "'") i++; // closing quote of a JSON / YAML key
    while (text[i] === " ") i++;
    let strict = false;
    if (text[i] === ":" || text[i] === "=") {
      i++;
      if (text[i] === "=") i++;
    } else {
      GLUE_RE.lastIndex = i;
      if (!GLUE_RE.test(text)) continue;
      i = Math.min(GLUE_RE.lastIndex, i + GLUE_WINDOW);
      strict = true;
    }
    while (text[i] === " " || text[i] === "\t") i++;
    const span = readSecret(text, i);
    if (span === null) continue;
    const value = text.slice(span[0], span[1]);
    if (value.length < 3 || PLACEHOLDER_RE.test(value)) continue;
    // In prose ("the password is incorrect") a plain lowercase word is not a secret.
    if (strict && LOWER_WORD_RE.test(value)) continue;
    out.push(entity("PASSWORD", span[0], span[1], "password", strict ? 0.8 : 0.9));
  }
  return text.indexOf("://") === -1 ? out : out.concat(urlPasswords(text));
}

/** A URL scheme character after the first (RFC 3986 §3.1): letter, digit, '+', '-', '.'. */
function isSchemeCode(c: number): boolean {
  return isAlnumCode(c) || c === 43 || c === 45 || c === 46;
}

/**
 * Passwords in "scheme://user:secret@host": found from each "://" (scheme of 2-16
 * characters, starting with a letter, not preceded by another scheme character).
 */
function urlPasswords(text: string): Entity[] {
  const out: Entity[] = [];
  for (let sep = text.indexOf("://"); sep !== -1; sep = text.indexOf("://", sep + 1)) {
    let r = sep;
    while (r > 0 && sep - r <= 16 && isSchemeCode(text.charCodeAt(r - 1))) r--;
    if (sep - r < 2 || sep - r > 16 || !isAlphaCode(text.charCodeAt(r))) continue;
    if (r > 0 && isSchemeCode(text.charCodeAt(r - 1))) continue;
    const from = sep + 3;
    let e = from;
    const stop = Math.min(text.length, from + 256);
    while (e < stop) {
      const c = text.charCodeAt(e);
      if (c === 47 || isSpaceCode(c)) break;
      e++;
    }
    const authority = text.slice(from, e);
    const at = authority.lastIndexOf("@");
    const colon = authority.indexOf(":");
    if (at === -1 || colon === -1 || colon > at || at - colon < 2) continue;
    const value = authority.slice(colon + 1, at);
    if (PLACEHOLDER_RE.test(value)) continue;
    out.push(entity("PASSWORD", from + colon + 1, from + at, "url-password", 0.9));
  }
  return out;
}

// Names: one to three capitalised words (Unicode letters, inner hyphen or apostrophe, initials).
const NAME_AT_RE = /\p{Lu}[\p{Ll}\p{Lu}'’-]{1,24}(?: (?:\p{Lu}\.|\p{Lu}[\p{Ll}'’-]{1,24})){0,3}/uy;
const PERSON_CUE_RE = /\b(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof|Miss|Sir|Madam|Mme|Herr|Frau)\.?|[Mm]y name is|[Nn]ame(?: is)?:?|Dear|Hi|Hello|[Pp]atient|[Cc]ustomer|[Cc]lient|[Ee]mployee|[Ss]igned|[Rr]egards,|[Ss]incerely,)\s/y;
const NOT_A_NAME = new Set(["The", "This", "That", "There", "Here", "Team", "Sir", "Madam", "All", "Everyone", "Customer", "Support", "Service", "Thanks", "Thank", "Please", "What", "How", "Is", "I"]);

/** Person names after an honorific, "my name is", "Dear" and similar cues (score 0.6). */
export function persons(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  let next = 0;
  for (const at of scanOf(text, scan).keywordStarts) {
    if (at < next) continue;
    PERSON_CUE_RE.lastIndex = at;
    if (!PERSON_CUE_RE.test(text)) continue;
    const from = PERSON_CUE_RE.lastIndex;
    next = from;
    NAME_AT_RE.lastIndex = from;
    const m = NAME_AT_RE.exec(text);
    if (m === null) continue;
    const name = m[0];
    // The first word must not be a greeting or pronoun ("Dear All", "Hi Team").
    const sp = name.indexOf(" ");
    if (NOT_A_NAME.has(sp === -1 ? name : name.slice(0, sp))) continue;
    const end = from + name.length;
    if (end < text.length && isWordCode(text.charCodeAt(end))) continue;
    out.push(entity("PERSON", from, end, "person", 0.6));
  }
  return out;
}

const STREET_TYPES =
  "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Crescent|Close|Row|Plaza|Alley|Strasse|Straße|Weg|Gasse|Allee|Platz|Rue|Calle|Via|Viale|Vej|Gatan|Väg|Vägen";
// Number + one to four capitalised words + a street-type word, then optional unit, city,
// state/region and postcode. Every repetition is bounded and separated by a literal.
const ADDRESS_RE = new RegExp(
  String.raw`\d{1,6}[A-Za-z]? (?:\p{Lu}[\p{L}'.-]{0,24} ){0,4}(?:${STREET_TYPES})\b\.?` +
    String.raw`(?: \d{1,5}[A-Za-z]?)?` +
    String.raw`(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.? ?[\w-]{1,6})?` +
    String.raw`(?:, \p{Lu}[\p{L}'.-]{1,24}(?: \p{Lu}[\p{L}'.-]{1,24}){0,2})?` +
    String.raw`(?:,? [A-Z]{2})?(?:,? \d{5}(?:-\d{4})?)?`,
  "uy", // sticky: tried at the start of each digit run (the `(?<![\w-])` check is done by hand)
);

/** Street addresses of the "221B Baker Street, London" shape (score 0.6). */
export function addresses(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  const sc = scanOf(text, scan);
  const starts = sc.runStarts;
  const ends = sc.runEnds;
  const n = text.length;
  let next = 0;
  for (let r = 0; r < starts.length; r++) {
    // The number: 1-6 digits not glued to a word or '-', an optional letter, then a space and
    // an upper-case letter (a capitalised word or the street type; all street types are).
    const s = starts[r]!;
    if (s < next || ends[r]! - s > 6) continue;
    if (s > 0) {
      const b = text.charCodeAt(s - 1);
      if (isWordCode(b) || b === 45) continue;
    }
    let q = ends[r]!;
    if (q < n && isAlphaCode(text.charCodeAt(q))) q++;
    if (q + 1 >= n || text.charCodeAt(q) !== 32) continue;
    const u = text.charCodeAt(q + 1);
    if (u < 128 && !(u >= 65 && u <= 90)) continue;
    ADDRESS_RE.lastIndex = s;
    const m = ADDRESS_RE.exec(text);
    if (m === null) continue;
    next = s + m[0].length;
    out.push(entity("ADDRESS", s, next, "address", 0.6));
  }
  return out;
}
