/**
 * Response protection's shared vocabulary. Every output check is an `OutputScanner`: it says
 * how much of a stream's unreleased tail it must still hold back, and it rewrites (or only
 * reports on) text that is ready to go out. `StreamTextGuard` (stream-text.ts) composes the
 * scanners for one text channel of a response; a plain response is the same guard fed once.
 *
 * Pure: no I/O, no clocks, no globals, so every scanner is tested by splitting its input at
 * every offset.
 */

/** What a rule says to do with something found in a response. */
export type OutputAction = "redact" | "block" | "flag" | "shadow" | "allow";

export interface OutputFinding {
  /** Which check found it. */
  kind: "pii" | "secret" | "link" | "canary" | "overlap";
  /** Entity type (`EMAIL_ADDRESS`, `OPENAI_API_KEY`), `IMAGE_LINK` / `LINK`, `CANARY`, `SYSTEM_PROMPT_OVERLAP`. */
  type: string;
  /** The action the rule gave; `shadow` means it was recorded and nothing changed. */
  action: OutputAction;
}

export interface ScanResult {
  /** The text to send; equal to the input when nothing was rewritten. */
  text: string;
  findings: OutputFinding[];
}

export interface OutputScanner {
  /**
   * Index into `pending` (unreleased text of the channel) from which the tail must be held
   * back because more text could still turn it into something this scanner acts on;
   * `pending.length` when nothing needs holding. Must only look at `pending`, and be cheap:
   * it runs on every chunk.
   */
  holdFrom(pending: string): number;
  /**
   * Processes text that is released now. `before` is already-released text of the same
   * channel that precedes it (a bounded look-back, read-only: context keywords such as
   * "password:" may sit there). Returns what to send instead and what was found.
   * A scanner may keep state between calls (it belongs to one channel of one response).
   */
  apply(text: string, before: string): ScanResult;
}

/** The result of feeding a channel: what to send now, and whether a `block` fired. */
export interface Release extends ScanResult {
  /** A finding with action `block`: the caller ends the response; `text` must not be sent. */
  blocked: boolean;
}
