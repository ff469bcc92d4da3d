/**
 * Email and IP addresses. Both are found by hand-written scanners that expand around an anchor
 * character ('@', ':' or '.') by a bounded amount, then validate the whole candidate.
 */
import type { Entity } from "../entity";
import { contextBefore, entity, isWordCode, scanOf, type PiiScan } from "./scan";

// RFC 5321 §4.5.3.1: local part at most 64 octets, domain at most 255.
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

function isLocalChar(c: number): boolean {
  // The unquoted dot-atom subset of RFC 5322 §3.2.3 that real addresses use.
  return isWordCode(c) || c === 46 || c === 43 || c === 45 || c === 37 || c === 39;
}

function isDomainChar(c: number): boolean {
  return (isWordCode(c) && c !== 95) || c === 45 || c === 46;
}

/**
 * Email addresses: a dot-atom local part, '@', and a domain of at least two labels whose TLD
 * is two or more letters.
 * @example emailAddresses("mail jane.doe@example.org.") // span of "jane.doe@example.org"
 */
export function emailAddresses(text: string): Entity[] {
  const out: Entity[] = [];
  let prevEnd = 0;
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let s = at;
    const lo = Math.max(prevEnd, at - MAX_LOCAL);
    while (s > lo && isLocalChar(text.charCodeAt(s - 1))) s--;
    while (s < at && (text[s] === "." || text[s] === "'")) s++;
    if (s === at || text[at - 1] === ".") continue;
    let e = at + 1;
    const hi = Math.min(text.length, at + 1 + MAX_DOMAIN);
    while (e < hi && isDomainChar(text.charCodeAt(e))) e++;
    while (e > at + 1 && (text[e - 1] === "." || text[e - 1] === "-")) e--;
    if (e < text.length && (text[e] === "@" || isWordCode(text.charCodeAt(e)))) continue;
    const local = text.slice(s, at);
    const domain = text.slice(at + 1, e);
    if (local.includes("..") || !domainValid(domain) || inUrlUserinfo(text, s)) continue;
    out.push(entity("EMAIL_ADDRESS", s, e, "email", 0.95));
    prevEnd = e;
  }
  return out;
}

/** In "scheme://user:secret@host" the part before '@' is userinfo (RFC 3986 §3.2.1), not a mailbox. */
function inUrlUserinfo(text: string, localStart: number): boolean {
  let i = localStart;
  const lo = Math.max(0, localStart - 256);
  // Back to the start of the token (whitespace) or a '/', at most 256 characters.
  while (i > lo) {
    const c = text.charCodeAt(i - 1);
    if (c === 47 || c <= 32) break;
    i--;
  }
  return i >= 2 && text[i - 1] === "/" && text[i - 2] === "/" && text[i - 3] === ":";
}

function domainValid(domain: string): boolean {
  const labels = domain.split(".");
  if (labels.length < 2) return false;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63 || l.startsWith("-") || l.endsWith("-")) return false;
  }
  return /^[A-Za-z]{2,24}$/.test(labels[labels.length - 1]!);
}

// Sticky: tried at digit-run starts of one to three digits followed by '.', not preceded by
// a word character, '.' or ':' (the pattern's `(?<![\w.:])`).
const IPV4_RE = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/y;
const VERSION_CONTEXT = /(?:\bversion|\bver\.?|\bv|\brelease|\bbuild|\bfirmware|\bsdk|\bapi|\bchrome|\bnode|@)\s*:?\s*$/i;

function octetOk(s: string): boolean {
  return (s.length === 1 || s[0] !== "0") && Number(s) <= 255;
}

/** IPv4 dotted quads (each octet 0-255, no leading zeros) and validated IPv6 addresses. */
export function ipAddresses(text: string, scan?: PiiScan): Entity[] {
  const out: Entity[] = [];
  const sc = scanOf(text, scan);
  const starts = sc.runStarts;
  const ends = sc.runEnds;
  let next = 0;
  for (let r = 0; r < starts.length; r++) {
    const s = starts[r]!;
    if (s < next || ends[r]! - s > 3 || text.charCodeAt(ends[r]!) !== 46) continue;
    if (s > 0) {
      const b = text.charCodeAt(s - 1);
      if (isWordCode(b) || b === 46 || b === 58) continue;
    }
    IPV4_RE.lastIndex = s;
    const m = IPV4_RE.exec(text);
    if (m === null) continue;
    next = s + m[0].length;
    if (!(octetOk(m[1]!) && octetOk(m[2]!) && octetOk(m[3]!) && octetOk(m[4]!))) continue;
    if (contextBefore(text, s, VERSION_CONTEXT, 16)) continue;
    out.push(entity("IP_ADDRESS", s, next, "ipv4", 0.9));
  }
  return text.indexOf(":") === -1 ? out : out.concat(ipv6Addresses(text));
}

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isIpv6Code(c: number): boolean {
  return isHexCode(c) || c === 58 || c === 46;
}

/**
 * IPv6 per RFC 4291 §2.2, including "::" compression and a trailing dotted IPv4 part.
 * Candidates are the maximal runs of hex digits, ':' and '.' (leading dots dropped) that hold
 * a ':', found from each ':' outward.
 */
export function ipv6Addresses(text: string): Entity[] {
  const out: Entity[] = [];
  let done = 0; // every ':' before this index belongs to a run already judged
  for (let colon = text.indexOf(":"); colon !== -1; colon = text.indexOf(":", Math.max(colon + 1, done))) {
    if (colon < done) continue;
    let s = colon;
    while (s > done && isIpv6Code(text.charCodeAt(s - 1))) s--;
    while (text.charCodeAt(s) === 46) s++; // a run starts at a hex digit or ':', not at '.'
    let i = colon + 1;
    while (i < text.length && isIpv6Code(text.charCodeAt(i))) i++;
    done = i;
    let e = i;
    while (e > s && text[e - 1] === ".") e--; // sentence full stop
    if (e - s < 2 || e - s > 45) continue;
    if (s > 0 && isWordCode(text.charCodeAt(s - 1))) continue;
    if (e < text.length && isWordCode(text.charCodeAt(e))) continue;
    const cand = text.slice(s, e);
    if (ipv6Valid(cand)) out.push(entity("IP_ADDRESS", s, e, "ipv6", 0.9));
  }
  return out;
}

export function ipv6Valid(s: string): boolean {
  if (!s.includes(":")) return false;
  const dbl = s.indexOf("::");
  if (dbl !== -1 && s.indexOf("::", dbl + 1) !== -1) return false;
  let groups = 0;
  const parts = dbl === -1 ? [s] : [s.slice(0, dbl), s.slice(dbl + 2)];
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (part === "") continue;
    const hextets = part.split(":");
    for (let k = 0; k < hextets.length; k++) {
      const h = hextets[k]!;
      const last = p === parts.length - 1 && k === hextets.length - 1;
      if (last && h.includes(".")) {
        const o = h.split(".");
        if (o.length !== 4 || !o.every((x) => /^\d{1,3}$/.test(x) && octetOk(x))) return false;
        groups += 2;
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(h)) groups++;
      else return false;
    }
  }
  if (dbl === -1) return groups === 8;
  // "::" alone, or two one-character groups ("a::b"), is more often code than an address.
  if (groups === 0 || groups > 7) return false;
  return groups >= 3 || s.startsWith("::") || /[0-9A-Fa-f]{2}/.test(s);
}
