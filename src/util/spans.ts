/**
 * `text` with each span replaced by `replacement(span)`. Spans must be ascending and must not
 * overlap; callers resolve nesting first.
 *
 * @example replaceSpans("a secret b", [{ start: 2, end: 8 }], () => "[x]") // "a [x] b"
 */
export function replaceSpans<S extends { start: number; end: number }>(text: string, spans: Iterable<S>, replacement: (span: S) => string): string {
  let out = "";
  let from = 0;
  for (const s of spans) {
    out += text.slice(from, s.start) + replacement(s);
    from = s.end;
  }
  return out + text.slice(from);
}
