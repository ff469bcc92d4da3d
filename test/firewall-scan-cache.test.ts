/**
 * The input firewall's cache of system and developer text scans (src/firewall/scan.ts): the
 * same result as scanning, frozen, per client, bounded.
 */
import { describe, expect, it } from "vitest";
import type { TextSlot } from "../src/firewall/extract";
import { FirewallPolicySchema } from "../src/firewall/policy";
import { resetScanCache, scanSlots } from "../src/firewall/scan";

describe("firewall scan cache (system and developer texts)", () => {
  const policy = FirewallPolicySchema.parse({});
  const slots = (system: string): TextSlot[] => [
    { path: ["messages", 0, "content"], text: system, role: "system", writable: true },
    { path: ["messages", 1, "content"], text: "hello there", role: "user", writable: true },
  ];
  const SYSTEM = "You are the assistant of a bank. Contact ops@example.com for escalations.";

  it("gives the scan an uncached run gives, frozen, shared within one client only", () => {
    resetScanCache();
    const [first] = scanSlots(slots(SYSTEM), policy, { cacheScope: "client-a" });
    const [again] = scanSlots(slots(SYSTEM), policy, { cacheScope: "client-a" });
    const [other] = scanSlots(slots(SYSTEM), policy, { cacheScope: "client-b" });
    const [uncached] = scanSlots(slots(SYSTEM), policy);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(first).toEqual(uncached);
    expect(first!.entities.map((e) => e.type)).toEqual(["EMAIL_ADDRESS"]);
    expect(Object.isFrozen(first) && Object.isFrozen(first!.entities) && Object.isFrozen(first!.entities[0])).toBe(true);
    // User texts are never cached.
    const [, userA] = scanSlots(slots(SYSTEM), policy, { cacheScope: "client-a" });
    const [, userB] = scanSlots(slots(SYSTEM), policy, { cacheScope: "client-a" });
    expect(userA).not.toBe(userB);
  });

  it("client ids cannot be chosen to share another client's entries", () => {
    resetScanCache();
    const [a] = scanSlots(slots("cd" + SYSTEM), policy, { cacheScope: "x" });
    // Without the length prefix, scope "xcd" + text SYSTEM would spell the same key.
    const [b] = scanSlots(slots(SYSTEM), policy, { cacheScope: "xcd" });
    expect(b).not.toBe(a);
  });

  it("stays within its character budget: the oldest entries go first", () => {
    resetScanCache();
    const big = (i: number): string => `${i} `.padEnd(15_000, "lorem ipsum dolor sit amet ");
    const [oldest] = scanSlots(slots(big(0)), policy, { cacheScope: "c" });
    for (let i = 1; i < 80; i++) scanSlots(slots(big(i)), policy, { cacheScope: "c" });
    const [newest] = scanSlots(slots(big(79)), policy, { cacheScope: "c" });
    expect(scanSlots(slots(big(79)), policy, { cacheScope: "c" })[0]).toBe(newest);
    expect(scanSlots(slots(big(0)), policy, { cacheScope: "c" })[0]).not.toBe(oldest);
  });
});
