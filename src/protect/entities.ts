/**
 * PII and secrets in what the model sends back, found by the same detectors as the request
 * side. A redacted span becomes `[<LABEL>_REDACTED]`, deliberately unlike the request's
 * `[LABEL_n]` placeholders: a redaction must never be mistaken for something to restore.
 *
 * Streaming is the hard part: a key or an e-mail address arrives over several deltas, so
 * `holdFrom` keeps back any tail that could still grow into an entity. It works on the shape
 * of the tail (cheap, linear) and asks the detectors only about a short window at its end.
 *
 * @example
 * const s = entityScanner({ action: () => "redact" });
 * s.apply("write to alice@example.com", "").text; // "write to [EMAIL_REDACTED]"
 */
import { resolveOverlaps, type Entity } from "../firewall/entity";
import { detectPii } from "../firewall/pii/index";
import { isSecretType } from "../firewall/policy";
import { placeholderLabel } from "../firewall/redact";
import { detectSecrets } from "../firewall/secrets/index";
import type { OutputAction, OutputFinding, OutputScanner, ScanResult } from "./types";

export interface EntityScannerOptions {
  /** What to do with an entity of this type (`EMAIL_ADDRESS`, `OPENAI_API_KEY`, ...). */
  action: (type: string) => OutputAction;
}

/** Characters that occur inside e-mails, keys, tokens, JWTs, URLs with credentials and IPs. */
const RUN = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._-+/=:%");
/** Characters of a group that may continue across a separator: "4111", "+44", "WEST", "123-45". */
const GROUP = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
/** Separators inside card numbers, phone numbers, IBANs, names and addresses. */
const SEPARATOR = charTable(" (),\u00a0");
const BASE64 = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");

/** How far back the detectors look for an entity that touches the end of the tail. */
const DETECT_WINDOW = 128;
/** How far a held entity may end before the end of the tail ("a@b.co." still grows). */
const TOUCH = 2;
/** A value after one of these may hold any non-space characters ("password: hunter2!x"). */
const SECRET_WORD_RE = /pass|pwd|\bpin\b|\bpw\b|secret|token|key|auth/i;
const SECRET_WORD_WINDOW = 40;
/**
 * Released text the detectors re-read before each new piece: enough for every context
 * keyword window (40 characters before an entity, src/firewall/pii/scan.ts) plus the
 * keyword itself. Not the guard's whole look-back: this runs on every delta of a stream,
 * and the detectors' cost grows with the text they read.
 */
const CONTEXT_WINDOW = 80;
const TOKEN_WINDOW = 128;
/** RFC 7468 footers of the private key labels `privateKeys` reads (and PGP's). */
const FOOTER_RE = /-----END (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const PARTIAL_FOOTER_RE = /^(?:-{1,5}(?:E|EN|END)?|-----END [A-Z0-9 ]{0,60}-{0,4})$/;

export function entityScanner(opts: EntityScannerOptions): OutputScanner {
  return new EntityScanner(opts.action);
}

class EntityScanner implements OutputScanner {
  /**
   * Inside a private key whose header was already redacted: a PEM block is longer than what
   * the guard may hold, so its body arrives in pieces that no detector would recognise alone.
   */
  private inKey = false;
  /** Line breaks seen in a key body at the end of the last piece: dropped if the body goes on. */
  private keyBreaks = "";
  /** The last piece ended with the backslash of a "\n" escape. */
  private escape = false;
  /** The start of an END line that the last piece ended in. */
  private footer = "";
  /**
   * This scanner's own input so far (its last HISTORY characters; `seen` counts all of it):
   * the context of the next piece. Its own input, not the `before` the guard passes (what the
   * client got): a one-shot scan sees the provider's text, and a placeholder restored later in
   * the chain must not run into the text after it and hide an entity there ("[EMAIL_1]AKIA…").
   */
  private history = "";
  private seen = 0;
  /**
   * Where the last context keyword in the input ends (offset in the channel's text), found
   * piece by piece so that no piece searches its whole context again; -1: none yet.
   */
  private wordEnd = -1;

  constructor(private readonly action: (type: string) => OutputAction) {}

  /** Takes `text` (ending `all`, after the history) into the history and the keyword record. */
  private remember(all: string, text: string): void {
    const from = Math.max(0, all.length - text.length - KEYWORD_SPAN);
    const region = all.slice(from);
    const base = this.seen - (all.length - text.length - from);
    ENTITY_WORD_G.lastIndex = 0;
    // A global search skips a keyword that starts inside the one before it; such a keyword
    // starts before that one's end, so taking ends keeps "a keyword in the last n characters"
    // true whenever it really is (the test in `apply` may say yes too often, never too rarely).
    while (ENTITY_WORD_G.test(region)) this.wordEnd = Math.max(this.wordEnd, base + ENTITY_WORD_G.lastIndex);
    this.seen += text.length;
    this.history = all.length > HISTORY ? all.slice(-HISTORY) : all;
  }

  holdFrom(pending: string): number {
    const len = pending.length;
    let hold = Math.min(trailingRun(pending), pemHold(pending));
    // The history's end is where a secret keyword may sit before a held value (it holds more
    // than the SECRET_WORD_WINDOW characters that look reads).
    hold = Math.min(hold, secretValueHold(pending, hold, this.history));
    // Entities with inner spaces or words that the shape rules do not follow (names,
    // "(020) 7946 0958", "date of birth: 12 March 1990").
    const w0 = Math.max(0, len - DETECT_WINDOW);
    const window = w0 === 0 ? pending : pending.slice(w0);
    if (!mayGrowEntity(window)) return hold;
    for (const e of detect(window)) {
      if (e.end >= window.length - TOUCH) hold = Math.min(hold, w0 + e.start);
    }
    return hold;
  }

  apply(text: string, before: string): ScanResult {
    // A scanner given text it has not seen the start of (used on its own): `before` stands in.
    if (this.seen === 0 && before !== "") {
      this.remember(before.slice(-HISTORY), before.slice(-HISTORY));
    }
    const all = this.history + text;
    const start = this.seen - this.history.length; // where `all` begins in the channel's text
    const wordEnd = this.wordEnd; // keywords before this piece
    this.remember(all, text);
    const findings: OutputFinding[] = [];
    let out = "";
    let rest = text;
    if (this.inKey) {
      const piece = this.footer + text;
      this.footer = "";
      const k = this.skipKeyBody(piece, 0);
      if (this.inKey) return { text: "", findings };
      out = k.emit;
      rest = piece.slice(k.end);
    }
    // `rest` ends `all` (a held footer is the history's end); the context is what precedes it.
    const restAt = all.length - rest.length;
    const c0 = Math.max(0, restAt - CONTEXT_WINDOW);
    // The released text decides, with the context only for its keywords: an entity that
    // overlaps `rest` has its digits, capitals or key characters there, unless it began in
    // released text (possible only after a forced release, and then only its tail changes).
    // Most stream deltas end here, without joining or copying any more text.
    if (!mayHoldEntity(rest) && !(rest === text ? wordEnd > start + c0 || startsPw(all, c0) : ENTITY_WORD_RE.test(all.slice(c0, restAt)))) {
      return { text: out === "" ? rest : out + rest, findings };
    }
    const ctx = all.slice(c0);
    const b = restAt - c0;
    let at = b;
    for (const e of detect(ctx)) {
      // Spans inside a key body that was just consumed are part of the key.
      if (e.end <= at || (at > b && e.start < at)) continue;
      const action = this.action(e.type);
      if (action === "allow") continue;
      findings.push({ kind: isSecretType(e.type) ? "secret" : "pii", type: e.type, action });
      if (action !== "redact") continue;
      // An entity that began in already-released text: only its unreleased part can change.
      out += ctx.slice(at, Math.max(e.start, at)) + `[${placeholderLabel(e.type)}_REDACTED]`;
      at = e.end;
      if (e.type === "PRIVATE_KEY" && ctx.lastIndexOf("-----END", e.end) < e.start) {
        // A key without its END line yet: the rest of its body may be in the next pieces.
        const k = this.skipKeyBody(ctx, at);
        out += k.emit;
        at = k.end;
      }
    }
    return { text: out + ctx.slice(at), findings };
  }

  /**
   * Consumes key body and the END line from `i`, reading what `privateKeys` reads as body
   * (base64, spaces, line breaks real or "\n"-escaped), so a key streamed in pieces ends
   * where the one-shot detector would end it. `inKey` stays set when the text ends inside.
   */
  private skipKeyBody(s: string, i: number): { end: number; emit: string } {
    let data = i;
    let ended = false;
    while (i < s.length && !ended) {
      const c = s.charCodeAt(i);
      if (this.escape) {
        // The previous piece ended with the backslash of "\n".
        this.escape = false;
        if (c === 110 /* n */ || c === 114 /* r */) i++;
        else ended = true;
      } else if (c < 128 && BASE64[c] === 1) {
        data = ++i;
        this.keyBreaks = "";
      } else if (c === 10 || c === 13 || c === 32 || c === 9) {
        i++;
      } else if (c === 92 /* \ */ && i + 1 === s.length) {
        this.escape = true;
        i++;
      } else if (c === 92 && (s[i + 1] === "n" || s[i + 1] === "r")) {
        i += 2;
      } else if (c === 45 /* - */) {
        FOOTER_RE.lastIndex = i;
        if (FOOTER_RE.test(s)) {
          this.inKey = false;
          this.keyBreaks = "";
          return { end: FOOTER_RE.lastIndex, emit: "" };
        }
        if (PARTIAL_FOOTER_RE.test(s.slice(i))) {
          // The END line is cut by the piece boundary: finish reading it with the next piece.
          this.inKey = true;
          this.keyBreaks += s.slice(data, i);
          this.footer = s.slice(i);
          return { end: s.length, emit: "" };
        }
        ended = true;
      } else {
        ended = true;
      }
    }
    if (!ended) {
      this.inKey = true;
      this.keyBreaks += s.slice(data);
      return { end: s.length, emit: "" };
    }
    // The body ended without an END line (a truncated key): what follows is ordinary text,
    // including the breaks held back from the previous piece.
    const emit = this.keyBreaks;
    this.inKey = false;
    this.keyBreaks = "";
    this.escape = false;
    return { end: data, emit };
  }
}

/** Every detector needs one of these (digits, capitals of any script, key and token shapes). */
const ENTITY_CHAR_RE = /[\p{Lu}\p{Nd}@_\-:=]/u;
/** ... or one of these context keywords (passwords, PINs, dates of birth, secrets). */
const ENTITY_WORD_RE = /pass|pwd|\bpw\b|pin|secret|token|key|login|cred|auth|sign|born|birth|dob|d\.o\.b|geburt|geboren|nacimiento/i;
const ENTITY_WORD_G = new RegExp(ENTITY_WORD_RE.source, "gi");
/** Longer than any match of ENTITY_WORD_RE plus the character its `\b` looks at. */
const KEYWORD_SPAN = 12;
/** Input kept for the next piece's context (and for a secret keyword before a held value: at least SECRET_WORD_WINDOW). */
const HISTORY = CONTEXT_WINDOW;

/**
 * Whether "pw" stands at `at`: the one keyword that a search of the context alone finds there
 * (its `\b` holds at the context's edge) and a search of the whole text may not.
 */
function startsPw(s: string, at: number): boolean {
  return (s.charCodeAt(at) | 32) === 112 && (s.charCodeAt(at + 1) | 32) === 119;
}

/**
 * Whether `text` can hold an entity at all. Most stream deltas are lower-case words, and the
 * detectors' fixed cost per call is most of what protecting them costs. Checked, not assumed:
 * on the development, generated and PII sets rewritten to lack these characters and words
 * (17,878 texts) and on 220,000 random lower-case strings (with vendor key prefixes), the
 * detectors found nothing. A detector that starts to need less must widen this test.
 */
export function mayHoldEntity(text: string): boolean {
  return ENTITY_CHAR_RE.test(text) || ENTITY_WORD_RE.test(text);
}

/** Person-name cues (src/firewall/pii/context.ts): a capital alone makes no entity without one. */
const NAME_CUE_RE = /\b(?:mrs?|ms|mx|dr|prof|miss|sir|madam|mme|herr|frau|name|dear|hi|hello|patient|customer|client|employee|signed|regards|sincerely)\b/i;
const ENTITY_CHAR_NO_CAPITAL_RE = /[\p{Nd}@_\-:=]/u;
const CAPITAL_RE = /\p{Lu}/u;

/**
 * The held tail's version of `mayHoldEntity`: a trailing run of capitals (a key, an IBAN
 * group) is held by the shape rules already, so here capitals count only next to a name cue.
 */
function mayGrowEntity(window: string): boolean {
  return ENTITY_CHAR_NO_CAPITAL_RE.test(window) || ENTITY_WORD_RE.test(window) || (CAPITAL_RE.test(window) && NAME_CUE_RE.test(window));
}

function detect(text: string): Entity[] {
  return resolveOverlaps([...detectPii(text), ...detectSecrets(text)]);
}

/**
 * Start of the trailing entity-like fragment: the last run of RUN characters, extended back
 * over short separators while both sides are digit or upper-case groups (card numbers,
 * "+44 20 7946 0958", "GB82 WEST 1234 ..."). Lower-case prose stops it at the last word.
 */
function trailingRun(s: string): number {
  // "4111 " or "+44 (" may still go on with the next group.
  let end = s.length;
  while (end > 0 && s.length - end < 2 && isIn(SEPARATOR, s.charCodeAt(end - 1))) end--;
  // A trailing "(" may open an area code.
  const open = s.charCodeAt(s.length - 1) === 40 ? s.length - 1 : s.length;
  let r = runStart(s, end);
  if (r === end) return end === s.length ? end : open;
  const groupOk = isGroup(s, r, end);
  if (end < s.length && !groupOk) return open;
  while (groupOk && r > 0) {
    let k = r;
    while (k > 0 && r - k < 2 && isIn(SEPARATOR, s.charCodeAt(k - 1))) k--;
    if (k === r || k === 0) break;
    const prev = runStart(s, k);
    if (prev === k || !isIn(RUN, s.charCodeAt(k - 1)) || !isGroup(s, prev, k)) break;
    r = prev;
  }
  // "(555) 123-4567": the area code's parenthesis belongs to the number.
  if (groupOk && r > 0 && s.charCodeAt(r - 1) === 40) r--;
  return r;
}

function runStart(s: string, end: number): number {
  let i = end;
  while (i > 0 && isIn(RUN, s.charCodeAt(i - 1))) i--;
  return i;
}

/**
 * A digit or upper-case group ("4111", "+44", "WEST", "123-45"), or a capitalised word
 * ("John", "Mr.", "March"): names, addresses and dates are runs of those.
 */
function isGroup(s: string, from: number, to: number): boolean {
  if (to - from >= 2 && isTitleWord(s, from, to)) return true;
  let alnum = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isIn(GROUP, c)) return false;
    if (c !== 43 && c !== 45 && c !== 46) alnum = true;
  }
  return alnum;
}

function isTitleWord(s: string, from: number, to: number): boolean {
  const first = s.charCodeAt(from);
  if (first < 65 || first > 90) return false;
  if (s.charCodeAt(to - 1) === 46 /* . */) to--;
  for (let i = from + 1; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/**
 * A PEM block is held from its BEGIN line until its END line is complete, so a key short
 * enough to fit in the hold is redacted whole; a partial END line is held too.
 */
function pemHold(s: string): number {
  const begin = s.lastIndexOf("-----BEGIN");
  const end = s.lastIndexOf("-----END");
  if (begin > end) return begin;
  if (end === -1) return s.length;
  if (s.indexOf("-----", end + 8) !== -1) return s.length;
  return begin !== -1 ? begin : end;
}

/**
 * A context secret may contain characters outside RUN ("password: hunter2!x"): near a secret
 * keyword, the whole trailing non-space token is held.
 */
function secretValueHold(s: string, hold: number, released: string): number {
  let t = s.length;
  while (t > 0 && s.length - t < TOKEN_WINDOW && !isSpace(s.charCodeAt(t - 1))) t--;
  if (t >= hold || (t > 0 && !isSpace(s.charCodeAt(t - 1)))) return hold;
  // The keyword may already have been released ("password: " sent, "Hunter2!" still here).
  const near = t < SECRET_WORD_WINDOW ? released.slice(-SECRET_WORD_WINDOW) + s.slice(0, t) : s.slice(t - SECRET_WORD_WINDOW, t);
  return SECRET_WORD_RE.test(near + s.slice(t)) ? t : hold;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0;
}

function isIn(table: Uint8Array, c: number): boolean {
  return c < 128 && table[c] === 1;
}

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}
