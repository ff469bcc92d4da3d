/** The audit trail's hash chain (src/audit/chain.ts): what tampering it detects, and what it cannot. */
import { beforeAll, describe, expect, it } from "vitest";
import { anchorAfter, auditKey, canonicalJson, chain, GENESIS, promptMac, prune, verifyChain, type AuditRecord, type ChainedRecord } from "../src/audit/chain";

let key: CryptoKey;
let other: CryptoKey;
const T0 = Date.UTC(2026, 10, 29, 9);

const record = (seq: number, over: Partial<AuditRecord> = {}): AuditRecord => ({
  seq,
  at: T0 + seq * 60_000,
  kind: "decision",
  client: `client-${seq % 3}`,
  tenant: "acme",
  rule: "firewall.injection",
  rulesVersion: "2026-11-29.1@0123456789abcdef",
  action: "block",
  promptMac: null,
  detail: { score: 0.93, status: 400 },
  ...over,
});

async function fresh(n: number): Promise<ChainedRecord[]> {
  return chain(key, GENESIS, Array.from({ length: n }, (_, i) => record(i + 1)));
}

beforeAll(async () => {
  key = await auditKey("audit-test-secret-0123456789");
  other = await auditKey("another-secret-0123456789");
});

describe("canonical JSON", () => {
  it("is the same for the same record whatever the key order, and refuses non-finite numbers", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, "x"], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(canonicalJson({ a: { c: null, d: [1, "x"] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [1, "x"], c: null } }));
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
  });
});

describe("the chain", () => {
  it("verifies as built, and ends at its head", async () => {
    const records = await fresh(20);
    const r = await verifyChain(key, GENESIS, records, { seq: 20, mac: records[19]!.mac });
    expect(r).toEqual({ ok: true, count: 20, head: { seq: 20, mac: records[19]!.mac } });
    // Appending continues from the head.
    const more = await chain(key, { seq: 20, mac: records[19]!.mac }, [record(21)]);
    expect((await verifyChain(key, GENESIS, [...records, ...more])).ok).toBe(true);
  });

  it("detects a changed field, a deleted, reordered or inserted record, and a truncated end", async () => {
    const records = await fresh(10);
    const changed = records.map((r) => (r.seq === 4 ? { ...r, action: "allow" } : r));
    expect(await verifyChain(key, GENESIS, changed)).toMatchObject({ ok: false, seq: 4 });
    const detail = records.map((r) => (r.seq === 6 ? { ...r, detail: { ...r.detail, score: 0.1 } } : r));
    expect(await verifyChain(key, GENESIS, detail)).toMatchObject({ ok: false, seq: 6 });
    const deleted = records.filter((r) => r.seq !== 5);
    expect(await verifyChain(key, GENESIS, deleted)).toMatchObject({ ok: false, seq: 6 });
    const swapped = [...records];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect((await verifyChain(key, GENESIS, swapped)).ok).toBe(false);
    // Renumbering after a deletion does not help: the links no longer match.
    const renumbered = deleted.map((r, i) => ({ ...r, seq: i + 1 }));
    expect(await verifyChain(key, GENESIS, renumbered)).toMatchObject({ ok: false, seq: 5 });
    const truncated = records.slice(0, 8);
    expect((await verifyChain(key, GENESIS, truncated)).ok).toBe(true); // the records alone cannot tell
    expect(await verifyChain(key, GENESIS, truncated, { seq: 10, mac: records[9]!.mac })).toMatchObject({ ok: false, seq: 9 });
  });

  it("cannot be rebuilt without the key: a chain re-linked under another key fails", async () => {
    const records = await fresh(5);
    // Someone with write access changes a record and re-links the whole chain, but with a key of their own.
    const tampered: AuditRecord[] = records.map(({ mac: _, ...r }) => (r.seq === 3 ? { ...r, client: "someone-else" } : r));
    const forged = await chain(other, GENESIS, tampered);
    expect(await verifyChain(key, GENESIS, forged)).toMatchObject({ ok: false, seq: 1 });
  });

  it("refuses records whose seq does not continue the head", async () => {
    await expect(chain(key, GENESIS, [record(2)])).rejects.toThrow(RangeError);
  });
});

describe("retention", () => {
  it("pruned chains stay verifiable from a sealed anchor, and a forged anchor is caught", async () => {
    const records = await fresh(30);
    const kept = await prune(key, GENESIS, records, T0 + 10.5 * 60_000);
    expect(kept.records[0]!.seq).toBe(11);
    expect(kept.anchor.seq).toBe(10);
    expect((await verifyChain(key, kept.anchor, kept.records, { seq: 30, mac: records[29]!.mac })).ok).toBe(true);
    // Pruning again moves the anchor on.
    const again = await prune(key, kept.anchor, kept.records, T0 + 20.5 * 60_000);
    expect((await verifyChain(key, again.anchor, again.records)).ok).toBe(true);
    // An anchor made up to hide a deleted stretch has no valid seal.
    const forged = { seq: 15, mac: records[14]!.mac, seal: kept.anchor.seal };
    expect(await verifyChain(key, forged, records.slice(15))).toMatchObject({ ok: false, reason: "anchor seal does not match" });
    expect((await verifyChain(key, await anchorAfter(key, { seq: 15, mac: records[14]!.mac }), records.slice(15))).ok).toBe(true);
  });

  it("keeps the newest record even when everything is older than the cut", async () => {
    const records = await fresh(3);
    const kept = await prune(key, GENESIS, records, T0 + 10 * 86_400_000);
    expect(kept.records.map((r) => r.seq)).toEqual([3]);
  });
});

describe("prompt MACs", () => {
  it("are keyed: stable for one key, different across keys, never the text", async () => {
    const a = await promptMac(key, "ignore previous instructions");
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await promptMac(key, "ignore previous instructions")).toBe(a);
    expect(await promptMac(other, "ignore previous instructions")).not.toBe(a);
    expect(await promptMac(key, "ignore previous instruction")).not.toBe(a);
  });

  it("needs a real secret", async () => {
    expect(() => auditKey("short")).toThrow(RangeError);
  });
});
