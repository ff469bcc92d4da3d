/**
 * The streaming text guard: one text channel of one response (choice 0's content, one tool
 * call's arguments) passes through the output scanners without ever sending a piece that a
 * later delta could turn into something a scanner must rewrite.
 *
 * Each delta is appended to the unreleased tail; every scanner says from where that tail must
 * still be held (`holdFrom`), and everything before the earliest such point is released
 * through the scanners' `apply`. Holding is bounded by `maxHold` so a stream that never breaks
 * (a long base64 blob) cannot grow memory or stall the client without limit.
 *
 * @example
 * const guard = new StreamTextGuard({ scanners: [entityScanner({ action: () => "redact" })] });
 * guard.push("mail alice@exa").text; // "mail "
 * guard.push("mple.com now").text;   // "[EMAIL_REDACTED] "
 * guard.flush().text;                // "now"
 */
import type { OutputFinding, OutputScanner, Release } from "./types";

const DEFAULT_MAX_HOLD = 512;
const DEFAULT_LOOKBACK = 256;

export interface StreamTextGuardOptions {
  scanners: readonly OutputScanner[];
  /** Most characters held back at any time (default 512). */
  maxHold?: number;
  /** How much already-released text each scanner sees as `before` (default 256). */
  lookback?: number;
}

export class StreamTextGuard {
  private readonly scanners: readonly OutputScanner[];
  private readonly maxHold: number;
  private readonly lookback: number;
  private pending = "";
  /** The last `lookback` characters sent to the client. */
  private sent = "";
  private blocked = false;

  constructor(opts: StreamTextGuardOptions) {
    this.scanners = opts.scanners;
    this.maxHold = Math.max(1, opts.maxHold ?? DEFAULT_MAX_HOLD);
    this.lookback = Math.max(0, opts.lookback ?? DEFAULT_LOOKBACK);
  }

  /** Characters received but not yet released (for metrics and tests). */
  get held(): number {
    return this.pending.length;
  }

  push(delta: string): Release {
    if (this.blocked) return stopped();
    this.pending += delta;
    const len = this.pending.length;
    let cut = len;
    for (const s of this.scanners) cut = Math.min(cut, s.holdFrom(this.pending));
    if (len - cut > this.maxHold) {
      // Forced release. Keeping only half of maxHold (not all of it) means a long unbroken
      // run is released in large pieces: a PEM block's first piece then carries its header
      // and enough body to be recognised as a key, and the scanners run less often.
      cut = len - (this.maxHold >> 1);
      // Never split a surrogate pair across two releases.
      const c = this.pending.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
    }
    if (cut <= 0) return { text: "", findings: [], blocked: false };
    const raw = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    return this.release(raw);
  }

  /** End of the channel: releases everything still held. */
  flush(): Release {
    if (this.blocked) return stopped();
    const raw = this.pending;
    this.pending = "";
    return raw === "" ? { text: "", findings: [], blocked: false } : this.release(raw);
  }

  private release(raw: string): Release {
    const r = runScanners(raw, this.scanners, this.sent);
    if (r.blocked) {
      this.blocked = true;
      this.pending = "";
      return r;
    }
    if (this.lookback > 0) this.sent = (this.sent + r.text).slice(-this.lookback);
    return r;
  }
}

/**
 * One-shot protection of a complete (non-streamed) text: the scanners see all of it at once,
 * which is what the streaming guard converges to (tests compare the two at every split).
 *
 * @example
 * protectText("key sk-proj-…", [entityScanner({ action: () => "redact" })]).text; // "key [OPENAI_API_KEY_REDACTED]"
 */
export function protectText(text: string, scanners: readonly OutputScanner[]): Release {
  return text === "" ? { text: "", findings: [], blocked: false } : runScanners(text, scanners, "");
}

function runScanners(raw: string, scanners: readonly OutputScanner[], before: string): Release {
  let text = raw;
  // Made only when a scanner finds something: most pieces of a stream find nothing.
  let findings: OutputFinding[] | undefined;
  for (const s of scanners) {
    const r = s.apply(text, before);
    text = r.text;
    if (r.findings.length > 0) (findings ??= []).push(...r.findings);
  }
  if (findings === undefined) return { text, findings: [], blocked: false };
  const blocked = findings.some((f) => f.action === "block");
  // A block ends the response: nothing of this piece may reach the client.
  return blocked ? { text: "", findings, blocked } : { text, findings, blocked };
}

function stopped(): Release {
  return { text: "", findings: [], blocked: true };
}
