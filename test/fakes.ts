/**
 * Test values built at run time from a seeded generator: format-valid, random-looking, and
 * obviously not anyone's real key (no literal token appears in the test files). Shared by the
 * input-side secret tests and the output-side stream tests, so both see the same shapes.
 */
export const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const B64URL = BASE62 + "-_";
export const B64 = BASE62 + "+/";
export const HEX = "0123456789abcdef";
export const UPPER36 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `length` characters of `alphabet` from an xorshift sequence seeded by `seed`. */
export function fake(seed: number, length: number, alphabet = BASE62): string {
  let x = Math.imul(seed + 1, 0x9e3779b1) >>> 0 || 1;
  let out = "";
  for (let i = -8; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    if (i >= 0) out += alphabet[(x >>> 0) % alphabet.length];
  }
  return out;
}

/** base64url of a JSON value, unpadded (JWT segments). */
export const b64url = (v: unknown): string => btoa(JSON.stringify(v)).replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");

/** A PEM body: `lines` lines of 64 base64 characters. */
export const pemBody = (seed: number, lines = 6, sep = "\n"): string => Array.from({ length: lines }, (_, i) => fake(seed + i, 64, B64)).join(sep);
