import { describe, expect, it } from "vitest";
import { admit, emptyState, type PolicyStatus } from "../src/quota/engine";
import { rateLimitHeaders, sfString } from "../src/quota/headers";
import { LimitsSchema } from "../src/quota/limits";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

const rpm: PolicyStatus = { name: "rpm", unit: "requests", limit: 60, remaining: 42, resetSeconds: 17, windowSeconds: 60 };
const tpm: PolicyStatus = { name: "tpm", unit: "tokens", limit: 100_000, remaining: 99_000, resetSeconds: 1, windowSeconds: 60 };
const streams: PolicyStatus = { name: "streams", unit: "concurrent-requests", limit: 4, remaining: 3 };
const spend: PolicyStatus = { name: "daily_spend", unit: "usd", limit: 12.5, remaining: 0.29, resetSeconds: 43_200, windowSeconds: 86_400 };

// RFC 9651 §3.1: a List of Items, each a String with Integer or String parameters.
const PARAM = String.raw`;[a-z*][a-z0-9_\-.*]*=(?:\d{1,15}|"(?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*")`;
const ITEM = new RegExp(String.raw`^"(?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"(?:${PARAM})*$`);
const isSfList = (v: string) => v.split(", ").every((m) => ITEM.test(m));

describe("RateLimit headers (draft-ietf-httpapi-ratelimit-headers)", () => {
  it("one named policy per limit, tokens as their own policy, exact strings", () => {
    const h = rateLimitHeaders([rpm, tpm]);
    expect(h).toEqual({
      "ratelimit-policy": '"rpm";q=60;w=60, "tpm";q=100000;qu="tokens";w=60',
      ratelimit: '"rpm";r=42;t=17, "tpm";r=99000;t=1',
    });
    expect(isSfList(h["ratelimit-policy"]!)).toBe(true);
    expect(isSfList(h.ratelimit!)).toBe(true);
  });

  it("streams use the registered concurrent-requests unit and have no window; spend is in whole cents", () => {
    const h = rateLimitHeaders([streams, spend]);
    expect(h["ratelimit-policy"]).toBe('"streams";q=4;qu="concurrent-requests", "daily_spend";q=1250;qu="usd-cents";w=86400');
    expect(h.ratelimit).toBe('"streams";r=3, "daily_spend";r=29;t=43200');
    expect(isSfList(h["ratelimit-policy"]!) && isSfList(h.ratelimit!)).toBe(true);
    expect(rateLimitHeaders([{ ...spend, remaining: 0.009999 }]).ratelimit).toBe('"daily_spend";r=0;t=43200');
  });

  it("a refusal adds Retry-After rounded up, retry-after-ms, and the same moment as the policy's t", () => {
    const h = rateLimitHeaders([{ ...rpm, remaining: 0 }, tpm], { policy: "rpm", retryAfterMs: 1001 });
    expect(h["retry-after"]).toBe("2");
    expect(h["retry-after-ms"]).toBe("1001");
    expect(h.ratelimit).toBe('"rpm";r=0;t=2, "tpm";r=99000;t=1');
    expect(rateLimitHeaders([], { policy: "rpm", retryAfterMs: 1000 })).toEqual({ "retry-after": "1", "retry-after-ms": "1000" });
    expect(rateLimitHeaders([], { policy: "rpm", retryAfterMs: 0.2 })).toEqual({ "retry-after": "1", "retry-after-ms": "1" });
  });

  it("a refusal that retrying cannot fix gets no retry headers; no policies give no headers", () => {
    expect(rateLimitHeaders([rpm], { policy: "tpm", retryAfterMs: Infinity })).not.toHaveProperty("retry-after");
    expect(rateLimitHeaders([])).toEqual({});
  });

  it("values are clamped to Structured Field Integers and names escaped as Strings", () => {
    expect(rateLimitHeaders([{ ...tpm, limit: 1e18, remaining: -5 }]).ratelimit).toBe('"tpm";r=0;t=1');
    expect(rateLimitHeaders([{ ...tpm, limit: 1e18 }])["ratelimit-policy"]).toBe('"tpm";q=999999999999999;qu="tokens";w=60');
    expect(sfString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => sfString("naïve")).toThrow(RangeError);
    expect(() => sfString("a\nb")).toThrow(RangeError);
  });

  it("from the engine: Retry-After is never earlier than the real reset", () => {
    const limits = LimitsSchema.parse({ requests_per_minute: 7, tokens_per_minute: 100_000, daily_tokens: 1_000_000, concurrent_streams: 2 });
    let state = emptyState();
    let n = 0;
    for (;;) {
      const r = admit(state, limits, {}, { id: `req_${++n}`, model: "m", inputTokens: 100, outputCap: 50, n: 1, stream: false }, T0);
      if (!r.ok) {
        const h = rateLimitHeaders(r.policies, r);
        expect(r.retryAfterMs).toBe(8572);
        expect(h["retry-after"]).toBe("9");
        expect(h["retry-after-ms"]).toBe("8572");
        expect(h["ratelimit-policy"]).toBe(
          '"rpm";q=7;w=60, "tpm";q=100000;qu="tokens";w=60, "streams";q=2;qu="concurrent-requests", "daily_tokens";q=1000000;qu="tokens";w=86400',
        );
        expect(h.ratelimit).toBe('"rpm";r=0;t=9, "tpm";r=98950;t=1, "streams";r=2, "daily_tokens";r=998950;t=43200');
        break;
      }
      state = r.state;
    }
  });
});
