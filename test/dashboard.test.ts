/**
 * The operator dashboard (src/dashboard, docs/dashboard.md): sign-in with the admin key for a
 * session cookie, the session checks (expiry, tampering, revocation, sign-out), the Origin and
 * CSRF checks, the security headers, the overview's contents and escaping.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/app";
import { auditLog, type AuditEvent } from "../src/audit/writer";
import { keyStorageName, sha256Hex } from "../src/auth/api-keys";
import { resetThrottle } from "../src/auth/throttle";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { DASHBOARD_CSP } from "../src/dashboard/access";
import { APP_JS } from "../src/dashboard/assets";
import { CLIENT_CAP } from "../src/dashboard/overview";
import { escapeHtml } from "../src/dashboard/page";
import { csrfToken, issueSession, SESSION_COOKIE, sessionKey, verifyCsrf, verifySession } from "../src/dashboard/session";
import { clientsOf, topRules } from "../src/dashboard/summary";
import { TEST_SECRETS } from "./config";
import { chat, DEMO_KEY, errorOf, seedKey, testKey } from "./helpers";

const ORIGIN = "https://gateway.test";
// A new admin key and client per test: a Durable Object's in-memory revocations outlive a test's storage.
let ADMIN = "";
let ADMIN_CLIENT = "";

beforeEach(async () => {
  const id = crypto.randomUUID().replace(/-/g, "");
  ADMIN_CLIENT = `dash-ops-${id.slice(0, 8)}`;
  ADMIN = await seedKey(testKey(`dashadmin${id}`), { client_id: ADMIN_CLIENT, tenant: "ops", scopes: ["admin"] });
  await seedKey();
});
afterEach(async () => {
  vi.restoreAllMocks();
  resetThrottle();
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
});

/** A fresh address per call unless given, so deliberate failures never add up to the throttle. */
const freshIp = (): string => `2001:db8:d:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;

function signIn(key: string, init: { origin?: string | null; ip?: string; body?: string; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": init.contentType ?? "application/json", "cf-connecting-ip": init.ip ?? freshIp() };
  if (init.origin !== null) headers.origin = init.origin ?? ORIGIN;
  return SELF.fetch(`${ORIGIN}/admin/session`, { method: "POST", headers, body: init.body ?? JSON.stringify({ key }) });
}

/** The session token a sign-in set. */
function tokenOf(res: Response): string {
  const m = new RegExp(`^${SESSION_COOKIE}=([^;]+);`).exec(res.headers.get("set-cookie") ?? "");
  if (m === null) throw new Error(`no session cookie in ${res.headers.get("set-cookie")}`);
  return m[1]!;
}

async function session(key?: string): Promise<string> {
  const res = await signIn(key ?? ADMIN);
  expect(res.status).toBe(200);
  return tokenOf(res);
}

const get = (path: string, token?: string): Promise<Response> => SELF.fetch(`${ORIGIN}${path}`, { headers: token === undefined ? {} : { cookie: `${SESSION_COOKIE}=${token}` } });

function signOut(token: string, csrf: string | undefined, origin: string | null = ORIGIN): Promise<Response> {
  const headers: Record<string, string> = { cookie: `${SESSION_COOKIE}=${token}` };
  if (csrf !== undefined) headers["x-csrf-token"] = csrf;
  if (origin !== null) headers.origin = origin;
  return SELF.fetch(`${ORIGIN}/admin/logout`, { method: "POST", headers });
}

const key = async (): Promise<CryptoKey> => (await sessionKey(TEST_SECRETS.AIGIS_SESSION_KEY))!;
const csrfOf = async (token: string): Promise<string> => csrfToken(await key(), token);

interface Overview {
  session: { client_id: string };
  rules: { version: string; hash: string; source: string };
  audit: { available: boolean; window: number; records_read: number; events: { seq: number; rule: string; client: string; action: string; detail: Record<string, unknown> }[]; top_rules: { rule: string; count: number }[] };
  clients: { available: boolean; cap: number; capped: boolean; items: { client_id: string; plan: string; keys: number; active_keys: number; metered: boolean; usage: { day: { tokens: { used: number; reserved: number } } } | null }[] };
}

async function overview(token: string): Promise<Overview> {
  const res = await get("/admin/api/overview", token);
  expect(res.status).toBe(200);
  return (await res.json()) as Overview;
}

function expectDashboardHeaders(res: Response): void {
  expect(res.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
}

describe("dashboard sign-in", () => {
  it("exchanges the admin key for a __Host- cookie: HttpOnly, Secure, SameSite=Strict, Path=/, 15 minutes", async () => {
    const res = await signIn(ADMIN);
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie")!;
    const [pair, ...attrs] = cookie.split("; ");
    expect(pair).toMatch(new RegExp(`^__Host-aigis_session=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`));
    expect(attrs.sort()).toEqual(["HttpOnly", "Max-Age=900", "Path=/", "SameSite=Strict", "Secure"]);
    expect(cookie).not.toContain(ADMIN);
    const body = (await res.json()) as { client_id: string; expires_at: string };
    expect(body.client_id).toBe(ADMIN_CLIENT);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(800_000);
    expectDashboardHeaders(res);
    const s = await verifySession(await key(), tokenOf(res), Date.now());
    expect(s).toMatchObject({ clientId: ADMIN_CLIENT, keyHash: await sha256Hex(ADMIN) });
  });

  it("refuses a wrong key (401), a non-admin key (403) and a form body (415), in the error shape and without a cookie", async () => {
    const wrong = await signIn(testKey("notakey"));
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).code).toBe("invalid_api_key");
    const demo = await signIn(DEMO_KEY);
    expect(demo.status).toBe(403);
    expect((await errorOf(demo)).code).toBe("insufficient_scope");
    const form = await signIn(ADMIN, { contentType: "application/x-www-form-urlencoded", body: `key=${ADMIN}` });
    expect(form.status).toBe(415);
    const shape = await signIn(ADMIN, { body: JSON.stringify({ key: ADMIN, extra: 1 }) });
    expect(shape.status).toBe(400);
    for (const res of [wrong, demo, form, shape]) {
      expect(res.headers.get("set-cookie")).toBeNull();
      expectDashboardHeaders(res);
    }
  });

  it("counts failed sign-ins towards the per-address throttle, which then refuses even the admin key", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    let failures = 0;
    while ((await signIn(testKey("guessing"), { ip })).status === 401 && failures < 100) failures++;
    expect(failures).toBeGreaterThanOrEqual(30);
    expect(failures).toBeLessThanOrEqual(32);
    const blocked = await signIn(ADMIN, { ip });
    expect(blocked.status).toBe(429);
    expect((await errorOf(blocked)).code).toBe("auth_rate_limited");
    expect((await signIn(ADMIN)).status).toBe(200);
  });

  it("refuses a sign-in from another origin or without Origin", async () => {
    for (const origin of ["https://evil.test", "null", null]) {
      const res = await signIn(ADMIN, { origin });
      expect(res.status, String(origin)).toBe(403);
      expect((await errorOf(res)).code).toBe("csrf_rejected");
      expect(res.headers.get("set-cookie")).toBeNull();
    }
  });

  it("a revoked key cannot sign in, even while KV still serves its old record", async () => {
    const hash = await sha256Hex(ADMIN);
    const stale = await env.CONFIG_KV.get(keyStorageName(hash));
    await env.CLIENT_STATE.get(env.CLIENT_STATE.idFromName(ADMIN_CLIENT)).revokeKey(hash, Date.now());
    await env.CONFIG_KV.put(keyStorageName(hash), stale!);
    const res = await signIn(ADMIN);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("invalid_api_key");
  });
});

describe("dashboard page and headers", () => {
  it("serves the sign-in form without a session and the dashboard with one; no inline script or style", async () => {
    const anon = await get("/admin");
    expect(anon.status).toBe(200);
    expect(anon.headers.get("content-type")).toMatch(/^text\/html/);
    expectDashboardHeaders(anon);
    const form = await anon.text();
    expect(form).toContain('<form id="sign-in"');
    expect(form).not.toContain("aigis-csrf-token");

    const token = await session();
    const res = await get("/admin", token);
    const html = await res.text();
    expectDashboardHeaders(res);
    for (const id of ["events", "usage", "top-rules", "rules"]) expect(html).toContain(`<section id="${id}">`);
    const csrf = /<meta name="aigis-csrf-token" content="([A-Za-z0-9_-]{43})">/.exec(html)?.[1];
    expect(csrf).toBe(await csrfOf(token));
    for (const page of [form, html]) {
      expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect(page).toContain('<script src="/admin/app.js" defer></script>');
    }
  });

  it("serves the script and stylesheet with their types and the same headers", async () => {
    const js = await get("/admin/app.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expectDashboardHeaders(js);
    expect(await js.text()).toBe(APP_JS);
    const css = await get("/admin/app.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expectDashboardHeaders(css);
  });

  it("answers API errors in the gateway's error shape with the same headers; wrong methods are 405", async () => {
    const res = await get("/admin/api/overview");
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("invalid_api_key");
    expectDashboardHeaders(res);
    const put = await SELF.fetch(`${ORIGIN}/admin/session`, { method: "GET" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("POST");
  });

  it("a session cookie never authenticates the admin API, and a bearer key never opens the dashboard API", async () => {
    const token = await session();
    expect((await get("/admin/v1/rules", token)).status).toBe(401);
    const bearer = await SELF.fetch(`${ORIGIN}/admin/api/overview`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bearer.status).toBe(401);
  });

  it("fails closed with 503 when AIGIS_SESSION_KEY is missing or too short", async () => {
    for (const secret of [undefined, "too-short"]) {
      const { AIGIS_SESSION_KEY: _, ...rest } = env as unknown as Record<string, unknown>;
      const bindings = (secret === undefined ? rest : { ...rest, AIGIS_SESSION_KEY: secret }) as unknown as Env;
      for (const req of [new Request(`${ORIGIN}/admin`), new Request(`${ORIGIN}/admin/session`, { method: "POST", headers: { origin: ORIGIN, "content-type": "application/json" }, body: JSON.stringify({ key: ADMIN }) })]) {
        const ctx = createExecutionContext();
        const res = await app.fetch(req, bindings, ctx);
        await waitOnExecutionContext(ctx);
        expect(res.status).toBe(503);
        expect((await errorOf(res)).code).toBe("dashboard_not_configured");
        expectDashboardHeaders(res);
      }
    }
  });
});

describe("dashboard sessions", () => {
  it("accepts a token it issued and refuses expired, tampered and foreign-key tokens", async () => {
    const k = await key();
    const who = { clientId: ADMIN_CLIENT, keyHash: await sha256Hex(ADMIN) };
    const fresh = (await issueSession(k, who, Date.now())).token;
    expect((await get("/admin/api/overview", fresh)).status).toBe(200);

    const expired = (await issueSession(k, who, Date.now() - 901_000)).token;
    const [payload, mac] = fresh.split(".") as [string, string];
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const forged = btoa(JSON.stringify({ ...claims, e: Date.now() + 86_400_000 })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const other = await crypto.subtle.importKey("raw", new TextEncoder().encode("another-session-key-0123456789abcdef"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    const foreign = (await issueSession(other, who, Date.now())).token;
    const flipped = `${payload}.${mac[0] === "A" ? "B" : "A"}${mac.slice(1)}`;
    for (const [name, token] of Object.entries({ expired, forged: `${forged}.${mac}`, foreign, flipped, junk: "x.y.z" })) {
      const res = await get("/admin/api/overview", token);
      expect(res.status, name).toBe(401);
      expect((await errorOf(res)).code).toBe("invalid_api_key");
      expect(await (await get("/admin", token)).text(), name).toContain('<form id="sign-in"');
    }
  });

  it("revoking the admin key through the admin API ends its sessions", async () => {
    const token = await session();
    expect((await get("/admin/api/overview", token)).status).toBe(200);
    const revoke = await SELF.fetch(`${ORIGIN}/admin/v1/keys/revoke`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ key_hash: await sha256Hex(ADMIN) }) });
    expect(revoke.status).toBe(200);
    expect((await get("/admin/api/overview", token)).status).toBe(401);
  });

  it("a key revoked only in its client object, or only in KV, ends its sessions as well", async () => {
    const hash = await sha256Hex(ADMIN);
    const token = await session();
    await env.CLIENT_STATE.get(env.CLIENT_STATE.idFromName(ADMIN_CLIENT)).revokeKey(hash, Date.now());
    expect((await get("/admin/api/overview", token)).status).toBe(401);

    const other = await seedKey(testKey(`dashother${crypto.randomUUID().replace(/-/g, "")}`), { client_id: `${ADMIN_CLIENT}-2`, scopes: ["admin"] });
    const second = await session(other);
    expect((await get("/admin/api/overview", second)).status).toBe(200);
    await seedKey(other, { client_id: `${ADMIN_CLIENT}-2`, scopes: ["admin"], revoked: true });
    expect((await get("/admin/api/overview", second)).status).toBe(401);
  });

  it("a key that loses the admin scope gets 403; one moved to another client id gets 401", async () => {
    const token = await session();
    await seedKey(ADMIN, { client_id: ADMIN_CLIENT, scopes: ["chat"] });
    const res = await get("/admin/api/overview", token);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("insufficient_scope");
    await seedKey(ADMIN, { client_id: "someone-else", scopes: ["admin"] });
    expect((await get("/admin/api/overview", token)).status).toBe(401);
  });

  it("fails closed (503) when the client's object cannot confirm the session", async () => {
    const token = await session();
    vi.spyOn(env.CLIENT_STATE, "get").mockImplementation(() => ({ sessionStatus: () => Promise.reject(new Error("down")) }) as never);
    const res = await get("/admin/api/overview", token);
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("auth_unavailable");
  });
});

describe("dashboard sign-out", () => {
  it("needs the session's CSRF token and this origin; then the cookie is cleared and the old token refused", async () => {
    const token = await session();
    const csrf = await csrfOf(token);
    const otherCsrf = await csrfOf(await session());
    const refused: [string, Response][] = [
      ["no token", await signOut(token, undefined)],
      ["another session's token", await signOut(token, otherCsrf)],
      ["garbage", await signOut(token, "x".repeat(43))],
      ["other origin", await signOut(token, csrf, "https://evil.test")],
      ["no origin", await signOut(token, csrf, null)],
    ];
    for (const [name, res] of refused) {
      expect(res.status, name).toBe(403);
      expect((await errorOf(res)).code, name).toBe("csrf_rejected");
      expect(res.headers.get("set-cookie"), name).toBeNull();
    }
    expect((await get("/admin/api/overview", token)).status).toBe(200);

    const res = await signOut(token, csrf);
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBe(`${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`);
    expectDashboardHeaders(res);
    // A copy of the cookie kept from before the sign-out no longer works.
    expect((await get("/admin/api/overview", token)).status).toBe(401);
    // Signing in again right away works.
    expect((await get("/admin/api/overview", await session())).status).toBe(200);
  });

  it("without a session, sign-out is 401 whatever the CSRF header says", async () => {
    const res = await signOut("", "x");
    expect(res.status).toBe(401);
  });
});

describe("dashboard overview", () => {
  it("shows appended audit records, top rules in the window, the active rules and a client's usage after a request", async () => {
    const marker = `test.dashboard.${crypto.randomUUID().slice(0, 8)}`;
    const client = `dashclient${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "dashboard-test", plans: { metered: { limits: { daily_tokens: 100_000 } } } }));
    resetRulesCache();
    const clientKey = await seedKey(testKey(client), { client_id: client, plan: "metered" });
    const event = (rule: string): AuditEvent => ({ at: Date.now(), kind: "decision", client, tenant: "tenant-a", rule, rulesVersion: "v@h", action: "block", promptMac: null, detail: { status: 400 } });
    await auditLog(env).append([event(marker), event(marker), event(`${marker}.other`)]);
    expect((await chat("hello dashboard", {}, { key: clientKey })).status).toBe(200);
    const token = await session();

    let view: Overview | undefined;
    await vi.waitFor(
      async () => {
        view = await overview(token);
        const tokens = view.clients.items.find((c) => c.client_id === client)?.usage?.day.tokens;
        expect(tokens?.used).toBeGreaterThan(0);
        expect(tokens?.reserved).toBe(0);
      },
      { timeout: 5000, interval: 50 },
    );
    const v = view!;
    expect(v.session.client_id).toBe(ADMIN_CLIENT);
    expect(v.rules).toMatchObject({ version: "dashboard-test", source: "kv" });
    expect(v.audit.available).toBe(true);
    expect(v.audit.window).toBe(500);
    expect(v.audit.events.filter((e) => e.rule === marker)).toHaveLength(2);
    expect(v.audit.events.find((e) => e.rule === marker)).toMatchObject({ client, action: "block", detail: { status: 400 } });
    expect(v.audit.top_rules).toContainEqual({ rule: marker, count: 2 });
    expect(v.audit.top_rules).toContainEqual({ rule: `${marker}.other`, count: 1 });
    expect(v.clients).toMatchObject({ available: true, cap: CLIENT_CAP, capped: false });
    expect(v.clients.items.map((c) => c.client_id)).toEqual(expect.arrayContaining([client, ADMIN_CLIENT]));
    const row = v.clients.items.find((c) => c.client_id === client)!;
    expect(row).toMatchObject({ plan: "metered", keys: 1, active_keys: 1, metered: true });
    // The admin's plan has no limits: admission counts nothing, and the overview says so.
    expect(v.clients.items.find((c) => c.client_id === ADMIN_CLIENT)).toMatchObject({ metered: false });
    // The same figures the client itself sees.
    const own = (await (await SELF.fetch(`${ORIGIN}/v1/usage`, { headers: { authorization: `Bearer ${clientKey}` } })).json()) as { day: unknown };
    expect(row.usage!.day).toEqual(own.day);
    expect(row.usage!.day).toMatchObject({ tokens: { limit: 100_000, remaining: 100_000 - row.usage!.day.tokens.used } });
  });

  it("shows at most CLIENT_CAP clients and says so", async () => {
    await Promise.all(Array.from({ length: CLIENT_CAP + 5 }, (_, i) => seedKey(testKey(`capclient${i}`), { client_id: `cap-${String(i).padStart(2, "0")}` })));
    const v = await overview(await session());
    expect(v.clients.items).toHaveLength(CLIENT_CAP);
    expect(v.clients.capped).toBe(true);
  });

  it("reports the audit section as unavailable when the writer fails, and still shows the rest", async () => {
    const token = await session();
    vi.spyOn(env.AUDIT_LOG, "get").mockImplementation(() => ({ recent: () => Promise.reject(new Error("writer down")) }) as never);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const v = await overview(token);
    expect(v.audit).toEqual({ available: false });
    expect(v.clients.available).toBe(true);
  });
});

describe("dashboard escaping", () => {
  const EVIL = `<img src=x onerror=alert(1)>"'&`;

  it("escapes the signed-in client id in the page and sends data as JSON only", async () => {
    const evilAdmin = await seedKey(testKey("evildashboardadmin"), { client_id: EVIL, scopes: ["admin"] });
    const token = await session(evilAdmin);
    const html = await (await get("/admin", token)).text();
    expect(html).toContain(`<strong id="who">${escapeHtml(EVIL)}</strong>`);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;");
    expect(html).not.toContain(EVIL);
    const res = await get("/admin/api/overview", token);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const v = (await res.json()) as Overview;
    expect(v.session.client_id).toBe(EVIL);
    expect(v.clients.items.map((c) => c.client_id)).toContain(EVIL);
  });

  it("the page script has no HTML sinks: data reaches the DOM through textContent only", () => {
    expect(APP_JS).toContain("textContent");
    expect(APP_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});

describe("dashboard pure parts", () => {
  it("CSRF tokens belong to one session", async () => {
    const k = await key();
    const a = (await issueSession(k, { clientId: "a", keyHash: "0".repeat(64) }, Date.now())).token;
    const b = (await issueSession(k, { clientId: "a", keyHash: "0".repeat(64) }, Date.now())).token;
    expect(a).not.toBe(b);
    expect(await verifyCsrf(k, a, await csrfToken(k, a))).toBe(true);
    expect(await verifyCsrf(k, a, await csrfToken(k, b))).toBe(false);
    expect(await verifyCsrf(k, a, undefined)).toBe(false);
    // The CSRF MAC cannot stand in for the session's own signature.
    expect(await verifySession(k, `${a.split(".")[0]}.${await csrfToken(k, a.split(".")[0]!)}`, Date.now())).toBe("bad_signature");
  });

  it("sessionKey refuses short secrets; verifySession refuses oversize tokens", async () => {
    expect(sessionKey("short")).toBeUndefined();
    expect(sessionKey(undefined)).toBeUndefined();
    expect(await verifySession(await key(), "a".repeat(2000), Date.now())).toBe("malformed");
    expect(await verifySession(await key(), undefined, Date.now())).toBe("missing");
  });

  it("clientsOf deduplicates by client id, prefers a usable key's plan and skips corrupt records", () => {
    const now = Date.parse("2026-06-01T00:00:00Z");
    const rec = (o: Record<string, unknown>) => JSON.stringify({ client_id: "a", tenant: "t", plan: "old", ...o });
    const rows = clientsOf([rec({ revoked: true }), rec({ plan: "new" }), rec({ client_id: "b", expires: "2026-01-01T00:00:00Z" }), "{not json", JSON.stringify({ nope: 1 }), null], now);
    expect(rows).toEqual([
      { client_id: "a", tenant: "t", plan: "new", keys: 2, active_keys: 1 },
      { client_id: "b", tenant: "t", plan: "old", keys: 1, active_keys: 0 },
    ]);
  });

  it("topRules counts by rule, skips empty ones, and orders by count then id", () => {
    const r = (rule: string) => ({ rule });
    expect(topRules([r("b"), r("a"), r(""), r("b"), r("c"), r("a"), r("b")], 2)).toEqual([
      { rule: "b", count: 3 },
      { rule: "a", count: 2 },
    ]);
  });
});
