/**
 * The rules signal (issue 8): a document pushed with `--gateway` reaches running isolates on
 * their next rules refresh through the `RulesSignal` object, whatever KV still serves; the
 * higher push seq wins (KV on a tie), and a failing object never fails a request.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RULES_SIGNAL_NAME, signalSource, type RulesSignal, type RulesSignalSource } from "../src/rules/signal";
import { getRules, hashText, resetRulesCache, RULES_KEY, RULES_META_KEY, RULES_TTL_MS, SIGNAL_TIMEOUT_MS } from "../src/rules/store";
import { DEMO_KEY, errorOf, seedKey, testKey } from "./helpers";

const ADMIN = testKey("rulessignaladmin");
const doc = (version: string) => JSON.stringify({ schema_version: 1, version, plans: { default: { unknown_fields: "strip" } } });
/** A refresh time past the cache: the n-th refresh after the first. */
const later = (n: number) => n * (RULES_TTL_MS + 1);

const stub = () => env.RULES_SIGNAL.get(env.RULES_SIGNAL.idFromName(RULES_SIGNAL_NAME));
const clearSignal = () =>
  runInDurableObject(stub(), async (_: RulesSignal, state) => {
    state.storage.sql.exec("DELETE FROM signal");
  });

/** Writes a document to KV as `npm run rules -- push` does: the text and its meta. */
async function kvPush(text: string, seq: number | undefined, metaHash?: string): Promise<void> {
  await env.CONFIG_KV.put(RULES_KEY, text);
  if (seq === undefined) await env.CONFIG_KV.delete(RULES_META_KEY);
  else await env.CONFIG_KV.put(RULES_META_KEY, JSON.stringify({ version: "x", hash: metaHash ?? (await hashText(text)), pushed_at: "2026-11-29T12:00:00.000Z", seq }));
}

const signalPost = (body: unknown, key = ADMIN) =>
  SELF.fetch("https://gateway.test/admin/v1/rules/signal", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });

beforeEach(async () => {
  resetRulesCache();
  await clearSignal();
  await seedKey(ADMIN, { client_id: "ops", scopes: ["admin"] });
  await seedKey();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await env.CONFIG_KV.delete(RULES_KEY);
  await env.CONFIG_KV.delete(RULES_META_KEY);
  await clearSignal();
  resetRulesCache();
});

describe("RulesSignal object", () => {
  it("stores only a newer seq and answers since()", async () => {
    const s = stub();
    expect(await s.since(0)).toEqual({ seq: 0 });
    expect(await s.put(2, "a", "ha")).toEqual({ stored: true, seq: 2 });
    expect(await s.put(2, "b", "hb")).toEqual({ stored: false, seq: 2 });
    expect(await s.put(1, "c", "hc")).toEqual({ stored: false, seq: 2 });
    expect(await s.since(0)).toEqual({ seq: 2, text: "a", hash: "ha" });
    expect(await s.since(2)).toEqual({ seq: 2 });
    expect(await s.since(5)).toEqual({ seq: 2 });
  });
});

describe("POST /admin/v1/rules/signal", () => {
  it("a signalled newer document is used on the next refresh although KV still has the old one", async () => {
    await kvPush(doc("kv-old"), 1);
    const signal = signalSource(env.RULES_SIGNAL);
    expect((await getRules(env.CONFIG_KV, 0, signal)).version).toBe("kv-old");

    const res = await signalPost({ seq: 2, text: doc("sig-new") });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stored: true, seq: 2, version: "sig-new", hash: await hashText(doc("sig-new")) });

    const s = await getRules(env.CONFIG_KV, later(1), signal);
    expect([s.version, s.source]).toEqual(["sig-new", "signal"]);
    // Through the Worker too (the endpoint expired this isolate's cache).
    const shown = await SELF.fetch("https://gateway.test/admin/v1/rules", { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(await shown.json()).toMatchObject({ version: "sig-new", source: "signal" });
  });

  it("KV wins with a higher meta seq, and on a tie", async () => {
    const signal = signalSource(env.RULES_SIGNAL);
    await kvPush(doc("kv-1"), 1);
    expect((await signalPost({ seq: 2, text: doc("sig-2") })).status).toBe(200);
    expect((await getRules(env.CONFIG_KV, 0, signal)).version).toBe("sig-2");
    await kvPush(doc("kv-2"), 2); // tie: KV wins
    expect((await getRules(env.CONFIG_KV, later(1), signal)).version).toBe("kv-2");
    await kvPush(doc("kv-3"), 3);
    expect((await getRules(env.CONFIG_KV, later(2), signal)).version).toBe("kv-3");
  });

  it("a meta without seq, or about another text, counts as seq 0", async () => {
    const signal = signalSource(env.RULES_SIGNAL);
    expect((await signalPost({ seq: 1, text: doc("sig-1") })).status).toBe(200);
    await kvPush(doc("kv-nometa"), undefined);
    expect((await getRules(env.CONFIG_KV, 0, signal)).version).toBe("sig-1");
    // KV's text and meta propagate separately: a meta for another text says nothing.
    await kvPush(doc("kv-stale"), 9, "0".repeat(16));
    expect((await getRules(env.CONFIG_KV, later(1), signal)).version).toBe("sig-1");
  });

  it("stored is false for a seq that is not newer", async () => {
    expect(await (await signalPost({ seq: 3, text: doc("a") })).json()).toMatchObject({ stored: true, seq: 3, version: "a" });
    expect(await (await signalPost({ seq: 3, text: doc("b") })).json()).toMatchObject({ stored: false, seq: 3, version: "b" });
    expect(await (await signalPost({ seq: 2, text: doc("c") })).json()).toMatchObject({ stored: false, seq: 3 });
    expect(await stub().since(0)).toMatchObject({ seq: 3, text: doc("a") });
  });

  it("refuses an invalid document (400) and a bad body, and stores nothing", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    for (const text of ["not json", '{"schema_version": 2}']) {
      const res = await signalPost({ seq: 1, text });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "invalid_parameter", param: "text" });
    }
    for (const body of [{ seq: 0, text: doc("a") }, { seq: 1.5, text: doc("a") }, { seq: 1 }, { seq: 1, text: doc("a"), extra: 1 }]) {
      expect((await signalPost(body)).status, JSON.stringify(body)).toBe(400);
    }
    expect(await stub().since(0)).toEqual({ seq: 0 });
  });

  it("needs the admin scope", async () => {
    const res = await signalPost({ seq: 1, text: doc("a") }, DEMO_KEY);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("insufficient_scope");
    expect((await signalPost({ seq: 1, text: doc("a") }, null as unknown as string)).status).toBe(401);
    expect(await stub().since(0)).toEqual({ seq: 0 });
  });
});

describe("getRules with a failing signal", () => {
  it("an object that throws falls back to KV, logged once", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken: RulesSignalSource = { since: async () => Promise.reject(new Error("object unreachable")) };
    await kvPush(doc("kv-1"), 1);
    expect((await getRules(env.CONFIG_KV, 0, broken)).version).toBe("kv-1");
    await kvPush(doc("kv-2"), 2);
    expect((await getRules(env.CONFIG_KV, later(1), broken)).version).toBe("kv-2");
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]?.[0])).toMatch(/rules signal could not be read .*using KV alone/);
  });

  it("an object that does not answer in time falls back to KV", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const hanging: RulesSignalSource = { since: () => new Promise(() => {}) };
    await kvPush(doc("kv-1"), 1);
    const started = Date.now();
    expect((await getRules(env.CONFIG_KV, 0, hanging)).version).toBe("kv-1");
    expect(Date.now() - started).toBeLessThan(SIGNAL_TIMEOUT_MS + 2_000);
  });

  it("an invalid signalled text is ignored: the last valid rules stay", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    let answer: Awaited<ReturnType<RulesSignalSource["since"]>> = { seq: 2, text: doc("sig-2"), hash: "h" };
    const fake: RulesSignalSource = { since: async () => answer };
    await kvPush(doc("kv-1"), 1);
    expect((await getRules(env.CONFIG_KV, 0, fake)).version).toBe("sig-2");
    answer = { seq: 3, text: "not json", hash: "h" };
    expect((await getRules(env.CONFIG_KV, later(1), fake)).version).toBe("sig-2");
    expect(errors).toHaveBeenCalled();
    // A fresh isolate: the invalid signal is ignored and KV applies.
    resetRulesCache();
    expect((await getRules(env.CONFIG_KV, 0, fake)).version).toBe("kv-1");
  });

  it("without a signal binding, KV alone decides, as before", async () => {
    await kvPush(doc("kv-1"), 1);
    expect((await getRules(env.CONFIG_KV, 0)).source).toBe("kv");
  });
});
