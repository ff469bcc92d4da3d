/**
 * Where plain http is acceptable for a URL the gateway calls with a secret (a provider key,
 * a tier-2 token, a JWKS fetch): only hosts that cannot cross a network. Loopback, and the
 * `.test` and `.localhost` names RFC 6761 §6.2-6.3 reserve (tests, `npm start`, a sidecar).
 * Everything else must be https, so a typo in the configuration cannot send a key in clear.
 */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".test") || h === "[::1]" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** True for an https URL, or an http URL to a local host (`isLocalHost`). */
export function isSecureOrLocal(value: string): boolean {
  const url = new URL(value);
  return url.protocol === "https:" || (url.protocol === "http:" && isLocalHost(url.hostname));
}
