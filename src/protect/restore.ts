/**
 * Puts the originals back: the request side replaced an e-mail by `[EMAIL_1]`, the model
 * answers with `[EMAIL_1]`, and the client must read its own address. Only the placeholders
 * of this request's vault are replaced; any other `[LABEL_n]` is left as it is, because it
 * belongs to no one here (restoring across requests would leak another user's data).
 *
 * @example
 * const s = restoreScanner(new Map([["[EMAIL_1]", "alice@example.com"]]));
 * s.apply("write to [EMAIL_1] or [EMAIL_2]", "").text; // "write to alice@example.com or [EMAIL_2]"
 */
import type { OutputScanner, ScanResult } from "./types";

export interface RestoreOptions {
  /** The channel is the inside of a JSON string (tool-call arguments): originals are escaped. */
  json?: boolean;
}

export function restoreScanner(originals: ReadonlyMap<string, string>, opts: RestoreOptions = {}): OutputScanner {
  const values = new Map<string, string>();
  // Every proper prefix of a known placeholder: a tail that is one may still complete it.
  const prefixes = new Set<string>();
  let longest = 0;
  for (const [placeholder, value] of originals) {
    values.set(placeholder, opts.json === true ? JSON.stringify(value).slice(1, -1) : value);
    longest = Math.max(longest, placeholder.length);
    for (let n = 1; n < placeholder.length; n++) prefixes.add(placeholder.slice(0, n));
  }

  return {
    holdFrom(pending: string): number {
      if (values.size === 0) return pending.length;
      const at = pending.lastIndexOf("[");
      if (at === -1 || pending.length - at >= longest) return pending.length;
      return prefixes.has(pending.slice(at)) ? at : pending.length;
    },
    apply(text: string): ScanResult {
      if (values.size === 0) return { text, findings: [] };
      let out = "";
      let at = 0;
      for (let i = text.indexOf("["); i !== -1; i = text.indexOf("[", i + 1)) {
        // Look for the closing bracket only as far as the longest placeholder reaches, so a
        // text full of "[" stays linear.
        const stop = Math.min(text.length, i + longest);
        let j = i + 1;
        while (j < stop && text.charCodeAt(j) !== 93 /* ] */ && text.charCodeAt(j) !== 91 /* [ */) j++;
        if (j >= stop || text.charCodeAt(j) !== 93) continue;
        const value = values.get(text.slice(i, j + 1));
        if (value === undefined) continue;
        out += text.slice(at, i) + value;
        at = j + 1;
        i = j;
      }
      return { text: at === 0 ? text : out + text.slice(at), findings: [] };
    },
  };
}
