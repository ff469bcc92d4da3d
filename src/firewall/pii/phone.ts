/**
 * Phone numbers. A bounded regex proposes runs of digit groups (optionally "+CC", "00CC" and a
 * parenthesised area code); the run is then judged by shape and context. E.164 caps a number
 * at 15 digits; fewer than 7 is an extension or a short code, not a phone number.
 */
import type { Entity } from "../entity";
import { contextAfter, contextBefore, digitsOnly, entity } from "./scan";

const PHONE_RE =
  /(?<![\w+.\/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,8}){0,6}(?: ?(?:x|ext\.?) ?\d{1,5})?(?![\w\/]|-\d|[.,:]\d)/g;

const PHONE_CONTEXT = /\b(?:phone|tel|telephone|mobile|mob|cell|cellphone|fax|desk|office|call(?:ed|ing)?|contact|text|sms|whatsapp|dial|landline|hotline|number is|reach (?:me|us|him|her) at|answering at)\b/i;
const PHONE_AFTER = /^\s?[-(]?\s?(?:office|fax|mobile|cell|home|work|tel|phone)\b/i;
// Numbers that have a phone shape but are labelled as something else.
const NOT_PHONE_CONTEXT = /\b(?:order|invoice|ref|reference|isbn|tracking|ticket|po|account|acct|id|version|serial|case|zip|postal|card|iban|ssn|routing|amount|total|price|usd|eur|build|release|v)\b[^\n\d]{0,12}$/i;

function looksLikeDate(groups: readonly string[], sep: string): boolean {
  if (groups.length !== 3 || sep === " ") return false;
  const [a, b, c] = groups.map(Number) as [number, number, number];
  const la = groups[0]!.length;
  const lc = groups[2]!.length;
  if (la === 4) return b >= 1 && b <= 12 && c >= 1 && c <= 31;
  if (lc === 4 || lc === 2) return a >= 1 && a <= 31 && b >= 1 && b <= 31 && groups[0]!.length <= 2 && groups[1]!.length <= 2;
  return false;
}

/** ISBN-13 (978/979 prefix, weights 1-3) or ISBN-10 (weights 10..1, mod 11). */
function looksLikeIsbn(d: string): boolean {
  if (d.length === 13 && (d.startsWith("978") || d.startsWith("979"))) {
    let sum = 0;
    for (let i = 0; i < 13; i++) sum += (d.charCodeAt(i) - 48) * (i % 2 === 0 ? 1 : 3);
    return sum % 10 === 0;
  }
  return false;
}

/**
 * Phone numbers: international ("+44 20 7946 0958", "0049 30 ..."), US ("(415) 555-0132",
 * "415-555-0132"), and national trunk-prefixed forms (UK "020 7946 0958", DE "030 1234567",
 * FR "01 23 45 67 89"). Bare digit strings and unusual groupings need a phone keyword nearby.
 */
export function phoneNumbers(text: string): Entity[] {
  const out: Entity[] = [];
  for (const m of text.matchAll(PHONE_RE)) {
    // An extension ("x204", "ext. 12") is part of the span but not of the number.
    const ext = /(?: ?(?:x|ext\.?) ?\d{1,5})$/.exec(m[0]);
    const raw = ext === null ? m[0] : m[0].slice(0, ext.index);
    const start = m.index;
    const end = start + m[0].length;
    const digits = digitsOnly(raw);
    const intl = raw.startsWith("+") || (raw.startsWith("00") && raw.length > 2 && raw[2] !== "0");
    const national = intl && raw.startsWith("00") ? digits.slice(2) : digits;
    if (national.length < 7 || national.length > 15) continue;
    if (contextBefore(text, start, NOT_PHONE_CONTEXT, 30)) continue;
    if (looksLikeIsbn(digits)) continue;
    const bare = raw.replace(/^\+\d{1,3}[ .-]?/, "");
    const groups = bare.split(/[ .()-]+/).filter((g) => g.length > 0);
    const seps = raw.replace(/[\d+()]/g, "");
    const sep = seps[0] ?? "";
    const mixed = seps.replaceAll(sep, "").length > 0;
    const ctx = contextBefore(text, start, PHONE_CONTEXT, 32) || contextAfter(text, end, PHONE_AFTER);
    if (looksLikeDate(groups, sep)) continue;
    // Dotted runs: only the common 3-3-4 and 2-2-2-2-2 phone shapes, else IPs and versions.
    const shape = groups.map((g) => g.length).join("-");
    if (sep === "." && !intl && !["3-3-4", "2-2-2-2-2", "3-3-2-2", "4-3-3"].includes(shape)) continue;
    let score = 0;
    if (intl) {
      score = digits.length >= 8 ? 0.85 : 0;
    } else if (raw.startsWith("(")) {
      score = digits.length >= 10 ? 0.85 : 0.65;
    } else if (/^[2-9]\d\d-[2-9]\d\d-\d{4}$|^1[ -][2-9]\d\d[ -]\d{3}[ -]\d{4}$/.test(raw) || (shape === "3-3-4" && /^[2-9]/.test(raw) && !mixed)) {
      score = 0.8; // NANP
    } else if (digits.startsWith("0") && groups.length >= 2 && digits.length >= 9 && digits.length <= 12 && !mixed) {
      score = 0.7; // national trunk prefix: UK 0xxxx, DE 0xx, FR 0x
    } else if (ctx && (groups.length >= 2 || (digits.length >= 9 && digits.length <= 12))) {
      score = 0.7;
    }
    if (score === 0) continue;
    if (ctx) score = Math.min(0.95, score + 0.1);
    out.push(entity("PHONE_NUMBER", start, end, "phone", score));
  }
  return out;
}
