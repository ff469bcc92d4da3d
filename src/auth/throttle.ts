/**
 * Throttling failed authentication per client address, before any credential is checked.
 *
 * Failures are counted by the Workers Rate Limiting binding (per Cloudflare location, which
 * is all this needs: a guesser hits the location nearest to it). Once an address is over
 * the limit, this isolate refuses it for the rest of the period without any I/O, so key
 * guessing and signature-heavy junk tokens stop costing CPU, hashing and KV reads.
 *
 * The address is `CF-Connecting-IP`, which Cloudflare's edge sets and overwrites: a
 * client cannot choose it there. `X-Forwarded-For` is never read. The address only keys
 * this throttle; it never changes who a caller is.
 */

export const THROTTLE_PERIOD_MS = 60_000;
const MAX_TRACKED = 10_000;
const blocked = new Map<string, number>();

/** For tests. */
export function resetThrottle(): void {
  blocked.clear();
}

/** The throttle key: the IPv4 address, or the /64 of an IPv6 address (one customer's whole LAN). */
export function clientAddress(headers: Headers): string {
  const ip = headers.get("cf-connecting-ip")?.trim() ?? "";
  if (ip === "") return "unknown";
  if (ip.includes(":")) return `${ip.split(":").slice(0, 4).join(":")}::/64`;
  return ip.slice(0, 45);
}

/** Milliseconds until this address may try again, or 0. */
export function blockedFor(address: string, now: number): number {
  const until = blocked.get(address);
  if (until === undefined) return 0;
  if (until <= now) {
    blocked.delete(address);
    return 0;
  }
  return until - now;
}

/** Counts one failure; over the limit, the address is refused locally for a period. */
export async function recordFailure(limiter: RateLimit, address: string, now: number): Promise<void> {
  const { success } = await limiter.limit({ key: `auth:${address}` });
  if (success) return;
  if (blocked.size >= MAX_TRACKED) blocked.delete(blocked.keys().next().value as string);
  blocked.set(address, now + THROTTLE_PERIOD_MS);
}
