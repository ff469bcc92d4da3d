/**
 * Government identifiers. US SSNs have structural rules (SSA: area not 000, 666 or 900-999,
 * group not 00, serial not 0000); the others have no public checksum worth trusting, so they
 * are reported only after a context keyword ("passport no.", "driver's license", "EIN", ...).
 */
import type { Entity } from "../entity";
import { contextBefore, entity, freeAfter, freeBefore, isAlnumCode, isDigitCode, isWordCode, nineDigits, scanOf, skipFiller, type PiiScan } from "./scan";

const SSN_CONTEXT = /\b(?:ssn|social security|social sec|ss#|ss no)/i;

export function ssnPartsValid(area: string, group: string, serial: string): boolean {
  return area !== "000" && area !== "666" && area[0] !== "9" && group !== "00" && serial !== "0000";
}

/**
 * US Social Security numbers: "123-45-6789" or "123 45 6789" anywhere, bare "123456789" only
 * after "SSN"/"social security".
 */
export function usSsns(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  const sc = scanOf(text, scan);
  const starts = sc.runStarts;
  const ends = sc.runEnds;
  const n = starts.length;
  // Grouped: (?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-]|[.,]\d), i.e. three digit runs.
  for (let r = 0; r + 2 < n; r++) {
    const s = starts[r]!;
    if (ends[r]! - s !== 3 || starts[r + 1]! !== s + 4 || ends[r + 1]! !== s + 6 || starts[r + 2]! !== s + 7 || ends[r + 2]! !== s + 11) continue;
    const sep = text.charCodeAt(s + 3);
    if ((sep !== 45 && sep !== 32) || text.charCodeAt(s + 6) !== sep || !freeBefore(text, s) || !freeAfter(text, s + 11)) continue;
    if (!ssnPartsValid(text.slice(s, s + 3), text.slice(s + 4, s + 6), text.slice(s + 7, s + 11))) continue;
    const ctx = contextBefore(text, s, SSN_CONTEXT);
    // A space-separated 3-2-4 run is a common phone shape too; keep it only with context.
    if (sep === 32 && !ctx) continue;
    out.push(entity("US_SSN", s, s + 11, "us-ssn", ctx ? 0.95 : 0.85));
  }
  // Bare: nine digits, only after "SSN" and the like.
  for (let r = 0; r < n; r++) {
    const s = starts[r]!;
    if (!nineDigits(text, s, ends[r]!)) continue;
    if (ssnPartsValid(text.slice(s, s + 3), text.slice(s + 3, s + 5), text.slice(s + 5, s + 9)) && contextBefore(text, s, SSN_CONTEXT, 32)) {
      out.push(entity("US_SSN", s, s + 9, "us-ssn", 0.8));
    }
  }
  return out;
}

/**
 * Reads an identifier value at `from`: 5-20 characters of letters, digits and inner dashes
 * (or spaces between digit groups), with at least `minDigits` digits. Returns its end, or -1.
 */
function readIdValue(text: string, from: number, minDigits: number): number {
  let i = from;
  let digits = 0;
  const stop = Math.min(text.length, from + 24);
  while (i < stop) {
    const c = text.charCodeAt(i);
    if (isWordCode(c) && c !== 95) {
      if (c >= 48 && c <= 57) digits++;
      i++;
    } else if ((c === 45 || c === 32 || c === 47) && i > from && i + 1 < text.length && isDigitCode(text.charCodeAt(i + 1)) && isAlnumCode(text.charCodeAt(i - 1))) {
      // Inner separator: only between groups that continue with a digit.
      if (c === 32 && !isDigitCode(text.charCodeAt(i - 1))) break;
      i++;
    } else break;
  }
  if (i < text.length && isWordCode(text.charCodeAt(i))) return -1; // ran past the bound
  const len = i - from;
  return len >= 5 && len <= 20 && digits >= minDigits ? i : -1;
}

interface ContextRule {
  /**
   * Sticky, case-insensitive: tried where `PiiScan.keywordStarts` says a keyword may start (a
   * new keyword needs its prefix in `KEYWORD_START_RE` too).
   */
  re: RegExp;
  type: (keyword: string, text: string, at: number) => string;
  detector: string;
  minDigits: number;
  score: number;
}

const US_BEFORE = /\b(?:us|u\.s\.|united states|american)\s*$/i;

const RULES: readonly ContextRule[] = [
  {
    re: /\bdriver'?s?\s?licen[cs]e(?:\s(?:number|no\b|num\b|id\b|#))?|\bdriving licen[cs]e(?:\s(?:number|no\b))?|\b(?:dl|dln)(?=\s?(?:#|no\b|number|:))/iy,
    type: () => "DRIVER_LICENSE",
    detector: "driver-license",
    minDigits: 4,
    score: 0.8,
  },
  {
    re: /\bpassport(?:\s(?:number|no\b|num\b|id\b|#))?/iy,
    type: (_k, text, at) => (US_BEFORE.test(text.slice(Math.max(0, at - 20), at)) ? "US_PASSPORT" : "PASSPORT"),
    detector: "passport",
    minDigits: 5,
    score: 0.8,
  },
  {
    re: /\b(?:tax(?:payer)? (?:id(?:entification)?|number|no\b|reference|code)|tin\b|itin\b|ein\b|fein\b|vat (?:id|number|no\b|reg(?:istration)?(?: number| no\b)?)|vat\b|nino\b|ni number|national insurance(?: number| no\b)?|utr\b|steuer-?id|steuernummer|nif\b|codice fiscale|pan\b)/iy,
    type: () => "TAX_ID",
    detector: "tax-id",
    minDigits: 5,
    score: 0.75,
  },
];

/** NINO (UK): two prefix letters, six digits, suffix A-D; HMRC never issues D, F, I, Q, U, V. */
const NINO_RE = /^(?![DFIQUV])[A-Z](?![DFIQUVO])[A-Z]\d{6}[A-D]$/;

function contextIds(text: string, rule: ContextRule, scan: PiiScan | undefined): Entity[] {
  const out: Entity[] = [];
  const re = rule.re;
  let next = 0;
  for (const at of scanOf(text, scan).keywordStarts) {
    if (at < next) continue;
    re.lastIndex = at;
    if (!re.test(text)) continue;
    const keywordEnd = re.lastIndex;
    next = keywordEnd;
    const start = skipFiller(text, keywordEnd);
    if (start === keywordEnd && start < text.length && isAlnumCode(text.charCodeAt(start))) continue;
    const minDigits = rule.detector === "tax-id" && NINO_RE.test(text.slice(start, start + 9).toUpperCase()) ? 6 : rule.minDigits;
    const end = readIdValue(text, start, minDigits);
    if (end < 0) continue;
    out.push(entity(rule.type(text.slice(at, keywordEnd), text, at), start, end, rule.detector, rule.score));
  }
  return out;
}

/** Driver's licence numbers after "driver's license (number)", "DL #" and the like. */
export function driverLicenses(text: string, scan?: PiiScan): Entity[] {
  return contextIds(text, RULES[0]!, scan);
}

/** Passport numbers after "passport (no.)"; US_PASSPORT when "US"/"U.S." precedes. */
export function passports(text: string, scan?: PiiScan): Entity[] {
  return contextIds(text, RULES[1]!, scan);
}

/** Tax identifiers after TIN/EIN/ITIN/VAT/NINO/"tax id" and national equivalents. */
export function taxIds(text: string, scan?: PiiScan): Entity[] {
  return contextIds(text, RULES[2]!, scan);
}
