/**
 * Redaction with typed placeholders that are consistent within one request: the same
 * e-mail address becomes `[EMAIL_1]` in every message, a second one `[EMAIL_2]`, so the
 * model still sees who is who. The vault keeps placeholder -> original for the request,
 * so response protection can put the originals back into what the client receives.
 */
import type { Entity } from "./entity";

/** Shorter placeholder labels for the common types; any other type is used as it is. */
const LABELS: Readonly<Record<string, string>> = {
  EMAIL_ADDRESS: "EMAIL",
  PHONE_NUMBER: "PHONE",
  CREDIT_CARD: "CARD",
  US_SSN: "SSN",
  IP_ADDRESS: "IP",
  DATE_OF_BIRTH: "DOB",
  PERSON: "NAME",
};

export function placeholderLabel(type: string): string {
  return LABELS[type] ?? type;
}

/** Per-request mapping; `originals` is what response protection restores. */
export class RedactionVault {
  private readonly byValue = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  readonly originals = new Map<string, string>();

  placeholderFor(type: string, value: string): string {
    const key = `${type}\u0000${value}`;
    const known = this.byValue.get(key);
    if (known !== undefined) return known;
    const label = placeholderLabel(type);
    const n = (this.counters.get(label) ?? 0) + 1;
    this.counters.set(label, n);
    const placeholder = `[${label}_${n}]`;
    this.byValue.set(key, placeholder);
    this.originals.set(placeholder, value);
    return placeholder;
  }

  get size(): number {
    return this.originals.size;
  }
}

/**
 * Replaces each entity span of `text` by its placeholder. Entities must not overlap
 * (`resolveOverlaps` guarantees it) and are applied in order of `start`.
 *
 * @example
 * redact("mail a@b.co", [{ type: "EMAIL_ADDRESS", start: 5, end: 11, detector: "email", score: 1 }], new RedactionVault())
 * // "mail [EMAIL_1]"
 */
export function redact(text: string, entities: readonly Entity[], vault: RedactionVault): string {
  if (entities.length === 0) return text;
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) continue;
    out += text.slice(at, e.start) + vault.placeholderFor(e.type, text.slice(e.start, e.end));
    at = e.end;
  }
  return out + text.slice(at);
}
