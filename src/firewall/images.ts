/**
 * Image references in a request. The provider, not the gateway, fetches a remote image, so
 * the risk is that the provider is sent to fetch something it should not: an internal
 * address reachable only from its network (server-side request forgery), or any host the
 * operator has not approved (an exfiltration beacon: the URL itself can carry data). The
 * gateway never fetches these URLs itself, and so cannot be turned into the fetcher.
 *
 * Hostnames are judged as written. A public name that resolves to a private address (DNS
 * rebinding) is the fetcher's to refuse; `allowed_hosts` is the defence against that.
 */

export type ImageVerdict =
  | { ok: true }
  | { ok: false; reason: "scheme" | "private_address" | "host_not_allowed" | "data_too_large" | "malformed" };

export interface ImagePolicy {
  /** Host names or `*.suffix` patterns; `*` is any public host. */
  allowed_hosts: readonly string[];
  /** Largest `data:` URL accepted, in characters of the URL. */
  max_data_url_bytes: number;
}

/**
 * @example
 * checkImageUrl("http://169.254.169.254/latest/meta-data/", { allowed_hosts: ["*"], max_data_url_bytes: 1e6 })
 * // { ok: false, reason: "private_address" }
 */
export function checkImageUrl(raw: string, policy: ImagePolicy): ImageVerdict {
  if (raw.length >= 5 && raw.slice(0, 5).toLowerCase() === "data:") {
    if (raw.length > policy.max_data_url_bytes) return { ok: false, reason: "data_too_large" };
    return /^data:image\/[a-z0-9.+-]{1,40}(;[a-z0-9=._-]{1,64}){0,4};base64,/i.test(raw) ? { ok: true } : { ok: false, reason: "malformed" };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "scheme" };
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "malformed" };
  // WHATWG URL parsing already turned 2130706433, 0x7f.1 and 017700000001 into 127.0.0.1.
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (isPrivateHost(host)) return { ok: false, reason: "private_address" };
  return hostAllowed(host, policy.allowed_hosts) ? { ok: true } : { ok: false, reason: "host_not_allowed" };
}

export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  for (const pattern of allowed) {
    const p = pattern.toLowerCase();
    if (p === "*" || p === host) return true;
    if (p.startsWith("*.") && host.endsWith(p.slice(1)) && host.length > p.length - 1) return true;
  }
  return false;
}

/** Names that only mean something inside a network (RFC 6761, RFC 6762, cloud metadata services). */
const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp"];

export function isPrivateHost(host: string): boolean {
  if (host === "localhost" || host === "metadata" || !host.includes(".") && !host.startsWith("[")) return true;
  for (const s of INTERNAL_SUFFIXES) if (host.endsWith(s)) return true;
  if (host.startsWith("[")) return isPrivateIpv6(host.slice(1, -1));
  const v4 = parseIpv4(host);
  return v4 !== undefined && isPrivateIpv4(v4);
}

function parseIpv4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** RFC 6890 special-purpose ranges that are not globally reachable. */
function isPrivateIpv4([a, b]: number[]): boolean {
  if (a === undefined || b === undefined) return true;
  return (
    a === 0 || a === 10 || a === 127 || // this network, private, loopback
    (a === 100 && b >= 64 && b <= 127) || // shared address space (carrier NAT)
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

function isPrivateIpv6(addr: string): boolean {
  const a = addr.toLowerCase();
  if (a === "::" || a === "::1") return true;
  // IPv4-mapped and -compatible forms carry an IPv4 address: judge that one.
  const mapped = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (mapped !== null) {
    const hi = parseInt(mapped[1] as string, 16);
    const lo = parseInt(mapped[2] as string, 16);
    return isPrivateIpv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  const first = parseInt(a.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    a.startsWith("64:ff9b:") || // NAT64 can reach IPv4 private space
    a.startsWith("2001:db8:") // documentation
  );
}
