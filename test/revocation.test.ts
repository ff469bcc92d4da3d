import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keyStorageName, sha256Hex } from "../src/auth/api-keys";
import type { ClientState } from "../src/admission/client-state";
import { chat, DEMO_KEY, errorOf, seedKey, testKey } from "./helpers";

const ADMIN = testKey("revocationadmin");

beforeEach(async () => {
  await seedKey(ADMIN, { client_id: "ops", scopes: ["admin"] });
  await seedKey();
});
afterEach(() => vi.restoreAllMocks());

const revoke = (hash: string, key = ADMIN) =>
  SELF.fetch("https://gateway.test/admin/v1/keys/revoke", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ key_hash: hash }) });

describe("revocation", () => {
  it("takes effect on the very next request, even while KV still serves the old record", async () => {
    expect((await chat("x")).status).toBe(200);
    const hash = await sha256Hex(DEMO_KEY);
    // KV elsewhere may lag by a minute: simulate the worst case, KV never catching up.
    const stale = await env.CONFIG_KV.get(keyStorageName(hash));
    const res = await revoke(hash);
    expect(res.status).toBe(200);
    await env.CONFIG_KV.put(keyStorageName(hash), stale!);
    const after = await chat("x");
    expect(after.status).toBe(401);
    expect((await errorOf(after)).code).toBe("invalid_api_key");
  });

  it("persists in the client's Durable Object (SQLite), and other clients are untouched", async () => {
    const other = await seedKey(testKey("otherclient"), { client_id: "client-z" });
    await revoke(await sha256Hex(DEMO_KEY));
    const id = env.CLIENT_STATE.idFromName("client-a");
    const count = await runInDurableObject(env.CLIENT_STATE.get(id), async (obj: ClientState, state) => {
      const rows = state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM revoked_keys").one();
      expect(rows.n).toBe(1);
      return obj.revokedCount();
    });
    expect(count).toBe(1);
    expect((await chat("x", {}, { key: other })).status).toBe(200);
  });

  it("needs the admin scope; an unknown hash is 404; a malformed body is 400", async () => {
    expect((await revoke(await sha256Hex(DEMO_KEY), DEMO_KEY)).status).toBe(403);
    expect((await revoke("0".repeat(64))).status).toBe(404);
    expect((await revoke("not-a-hash")).status).toBe(400);
  });
});

describe("admission fails closed", () => {
  it("a Durable Object that errors means 503, never admitted", async () => {
    const stub = { admit: () => Promise.reject(Object.assign(new Error("boom"), { retryable: true })) };
    vi.spyOn(env.CLIENT_STATE, "get").mockImplementation(() => stub as never);
    const res = await chat("x");
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("admission_unavailable");
  });

  it("retryable errors are retried once with a new stub; overloaded ones are not", async () => {
    let calls = 0;
    const flaky = { admit: () => (++calls === 1 ? Promise.reject(Object.assign(new Error("x"), { retryable: true })) : Promise.resolve({ ok: true })) };
    const get = vi.spyOn(env.CLIENT_STATE, "get").mockImplementation(() => flaky as never);
    expect((await chat("x")).status).toBe(200);
    expect(get).toHaveBeenCalledTimes(2);

    calls = 0;
    const overloaded = { admit: () => (++calls, Promise.reject(Object.assign(new Error("x"), { overloaded: true }))) };
    get.mockImplementation(() => overloaded as never);
    expect((await chat("x")).status).toBe(503);
    expect(calls).toBe(1);
  });
});
