/**
 * Rate limit response headers, per draft-ietf-httpapi-ratelimit-headers (-11):
 *
 *   ratelimit-policy: "rpm";q=60;w=60, "tpm";q=100000;qu="tokens";w=60
 *   ratelimit: "rpm";r=42;t=17, "tpm";r=99000;t=1
 *
 * Both fields are Structured Field Lists (RFC 9651 §3.1, the successor of RFC 8941): members
 * joined by ", ", each an Item whose bare value is a String (the policy name, quoted, §3.3.3)
 * followed by `;key=value` Parameters (§3.1.2) with Integer values (§3.3.1: at most 15
 * digits). `q` and `r` are integers in quota units, `w` and `t` whole seconds (§3.1.3, §4.1.2),
 * so durations are rounded UP: a client that waits `t` never arrives early.
 *
 * Units (draft §3.1.2, `qu`): requests are the default and carry no `qu`; concurrent streams
 * use the registered "concurrent-requests". Tokens and money have no registered unit yet;
 * they get `qu="tokens"` and `qu="usd-cents"` rather than silently claiming to be requests
 * (a client that does not know a unit can skip that one policy). Spend is shown in whole
 * cents because Integers cannot hold dollars and cents; remaining cents are rounded down.
 *
 * On a refusal, `retry-after` (seconds, rounded up) and `retry-after-ms` (which the OpenAI
 * SDKs read first) are added. The draft (§6) says Retry-After SHOULD NOT point earlier than
 * the end of the effective window, so the refusing policy's `t` is set to the same moment.
 */
import type { PolicyStatus } from "./policies";

export interface RateLimitRefusal {
  /** The policy that refused (AdmitResult `policy`). */
  policy: string;
  /** Infinity (retrying will not help) adds no retry headers. */
  retryAfterMs: number;
}

const SF_INTEGER_MAX = 999_999_999_999_999;

/** RFC 9651 §4.1.6: a String is DQUOTE-wrapped printable ASCII, with `"` and `\` escaped. */
export function sfString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length !== 1 || c < 0x20 || c > 0x7e) throw new RangeError("structured field strings are printable ASCII only");
    out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
  }
  return `${out}"`;
}

/** RFC 9651 §4.1.4: an Integer; ours are never negative and are clamped to 15 digits. */
function sfInteger(n: number): string {
  return String(Math.min(SF_INTEGER_MAX, Math.max(0, Number.isFinite(n) ? Math.floor(n) : 0)));
}

const toCents = (usd: number): number => Math.floor(Math.round(usd * 1e9) / 1e7);
const seconds = (ms: number): number => Math.ceil(Math.max(0, ms) / 1000);

const UNIT_PARAM: Record<PolicyStatus["unit"], string> = {
  requests: "",
  tokens: ';qu="tokens"',
  "concurrent-requests": ';qu="concurrent-requests"',
  usd: ';qu="usd-cents"',
};

/**
 * Header values for the configured policies, plus retry headers for a refusal.
 * No policies and no refusal give no headers.
 *
 * @example
 * rateLimitHeaders([{ name: "rpm", unit: "requests", limit: 60, remaining: 42, resetSeconds: 17, windowSeconds: 60 }])
 * // { "ratelimit-policy": '"rpm";q=60;w=60', ratelimit: '"rpm";r=42;t=17' }
 */
export function rateLimitHeaders(policies: readonly PolicyStatus[], refusal?: RateLimitRefusal): Record<string, string> {
  const headers: Record<string, string> = {};
  const retry = refusal !== undefined && Number.isFinite(refusal.retryAfterMs) ? Math.max(0, Math.ceil(refusal.retryAfterMs)) : undefined;
  if (policies.length > 0) {
    const policy: string[] = [];
    const limit: string[] = [];
    for (const p of policies) {
      const amount = (n: number): string => sfInteger(p.unit === "usd" ? toCents(n) : n);
      const name = sfString(p.name);
      policy.push(`${name};q=${amount(p.limit)}${UNIT_PARAM[p.unit]}${p.windowSeconds !== undefined ? `;w=${sfInteger(Math.max(1, Math.ceil(p.windowSeconds)))}` : ""}`);
      const t = retry !== undefined && refusal?.policy === p.name ? seconds(retry) : p.resetSeconds;
      limit.push(`${name};r=${amount(p.remaining)}${t !== undefined ? `;t=${sfInteger(Math.ceil(t))}` : ""}`);
    }
    headers["ratelimit-policy"] = policy.join(", ");
    headers.ratelimit = limit.join(", ");
  }
  if (retry !== undefined) {
    headers["retry-after"] = String(seconds(retry));
    headers["retry-after-ms"] = String(retry);
  }
  return headers;
}
