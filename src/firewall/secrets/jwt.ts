/**
 * JSON Web Tokens in compact serialisation (RFC 7515 §7.1, RFC 7516 §7.1): base64url
 * segments joined by dots, the first of which is the JOSE header. A header is a JSON object,
 * so its encoding starts with "eyJ" (`{"`), and it must name an algorithm ("alg", RFC 7515
 * §4.1.1). Decoding the header and finding "alg" is what separates a token from any dotted
 * base64 string, so a match scores 1.
 */
import type { Entity } from "../entity";
import { entity, type Detector } from "../pii/scan";
import { createScanner, type PrefixRule } from "./scan";

// Header, payload, signature; a JWE adds two more segments. Bounded lengths keep a failed
// attempt on a megabyte of "eyJaaaa..." to a few thousand steps.
const JWT_RE =
  /eyJ[A-Za-z0-9_-]{5,2048}\.[A-Za-z0-9_-]{2,16384}\.([A-Za-z0-9_-]{0,2048})(\.[A-Za-z0-9_-]{0,16384}\.[A-Za-z0-9_-]{0,2048})?(?![A-Za-z0-9_-])/y;

/**
 * Decodes base64url (RFC 4648 §5, padding optional) to a binary string; null when invalid.
 * @example decodeBase64Url("eyJhbGciOiJIUzI1NiJ9") // '{"alg":"HS256"}'
 */
export function decodeBase64Url(s: string): string | null {
  if (s.length % 4 === 1) return null;
  const b64 = s.replaceAll("-", "+").replaceAll("_", "/");
  try {
    return atob(b64 + "===".slice(0, (4 - (b64.length % 4)) % 4));
  } catch {
    return null;
  }
}

/**
 * The "alg" of a JOSE header given in base64url, or null when the header is not one.
 * @example joseAlg("eyJhbGciOiJIUzI1NiJ9") // "HS256"
 */
export function joseAlg(headerB64: string): string | null {
  const json = decodeBase64Url(headerB64);
  if (json === null) return null;
  try {
    const header: unknown = JSON.parse(json);
    if (typeof header !== "object" || header === null || Array.isArray(header)) return null;
    const alg = (header as Record<string, unknown>).alg;
    return typeof alg === "string" && alg !== "" ? alg : null;
  } catch {
    return null;
  }
}

export const JWT_RULE: PrefixRule = {
  prefixes: ["eyJ"],
  match(text, start): Entity | null {
    // "x.eyJ..." is the tail of some other dotted token, not the start of a JWT.
    if (start > 0 && text.charCodeAt(start - 1) === 46) return null;
    JWT_RE.lastIndex = start;
    const m = JWT_RE.exec(text);
    if (m === null) return null;
    const alg = joseAlg(m[0].slice(0, m[0].indexOf(".")));
    if (alg === null) return null;
    // A signed JWS carries a signature (HS256 is 43 characters); only "none" may omit it.
    if (m[2] === undefined && alg !== "none" && m[1]!.length < 16) return null;
    return entity("JWT", start, start + m[0].length, "jwt", 1);
  },
};

/**
 * JWTs (JWS or JWE compact form) whose header decodes to a JSON object with "alg".
 * @example jwts("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg")
 * // [{ type: "JWT", start: 22, end: 89, detector: "jwt", score: 1 }]
 */
export const jwts: Detector = createScanner([JWT_RULE]);
