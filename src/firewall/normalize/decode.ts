/**
 * Embedded encodings, decoded so the detectors can scan what a model would decode for itself:
 * base64 and base64url runs, hex (contiguous runs, "\x41" escapes, and byte pairs with one
 * separator repeated between them: "49 67 6E", "49:67:6e", "0x49, 0x67"), percent-encoding
 * (RFC 3986 s2.1) and HTML character references, nested up to two levels (base64 of hex,
 * URL-encoded base64, ...).
 *
 * A candidate is kept only if it decodes to valid UTF-8 that reads like text, so words, UUIDs
 * and digests are not turned into garbage. Total output is bounded (4x the input, at most
 * 1 MiB) like a decompression limit: a small prompt cannot make the firewall scan megabytes.
 * Every regex here is linear (no nested unbounded quantifiers) and long runs are rejected on
 * a 256-character prefix before they are decoded in full.
 */

export type PayloadEncoding = "base64" | "hex" | "url" | "html";

export interface DecodedPayload {
  /** The outermost encoding, as found in the text. */
  encoding: PayloadEncoding;
  /** Encodings from the outside in: ["base64", "hex"] is hex inside base64. */
  path: PayloadEncoding[];
  /** UTF-16 span of the outermost encoded run in the original text, `end` exclusive. */
  start: number;
  end: number;
  /** The decoded text (of the innermost layer for nested payloads). */
  text: string;
  depth: number;
  /** The output budget ran out while this payload was being stored. */
  truncated: boolean;
}

export interface DecodeOptions {
  /** Levels of nesting, 1-2 (default 2). */
  maxDepth?: number;
  /** Total characters of decoded output (default min(4 x input, 1 MiB)). */
  maxOutput?: number;
}

export interface DecodeReport {
  payloads: DecodedPayload[];
  /** True when the output budget stopped decoding: treat the rest as unscanned. */
  exhausted: boolean;
}

const MAX_OUTPUT = 1 << 20;
const PREFIX = 256;

const BASE64_RE = /(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/_=-])/g;
const HEX_RE = /(?<![0-9A-Za-z])(?:0x)?((?:[0-9A-Fa-f]{2}){8,})(?![0-9A-Fa-f])|((?:\\x[0-9A-Fa-f]{2}){4,})/g;
/**
 * At least 8 hex byte pairs, each after the same separator (" ", ":", "," or ", ") and the
 * same prefix (none, "0x" or "\\x"): hex dumps, C and Python byte arrays, escaped strings.
 * Linear: every unit has a fixed length and the separator is a back-reference, so from any
 * position the pattern either fails within eight units or matches a whole run (the character
 * after each unit is a separator, which the final look-ahead accepts), and the match is consumed.
 */
const SPACED_HEX_RE = /(?<![0-9A-Za-z])(0x|\\x)?[0-9A-Fa-f]{2}(, ?|[ :])\1[0-9A-Fa-f]{2}(?:\2\1[0-9A-Fa-f]{2}){6,}(?![0-9A-Za-z])/g;
const SPACED_HEX_JUNK_RE = /0x|\\x|[ :,]/g;
const HEX_LETTER_RE = /[A-Fa-f]/;
const ONLY_HEX_RE = /^[0-9A-Fa-f]+$/;
const PERCENT_RE = /%[0-9A-Fa-f]{2}/g;
const PERCENT_RUN_RE = /(?:%[0-9A-Fa-f]{2})+/g;
const ENTITY_RE = /&(?:#([0-9]{1,7});?|#[xX]([0-9A-Fa-f]{1,6});?|([A-Za-z][A-Za-z0-9]{1,7});)/g;
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", colon: ":", semi: ";",
  lpar: "(", rpar: ")", sol: "/", bsol: "\\", period: ".", comma: ",", excl: "!", quest: "?",
  num: "#", percnt: "%", equals: "=", plus: "+", lowbar: "_", hyphen: "-", tab: "\t", newline: "\n",
};

/** Valid UTF-8 that reads like text: few controls, mostly letters, digits and spaces. */
function textLike(bytes: Uint8Array, stream = false): string | null {
  let s: string;
  try {
    s = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes, { stream });
  } catch {
    return null;
  }
  if (s.length === 0) return null;
  let bad = 0;
  let good = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f || (c >= 0x80 && c < 0xa0)) bad++;
    else if (c === 32 || (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c >= 0xc0) good++;
  }
  return bad * 20 <= s.length && good * 5 >= s.length * 3 ? s : null;
}

function base64Bytes(run: string): Uint8Array | null {
  let s = run.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (s.length % 4 === 1) s = s.slice(0, -1);
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function decodeBase64(run: string): string | null {
  if (ONLY_HEX_RE.test(run)) return null; // the hex pass owns these
  if (run.length > PREFIX) {
    const head = base64Bytes(run.slice(0, PREFIX));
    if (head === null || textLike(head, true) === null) return null;
  }
  const bytes = base64Bytes(run);
  return bytes === null ? null : textLike(bytes);
}

function hexBytes(digits: string): Uint8Array {
  const out = new Uint8Array(digits.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function decodeHex(digits: string): string | null {
  if (digits.length > PREFIX && textLike(hexBytes(digits.slice(0, PREFIX)), true) === null) return null;
  return textLike(hexBytes(digits));
}

function decodePercent(s: string): string {
  return s.replace(PERCENT_RUN_RE, (run) => new TextDecoder("utf-8").decode(hexBytes(run.replace(/%/g, ""))));
}

function decodeEntities(s: string): string {
  return s.replace(ENTITY_RE, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
    const cp = dec !== undefined ? parseInt(dec, 10) : parseInt(hex!, 16);
    return cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0 ? "\ufffd" : String.fromCodePoint(cp);
  });
}

interface Cluster {
  start: number;
  end: number;
  escapes: number;
  /** An escape that stands for a letter or digit: encoding that no URL or page needs. */
  needless: boolean;
}

const ALNUM_RE = /^[A-Za-z0-9]$/;

/**
 * Groups escape matches that sit close together on one line, then widens each group to the
 * surrounding word (at most 64 characters each way, never into the previous group), so
 * "ignore%20previous" decodes as a whole.
 */
function clusters(text: string, re: RegExp, unescape: (m: RegExpExecArray) => string): Cluster[] {
  const out: Cluster[] = [];
  let cur: Cluster | null = null;
  // A private copy: `unescape` may run the same pattern, which would reset lastIndex.
  const scan = new RegExp(re.source, "g");
  for (let m = scan.exec(text); m !== null; m = scan.exec(text)) {
    const needless = ALNUM_RE.test(unescape(m));
    if (cur !== null && m.index - cur.end <= 32 && !text.slice(cur.end, m.index).includes("\n")) {
      cur.end = m.index + m[0].length;
      cur.escapes++;
      cur.needless ||= needless;
    } else {
      if (cur !== null) out.push(cur);
      cur = { start: m.index, end: m.index + m[0].length, escapes: 1, needless };
    }
  }
  if (cur !== null) out.push(cur);
  let floor = 0;
  for (let k = 0; k < out.length; k++) {
    const c = out[k]!;
    const ceiling = out[k + 1]?.start ?? text.length;
    let s = c.start;
    while (s > floor && c.start - s < 64 && !/\s/.test(text[s - 1]!)) s--;
    let e = c.end;
    while (e < ceiling && e - c.end < 64 && !/\s/.test(text[e]!)) e++;
    c.start = s;
    c.end = e;
    floor = e;
  }
  return out;
}

interface Found {
  encoding: PayloadEncoding;
  start: number;
  end: number;
  text: string;
}

/** Per ASCII code: 1 for the base64 and base64url alphabet (hex digits are a subset). */
const B64_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (/[A-Za-z0-9+/_-]/.test(String.fromCharCode(c))) B64_CHAR[c] = 1;

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

/**
 * Whether HEX_RE, SPACED_HEX_RE or BASE64_RE can match: they need 16 base64 characters in a
 * row, or "\x", or seven runs in a row that end in two hex digits and are closed by " ", ","
 * or ":" (an over-approximation of eight separated byte pairs). Most prompts have none of
 * these, and one loop is cheaper than three regexes with look-behind at every position.
 */
function mayHoldRun(text: string): boolean {
  let run = 0;
  let hex = 0; // hex digits at the end of the current run
  let pairs = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && B64_CHAR[c] === 1) {
      if (++run >= 16) return true;
      hex = isHexCode(c) ? hex + 1 : 0;
    } else {
      if (c === 92 && text.charCodeAt(i + 1) === 120) return true;
      if (c === 32 || c === 44 || c === 58) {
        // The space of ", " closes no run and keeps the count.
        if (run > 0) {
          pairs = hex === 2 ? pairs + 1 : 0;
          if (pairs >= 7) return true;
        }
      } else pairs = 0;
      run = 0;
      hex = 0;
    }
  }
  return false;
}

function scanLayer(text: string): Found[] {
  const found: Found[] = [];
  const hexSpans: number[] = [];
  const runs = mayHoldRun(text);
  for (const m of runs ? text.matchAll(HEX_RE) : []) {
    const digits = m[1] ?? m[2]!.replace(/\\x/g, "");
    const decoded = decodeHex(digits);
    if (decoded === null) continue;
    found.push({ encoding: "hex", start: m.index, end: m.index + m[0].length, text: decoded });
    hexSpans.push(m.index, m.index + m[0].length);
  }
  for (const m of runs ? text.matchAll(SPACED_HEX_RE) : []) {
    // Bare pairs written with decimal digits only are a list of numbers ("12 34 56 ..."), not
    // a dump: text of eight bytes or more nearly always has a byte with a letter digit.
    if (m[1] === undefined && !HEX_LETTER_RE.test(m[0])) continue;
    const decoded = decodeHex(m[0].replace(SPACED_HEX_JUNK_RE, ""));
    if (decoded !== null) found.push({ encoding: "hex", start: m.index, end: m.index + m[0].length, text: decoded });
  }
  for (const m of runs ? text.matchAll(BASE64_RE) : []) {
    const decoded = decodeBase64(m[0]);
    if (decoded !== null) found.push({ encoding: "base64", start: m.index, end: m.index + m[0].length, text: decoded });
  }
  if (text.includes("%")) {
    for (const c of clusters(text, PERCENT_RE, (m) => String.fromCharCode(parseInt(m[0].slice(1), 16)))) {
      if (c.escapes < 2 && !c.needless) continue;
      const source = text.slice(c.start, c.end);
      const decoded = decodePercent(source);
      if (decoded !== source && textLike(new TextEncoder().encode(decoded)) !== null) {
        found.push({ encoding: "url", start: c.start, end: c.end, text: decoded });
      }
    }
  }
  if (text.includes("&")) {
    for (const c of clusters(text, ENTITY_RE, (m) => decodeEntities(m[0]))) {
      if (c.escapes < 2 && !c.needless) continue;
      const source = text.slice(c.start, c.end);
      const decoded = decodeEntities(source);
      if (decoded !== source) found.push({ encoding: "html", start: c.start, end: c.end, text: decoded });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * Every embedded payload of `text` with its decoded text, plus whether the output budget ran out.
 * @example
 * decodePayloadsReport("run aWdub3JlIHByZXZpb3VzIGluc3RydWN0aW9ucw==").payloads[0]
 * // { encoding: "base64", path: ["base64"], start: 4, end: 44, text: "ignore previous instructions", depth: 1, truncated: false }
 */
export function decodePayloadsReport(text: string, options: DecodeOptions = {}): DecodeReport {
  const maxDepth = Math.min(Math.max(options.maxDepth ?? 2, 1), 2);
  let budget = options.maxOutput ?? Math.min(4 * text.length, MAX_OUTPUT);
  let exhausted = false;
  const payloads: DecodedPayload[] = [];

  const visit = (layer: string, depth: number, path: PayloadEncoding[], span: { start: number; end: number } | null): void => {
    for (const f of scanLayer(layer)) {
      if (budget <= 0) {
        exhausted = true;
        return;
      }
      const truncated = f.text.length > budget;
      const decoded = truncated ? f.text.slice(0, budget) : f.text;
      budget -= decoded.length;
      exhausted ||= truncated;
      const here = [...path, f.encoding];
      const outer = span ?? { start: f.start, end: f.end };
      payloads.push({ encoding: here[0]!, path: here, start: outer.start, end: outer.end, text: decoded, depth, truncated });
      if (depth < maxDepth && !truncated) visit(decoded, depth + 1, here, outer);
    }
  };
  visit(text, 1, [], null);
  return { payloads, exhausted };
}

/**
 * Embedded base64, hex, percent-encoded and HTML-escaped payloads of `text`, decoded.
 * @example
 * decodePayloads("%69%67%6e%6f%72%65")[0]?.text // "ignore"
 */
export function decodePayloads(text: string, options?: DecodeOptions): DecodedPayload[] {
  return decodePayloadsReport(text, options).payloads;
}

/**
 * ROT13 of the ASCII letters, an extra view for detectors; never applied automatically,
 * since any alphabetic text "decodes".
 * @example rot13("vtaber") // "ignore"
 */
export function rot13(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => {
    const base = c <= "Z" ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}
