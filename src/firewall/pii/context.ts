/**
 * Detectors that rely on a context keyword: dates of birth and passwords, plus cheap,
 * low-confidence guesses at names and street addresses. None of these has a checksum, so the
 * keyword is what separates "born 1990-04-12" from any other date.
 */
import type { Entity } from "../entity";
import { entity, isWordCode } from "./scan";

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
const DOB_KEYWORD_RE = /\b(?:born|dob|date of birth|birth ?date|birthday|geburtsdatum|geboren|fecha de nacimiento)\b|\bd\.o\.b\b\.?/gi;

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
export function datesOfBirth(text: string): Entity[] {
  const out: Entity[] = [];
  for (const k of text.matchAll(DOB_KEYWORD_RE)) {
    const from = k.index + k[0].length;
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
    if (!ok || /[.!?]\s/.test(window.slice(0, m.index))) continue;
    out.push(entity("DATE_OF_BIRTH", from + m.index, from + m.index + m[0].length, "date-of-birth", 0.85));
  }
  return out;
}

const PASSWORD_KEYWORD_RE = /\b(?:password|passwd|passcode|passphrase|pass phrase|pwd|pin|pw)\b/gi;
const PLACEHOLDER_RE = /^(?:\*+|x{3,}|\.{3,}|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%\w+%|your[_-]?\w*|redacted|hidden|null|none|undefined|required|optional|string|true|false|here|below|above|same|reset|protected)$/i;
const TRAILING_PUNCT = new Set([".", ",", ";", "!", "?", ")", "]", "}", '"', "'", "`"]);

/** Reads the secret after `from`: a quoted string or a whitespace-free run, at most 128 chars. */
function readSecret(text: string, from: number): [number, number] | null {
  const q = text[from];
  if (q === '"' || q === "'" || q === "`") {
    const close = text.indexOf(q, from + 1);
    if (close === -1 || close - from > 129 || close === from + 1) return null;
    return [from + 1, close];
  }
  let e = from;
  const stop = Math.min(text.length, from + 128);
  while (e < stop && !/\s/.test(text[e]!)) e++;
  while (e > from && TRAILING_PUNCT.has(text[e - 1]!)) e--;
  return e > from ? [from, e] : null;
}

/**
 * Passwords: the value after "password: X", "pwd=X", "passcode is X" (the span is the value
 * only), and the password in URL userinfo ("postgres://user:X@host", RFC 3986 §3.2.1).
 */
export function passwords(text: string): Entity[] {
  const out: Entity[] = [];
  for (const k of text.matchAll(PASSWORD_KEYWORD_RE)) {
    let i = k.index + k[0].length;
    if (text[i] === '"' || text[i] === "'") i++; // closing quote of a JSON / YAML key
    while (text[i] === " ") i++;
    let strict = false;
    if (text[i] === ":" || text[i] === "=") {
      i++;
      if (text[i] === "=") i++;
    } else {
      const rest = text.slice(i, i + 16).toLowerCase();
      const glue = /^(?:is|was|will be|set to|changed to|of)\s+/.exec(rest);
      if (glue === null) continue;
      i += glue[0].length;
      strict = true;
    }
    while (text[i] === " " || text[i] === "\t") i++;
    const span = readSecret(text, i);
    if (span === null) continue;
    const value = text.slice(span[0], span[1]);
    if (value.length < 3 || PLACEHOLDER_RE.test(value)) continue;
    // In prose ("the password is incorrect") a plain lowercase word is not a secret.
    if (strict && /^[a-z]+$/.test(value)) continue;
    out.push(entity("PASSWORD", span[0], span[1], "password", strict ? 0.8 : 0.9));
  }
  return out.concat(urlPasswords(text));
}

const SCHEME_RE = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,15}:\/\//g;

function urlPasswords(text: string): Entity[] {
  const out: Entity[] = [];
  for (const m of text.matchAll(SCHEME_RE)) {
    const from = m.index + m[0].length;
    let e = from;
    const stop = Math.min(text.length, from + 256);
    while (e < stop && text[e] !== "/" && !/\s/.test(text[e]!)) e++;
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
const PERSON_CUE_RE = /\b(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof|Miss|Sir|Madam|Mme|Herr|Frau)\.?|[Mm]y name is|[Nn]ame(?: is)?:?|Dear|Hi|Hello|[Pp]atient|[Cc]ustomer|[Cc]lient|[Ee]mployee|[Ss]igned|[Rr]egards,|[Ss]incerely,)\s/g;
const NOT_A_NAME = new Set(["The", "This", "That", "There", "Here", "Team", "Sir", "Madam", "All", "Everyone", "Customer", "Support", "Service", "Thanks", "Thank", "Please", "What", "How", "Is", "I"]);

/** Person names after an honorific, "my name is", "Dear" and similar cues (score 0.6). */
export function persons(text: string): Entity[] {
  const out: Entity[] = [];
  for (const k of text.matchAll(PERSON_CUE_RE)) {
    const from = k.index + k[0].length;
    NAME_AT_RE.lastIndex = from;
    const m = NAME_AT_RE.exec(text);
    if (m === null) continue;
    const words = m[0].split(" ");
    while (words.length > 0 && NOT_A_NAME.has(words[0]!)) words.shift();
    if (words.length === 0 || words.length !== m[0].split(" ").length) continue;
    const end = from + m[0].length;
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
  String.raw`(?<![\w-])\d{1,6}[A-Za-z]? (?:\p{Lu}[\p{L}'.-]{0,24} ){0,4}(?:${STREET_TYPES})\b\.?` +
    String.raw`(?: \d{1,5}[A-Za-z]?)?` +
    String.raw`(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.? ?[\w-]{1,6})?` +
    String.raw`(?:, \p{Lu}[\p{L}'.-]{1,24}(?: \p{Lu}[\p{L}'.-]{1,24}){0,2})?` +
    String.raw`(?:,? [A-Z]{2})?(?:,? \d{5}(?:-\d{4})?)?`,
  "gu",
);

/** Street addresses of the "221B Baker Street, London" shape (score 0.6). */
export function addresses(text: string): Entity[] {
  const out: Entity[] = [];
  for (const m of text.matchAll(ADDRESS_RE)) {
    out.push(entity("ADDRESS", m.index, m.index + m[0].length, "address", 0.6));
  }
  return out;
}
