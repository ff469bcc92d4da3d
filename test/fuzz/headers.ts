/**
 * Headers and credentials for the fuzz properties. Each generated header comes with what the
 * documentation says the gateway must make of it, so a property can compare the answer with
 * the documented one:
 *
 * - credentials (docs/auth.md): `Authorization: Bearer <key>` (scheme in any case, one or more
 *   spaces) or, without an Authorization header, `x-api-key: <key>`; anything else is 401;
 * - media type (docs/pipeline.md, stage 5): `application/json`, optionally with a UTF-8
 *   charset; anything else is 415;
 * - Content-Length (stage 3): decimal digits and at most `max_body_bytes`, else 413.
 *
 * Values stay within what `Headers` accepts: no NUL, CR or LF, and ASCII only (workerd encodes
 * other characters as UTF-8 and logs a warning for each).
 */
import fc from "fast-check";

export interface Labelled {
  /** The header value, or undefined for no header. */
  value: string | undefined;
  /** Whether the documented rule accepts it. */
  ok: boolean;
}

/** Printable ASCII and the control characters Headers allow (all but NUL, LF, CR). */
const headerChar = fc.integer({ min: 1, max: 0x7f }).filter((c) => c !== 0x0a && c !== 0x0d).map((c) => String.fromCharCode(c));
const headerJunk = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

const base64url = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), minLength: 0, maxLength: 60 });
const b64 = (json: string): string => btoa(json).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** JWT-shaped junk: three (or five) base64url segments, sometimes with a real-looking header. */
const jwtJunk: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(base64url, fc.constantFrom('{"alg":"none"}', '{"alg":"HS256","typ":"JWT"}', '{"alg":"RS256","kid":"x"}', '{"alg":"ES256","jku":"http://127.0.0.1/"}').map(b64)),
    base64url,
    base64url,
    fc.boolean(),
  )
  .map(([h, p, s, jwe]) => (jwe ? `${h}.${p}.${s}.${p}.${s}` : `${h}.${p}.${s}`));

/** A key that is not `key`: one character changed, cut, extended, cased, doubled or spaced. */
function corruptedKey(key: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.nat(key.length - 1), fc.constantFrom(..."0aZ_-.")).map(([i, c]) => key.slice(0, i) + (key[i] === c ? "1" : c) + key.slice(i + 1)),
    fc.nat(key.length - 1).map((n) => key.slice(0, n)),
    headerJunk(3).filter((s) => s.trim() !== "").map((s) => key + s.trim()),
    fc.constant(key.toUpperCase()),
    fc.constant(`${key} ${key}`),
    fc.nat(key.length - 2).map((i) => `${key.slice(0, i + 1)} ${key.slice(i + 1)}`),
  );
}

const spaces = fc.integer({ min: 1, max: 3 }).map((n) => " ".repeat(n));
const outerSpace = fc.constantFrom("", " ", "  ", "\t", " \t");

/** Authorization values, each labelled with whether it presents `key` as documented. */
export function authorizationArb(key: string): fc.Arbitrary<Labelled> {
  const scheme = fc.mixedCase(fc.constant("bearer"));
  const valid = fc.tuple(outerSpace, scheme, spaces, outerSpace).map(([lead, s, sp, trail]) => ({ value: `${lead}${s}${sp}${key}${trail}`, ok: true }));
  const wrongScheme = fc
    .tuple(fc.constantFrom("Basic ", "Token ", "Bearer:", "Bearer\t", "Bearer", "Bearerx ", "Bearer\u000b", "Bearer-", "Beare ", "Bearer  Bearer "), fc.oneof(fc.constant(key), corruptedKey(key)))
    .map(([s, k]) => ({ value: s + k, ok: false }));
  const wrongKey = fc.tuple(scheme, spaces, fc.oneof(corruptedKey(key), jwtJunk, headerJunk(80), fc.constant(""))).map(([s, sp, k]) => ({ value: `${s}${sp}${k}`, ok: false }));
  const huge = fc.tuple(fc.constantFrom("Bearer ", "", "Bearer eyJ"), fc.constantFrom("a", "A.", "=", "\t", " ", "\u0001"), fc.integer({ min: 1000, max: 60_000 })).map(([p, c, n]) => ({ value: p + c.repeat(n), ok: false }));
  const junk = headerJunk(200).map((value) => ({ value, ok: false }));
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: wrongScheme }, { weight: 4, arbitrary: wrongKey }, { weight: 1, arbitrary: huge }, { weight: 2, arbitrary: junk });
}

/** `x-api-key` values: the key (surrounding whitespace is trimmed), or anything else. */
export function apiKeyArb(key: string): fc.Arbitrary<Labelled> {
  return fc.oneof(
    fc.tuple(outerSpace, outerSpace).map(([a, b]) => ({ value: `${a}${key}${b}`, ok: true })),
    fc.oneof(corruptedKey(key), jwtJunk, headerJunk(100), fc.constant(`Bearer ${key}`)).map((value) => ({ value, ok: false })),
  );
}

/** Media types: `application/json` in any case with optional parameters, and near misses. */
export const contentTypeArb: fc.Arbitrary<Labelled> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ value: undefined, ok: false }) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.mixedCase(fc.constant("application/json")).map((t) => ({ t, ok: true })),
          fc.constantFrom("text/json", "application/jsonx", "application/json-seq", "application/ld+json", "application/x-json", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "*/*", "application/", "json", "application/json/x").map((t) => ({ t, ok: false })),
        ),
        fc.array(
          fc.oneof(
            fc.constantFrom("charset=utf-8", "charset=UTF-8", 'charset="utf-8"', "foo=bar", "", "x", "boundary=zz").map((p) => ({ p, ok: true })),
            fc.constantFrom("charset=latin1", "charset=utf8", "charset=utf-16", "charset=", "charset=utf-8x", "CHARSET=iso-8859-1").map((p) => ({ p, ok: false })),
          ),
          { maxLength: 2 },
        ),
        outerSpace,
      )
      .map(([{ t, ok }, params, pad]) => ({ value: [t, ...params.map((x) => x.p)].join(`;${pad}`), ok: ok && params.every((x) => x.ok) })),
  },
  { weight: 1, arbitrary: headerJunk(60).map((value) => ({ value, ok: false })) },
);

/** Content-Length values, labelled with whether stage 3 lets them past (digits, at most `max`). */
export function contentLengthArb(bodyLength: number, max: number): fc.Arbitrary<Labelled> {
  const digits = (v: string): boolean => /^\d{1,12}$/.test(v) && Number(v) <= max;
  return fc
    .oneof(
      fc.constant(undefined),
      fc.constant(String(bodyLength)),
      fc.nat(max).map(String),
      fc.integer({ min: max + 1, max: 2 ** 40 }).map(String),
      fc.constantFrom("-1", "1e3", "0x10", "+5", "1.0", "abc", "", " 12", "12 ", "0000000000000", "9".repeat(13), "1,2", "0", "00064"),
      headerJunk(20),
    )
    .map((value) => {
      // What reaches the Worker is the value as Headers normalises it (outer whitespace trimmed).
      const seen = value === undefined ? undefined : new Headers({ "content-length": value }).get("content-length") ?? "";
      return { value, ok: seen === undefined || digits(seen) };
    });
}

/** Headers a client may send that the gateway reads or forwards: ids, accept, openai-beta. */
export const passengerHeadersArb: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom("x-request-id", "x-client-request-id", "accept", "accept-language", "openai-beta", "origin", "x-forwarded-for", "cookie", "user-agent"),
  headerJunk(120),
  { maxKeys: 4 },
);

/**
 * The headers to send, or undefined when the case is not well defined: `Headers` refuses the
 * value (NUL, CR, LF, which the arbitraries avoid), or a value is empty once trimmed (SELF.fetch
 * drops an empty header on its way to the Worker, a direct call keeps it).
 */
export function acceptable(headers: Record<string, string | undefined>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  try {
    const normalised = new Headers(out);
    for (const [, v] of normalised) if (v === "") return undefined;
    return out;
  } catch {
    return undefined;
  }
}
