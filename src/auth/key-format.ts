/**
 * The API key format: `aig_` + 43 base62 characters of randomness (256 bits, above the 192
 * the identity issue asks for) + 6 base62 characters of CRC-32 checksum.
 *
 * The prefix lets secret scanners (GitHub's, the gateway's own firewall) recognise a leaked
 * key; the checksum lets the gateway refuse a mistyped or made-up key without a KV lookup,
 * the same design as GitHub's token format. The checksum is not a secret and adds no
 * strength: a key's security is its random part, which is stored only as a SHA-256 hash.
 */

export const KEY_PREFIX = "aig_";
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 43; // 43 * log2(62) = 256.03 bits
const CHECK_CHARS = 6; // 62^6 > 2^32
export const KEY_LENGTH = KEY_PREFIX.length + RANDOM_CHARS + CHECK_CHARS;
const KEY_SHAPE = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${RANDOM_CHARS + CHECK_CHARS}}$`);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3) over the ASCII of `text`. */
export function crc32(text: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < text.length; i++) c = (CRC_TABLE[(c ^ text.charCodeAt(i)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function base62Fixed(value: number, width: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

/** A new key. Rejection sampling keeps every character uniform (no modulo bias). */
export function generateApiKey(): string {
  let body = "";
  while (body.length < RANDOM_CHARS) {
    for (const b of crypto.getRandomValues(new Uint8Array(64))) {
      if (b < 248 && body.length < RANDOM_CHARS) body += ALPHABET[b % 62];
    }
  }
  const head = KEY_PREFIX + body;
  return head + base62Fixed(crc32(head), CHECK_CHARS);
}

/**
 * A well-formed key whose random part is derived from `label` (padded). Deterministic, so
 * only for tests and fixtures: never for a key anyone relies on.
 */
export function fixtureKey(label: string): string {
  const body = (label.replace(/[^0-9A-Za-z]/g, "") + "0".repeat(RANDOM_CHARS)).slice(0, RANDOM_CHARS);
  const head = KEY_PREFIX + body;
  return head + base62Fixed(crc32(head), CHECK_CHARS);
}

/** Whether `key` has the shape and a correct checksum: no I/O, constant work. */
export function isWellFormedKey(key: string): boolean {
  if (key.length !== KEY_LENGTH || !KEY_SHAPE.test(key)) return false;
  const head = key.slice(0, KEY_LENGTH - CHECK_CHARS);
  return base62Fixed(crc32(head), CHECK_CHARS) === key.slice(KEY_LENGTH - CHECK_CHARS);
}
