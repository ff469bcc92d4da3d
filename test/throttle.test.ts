import { SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { blockedFor, clientAddress, resetThrottle } from "../src/auth/throttle";
import { chat, DEMO_KEY, errorOf, seedKey, testKey } from "./helpers";

beforeEach(async () => {
  await seedKey();
  resetThrottle();
});
afterEach(() => resetThrottle());

const from = (ip: string, key = testKey("guess")) => chat("x", {}, { key, headers: { "cf-connecting-ip": ip } });

describe("failed authentication is throttled per address", () => {
  it("after the limit, the address gets 429 even with a valid key; others are untouched", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    // The limit is 30 failures a minute; the 31st trips it, so the 32nd attempt is refused.
    let failures = 0;
    while ((await from(ip)).status === 401 && failures < 100) failures++;
    expect(failures).toBeGreaterThanOrEqual(30);
    expect(failures).toBeLessThanOrEqual(32);
    const blocked = await from(ip, DEMO_KEY);
    expect(blocked.status).toBe(429);
    expect((await errorOf(blocked)).code).toBe("auth_rate_limited");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(blocked.headers.get("x-should-retry")).toBe("false");
    expect((await from("203.0.113.7", DEMO_KEY)).status).toBe(200);
  });

  it("successful requests are never counted", async () => {
    const ip = "192.0.2.55";
    for (let i = 0; i < 40; i++) expect((await from(ip, DEMO_KEY)).status).toBe(200);
    expect(blockedFor(clientAddress(new Headers({ "cf-connecting-ip": ip })), Date.now())).toBe(0);
  });

  it("keys the throttle by CF-Connecting-IP (IPv6 by /64), never X-Forwarded-For", () => {
    expect(clientAddress(new Headers({ "cf-connecting-ip": "2001:db8:1:2:3:4:5:6" }))).toBe("2001:db8:1:2::/64");
    expect(clientAddress(new Headers({ "x-forwarded-for": "1.2.3.4" }))).toBe("unknown");
  });

  it("a forged address header does not change who the caller is", async () => {
    const res = await SELF.fetch("https://gateway.test/v1/models", { headers: { authorization: `Bearer ${DEMO_KEY}`, "cf-connecting-ip": "10.0.0.1", "x-forwarded-for": "10.0.0.2" } });
    expect(res.status).toBe(200);
  });
});
