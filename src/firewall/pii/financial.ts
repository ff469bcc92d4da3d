/**
 * Payment identifiers, each validated by its checksum: card numbers (Luhn plus issuer ranges),
 * IBANs (ISO 13616 mod-97 plus the per-country length), ABA routing numbers (3-7-1 weights)
 * and, in context only, US bank account numbers.
 */
import type { Entity } from "../entity";
import { contextBefore, entity, freeBefore, isAlphaCode, isAlnumCode, isDigitCode, isWordCode, luhnValid, nineDigits, scanOf, skipFiller, type PiiScan } from "./scan";

// Up to 19 digits, optionally separated by single spaces or dashes; bounded, so linear.
// Sticky: tried at digit-run starts not preceded by a word character or '-'.
const CARD_RE = /\d(?:[ -]?\d){11,18}(?![\w-]|[.,]\d)/y;

/** Issuer identification ranges (ISO/IEC 7812) with the lengths each network issues. */
function issuerLengthOk(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === "4") return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  // JCB issues 3528-3589; generators (Faker, hence many test sets) use all of 35xx, and the
  // Luhn check still applies, so the wider range costs little precision.
  if (p2 === 35) return n >= 16 && n <= 19; // JCB
  if (p4 === 1800 || p4 === 2131) return n === 15; // JCB (legacy)
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners Club
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro
  return false;
}

/**
 * Payment card numbers: 12-19 digits, Luhn-valid, in a known issuer range, written compact or
 * grouped with one kind of separator (space or dash).
 * @example creditCards("card 4111 1111 1111 1111") // [{ type: "CREDIT_CARD", start: 5, end: 24, ... }]
 */
export function creditCards(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  const sc = scanOf(text, scan);
  const starts = sc.runStarts;
  const ends = sc.runEnds;
  let next = 0;
  for (let r = 0; r < starts.length; r++) {
    const s = starts[r]!;
    if (s < next || !freeBefore(text, s)) continue;
    // Twelve digits at least: a shorter run must go on after one separator.
    const e = ends[r]!;
    if (e - s < 12) {
      const c = text.charCodeAt(e);
      if ((c !== 32 && c !== 45) || !isDigitCode(text.charCodeAt(e + 1))) continue;
    }
    CARD_RE.lastIndex = s;
    const m = CARD_RE.exec(text);
    if (m === null) continue;
    next = s + m[0].length;
    // The match is digits in groups with single separators; all separators must be alike.
    const raw = m[0];
    let sep = 0;
    let mixed = false;
    let digits = "";
    const groupEnds: number[] = []; // end of each group in `raw`
    const groupDigits: number[] = []; // digits up to the end of each group
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c >= 48 && c <= 57) continue;
      if (sep === 0) sep = c;
      else if (c !== sep) mixed = true;
      digits += raw.slice(groupEnds.length === 0 ? 0 : groupEnds[groupEnds.length - 1]! + 1, i);
      groupEnds.push(i);
      groupDigits.push(digits.length);
    }
    if (mixed) continue;
    digits += raw.slice(groupEnds.length === 0 ? 0 : groupEnds[groupEnds.length - 1]! + 1);
    groupEnds.push(raw.length);
    groupDigits.push(digits.length);
    // Issuers print cards in groups of three to six digits (4-4-4-4, 4-6-5, 4-4-4-4-3). A run of
    // one- and two-digit groups is something else, such as a hex dump ("69 63 65 20 69 73"),
    // which passes Luhn and lands in the Maestro range often enough to matter.
    let shortGroup = groupEnds.length;
    for (let k = 0; k < groupEnds.length; k++) {
      if (groupDigits[k]! - (k === 0 ? 0 : groupDigits[k - 1]!) < 3) {
        shortGroup = k;
        break;
      }
    }
    // A grouped number may run into a following number ("... 4904 12 times"): try the longest
    // prefix of whole groups that validates.
    for (let k = groupEnds.length - 1; k >= 0; k--) {
      const n = groupDigits[k]!;
      if (n < 12) break;
      if (n > 19 || (groupEnds.length > 1 && k >= shortGroup)) continue;
      const candidate = n === digits.length ? digits : digits.slice(0, n);
      if (luhnValid(candidate) && issuerLengthOk(candidate)) {
        out.push(entity("CREDIT_CARD", s, s + groupEnds[k]!, "credit-card", 1));
        break;
      }
    }
  }
  return out;
}

/** IBAN length per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};


/** ISO 7064 MOD 97-10 as ISO 13616 applies it: move the first four characters to the end. */
export function ibanChecksumValid(compact: string): boolean {
  const s = compact.slice(4) + compact.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/**
 * IBANs, compact ("DE89370400440532013000") or grouped in fours ("DE89 3704 0044 ..."), any case;
 * the country's length must match and the mod-97 check must give 1.
 */
export function ibans(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  const sc = scanOf(text, scan);
  const starts = sc.runStarts;
  const ends = sc.runEnds;
  for (let r = 0; r < starts.length; r++) {
    // Country code and check digits: two letters (not glued to a letter or digit), two digits.
    const d = starts[r]!;
    if (d < 2 || ends[r]! - d < 2 || !isAlphaCode(text.charCodeAt(d - 1)) || !isAlphaCode(text.charCodeAt(d - 2))) continue;
    const start = d - 2;
    if (start > 0 && isAlnumCode(text.charCodeAt(start - 1))) continue;
    const want = IBAN_LENGTHS[text.slice(start, d).toUpperCase()];
    if (want === undefined) continue;
    // Collect exactly `want` alphanumerics; single spaces are allowed between characters.
    let compact = "";
    let i = start;
    while (i < text.length && compact.length < want) {
      const c = text.charCodeAt(i);
      if (isWordCode(c) && c !== 95) {
        compact += text[i];
        i++;
      } else if (c === 32 && compact.length >= 4 && i + 1 < text.length && isWordCode(text.charCodeAt(i + 1))) {
        i++;
      } else break;
    }
    if (compact.length !== want) continue;
    if (i < text.length && isWordCode(text.charCodeAt(i))) continue;
    if (!ibanChecksumValid(compact.toUpperCase())) continue;
    out.push(entity("IBAN", start, i, "iban", 1));
  }
  return out;
}

const ROUTING_CONTEXT = /\b(?:routing|aba|rtn|transit number|bank code)\b/i;

/** ABA routing number: Federal Reserve prefix and the 3-7-1 weighted checksum. */
export function abaChecksumValid(d: string): boolean {
  if (!/^\d{9}$/.test(d)) return false;
  const p = Number(d.slice(0, 2));
  if (!((p >= 0 && p <= 12) || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p === 80)) return false;
  const w = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (d.charCodeAt(i) - 48) * w[i]!;
  return sum % 10 === 0 && d !== "000000000";
}

/** ABA routing numbers: nine digits with a valid checksum, near "routing"/"ABA"/"RTN". */
export function abaRoutingNumbers(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  const sc = scanOf(text, scan);
  const starts = sc.runStarts;
  const ends = sc.runEnds;
  for (let r = 0; r < starts.length; r++) {
    const s = starts[r]!;
    if (!nineDigits(text, s, ends[r]!)) continue; // (?<![\w-])\d{9}(?![\w-]|[.,]\d)
    if (abaChecksumValid(text.slice(s, s + 9)) && contextBefore(text, s, ROUTING_CONTEXT, 48)) {
      out.push(entity("ABA_ROUTING_NUMBER", s, s + 9, "aba-routing", 1));
    }
  }
  return out;
}

// Sticky: tried only where `PiiScan.keywordStarts` says a keyword may start (a new keyword
// needs its prefix in `KEYWORD_START_RE` too).
const ACCOUNT_CONTEXT_RE = /\b(?:bank account|checking account|savings account|account (?:number|no\b|num\b|#)|acct\b|a\/c\b)/iy;

/** US bank account numbers (8-17 digits) right after "account number", "acct" and the like. */
export function usBankAccounts(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  let next = 0;
  for (const at of scanOf(text, scan).keywordStarts) {
    if (at < next) continue;
    ACCOUNT_CONTEXT_RE.lastIndex = at;
    if (!ACCOUNT_CONTEXT_RE.test(text)) continue;
    next = ACCOUNT_CONTEXT_RE.lastIndex;
    const start = skipFiller(text, next);
    let end = start;
    while (end < text.length && end - start < 18 && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
    const n = end - start;
    if (n >= 8 && n <= 17 && (end === text.length || !isWordCode(text.charCodeAt(end)))) {
      out.push(entity("US_BANK_ACCOUNT", start, end, "bank-account", 0.75));
    }
  }
  return out;
}

