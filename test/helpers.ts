/** Shared test plumbing: seeded keys and request builders. Each test seeds its own state. */
import { env, SELF } from "cloudflare:test";
import { keyStorageName, resetKeyCache, sha256Hex } from "../src/auth/api-keys";
import { fixtureKey } from "../src/auth/key-format";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { afterEach, beforeEach, expect, vi } from "vitest";
import type { ChainedRecord } from "../src/audit/chain";
import { auditLog } from "../src/audit/writer";

/** Test keys are well-formed (prefix and checksum) so they reach the KV lookup. */
export const testKey = (label: string): string => fixtureKey(label);
export const DEMO_KEY = testKey("testdemo");

export async function seedKey(key = DEMO_KEY, record: Record<string, unknown> = {}): Promise<string> {
  const value = { client_id: "client-a", tenant: "tenant-a", name: "test", plan: "default", scopes: ["chat"], created: "2026-01-01T00:00:00Z", ...record };
  await env.CONFIG_KV.put(keyStorageName(await sha256Hex(key)), JSON.stringify(value));
  // Storage is per test but module caches are per isolate: start each test from KV.
  resetKeyCache();
  return key;
}

export function post(path: string, body: unknown, init: { key?: string | null; headers?: Record<string, string>; raw?: BodyInit } = {}): Promise<Response> {
  // A fresh address per request, so tests that fail authentication on purpose never add up
  // to the failed-authentication throttle (test/throttle.test.ts tests that on its own).
  const address = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;
  const headers: Record<string, string> = { "content-type": "application/json", "cf-connecting-ip": address, ...init.headers };
  const key = init.key === undefined ? DEMO_KEY : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return SELF.fetch(`https://gateway.test${path}`, { method: "POST", headers, body: init.raw ?? JSON.stringify(body) });
}

export function chat(content: string, extra: Record<string, unknown> = {}, init: Parameters<typeof post>[2] = {}): Promise<Response> {
  return post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content }], ...extra }, init);
}

export interface ErrorJson {
  error: { message: string; type: string; code: string; param: string | null };
}

export async function errorOf(res: Response): Promise<ErrorJson["error"]> {
  const body = (await res.json()) as ErrorJson;
  return body.error;
}

/** All `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split(/\n\n/)
    .flatMap((ev) => ev.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()))
    .filter((d) => d !== "");
}

/**
 * A fresh client per test, with the analytics data points it causes captured, and any
 * rules document a test pushes removed afterwards. Call at the top of a test file.
 */
export function perTestClient(prefix: string): {
  key(): string;
  points: AnalyticsEngineDataPoint[];
  lastPoint(): Promise<AnalyticsEngineDataPoint>;
  rules(doc: Record<string, unknown>): Promise<void>;
} {
  let key = "";
  const points: AnalyticsEngineDataPoint[] = [];
  beforeEach(async () => {
    const client = `${prefix}${crypto.randomUUID().replace(/-/g, "")}`;
    key = await seedKey(testKey(client), { client_id: client });
    points.length = 0;
    vi.spyOn(env.ANALYTICS, "writeDataPoint").mockImplementation((p) => {
      if (p !== undefined) points.push(p);
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await env.CONFIG_KV.delete(RULES_KEY);
    resetRulesCache();
  });
  return {
    key: () => key,
    points,
    async lastPoint() {
      for (let i = 0; i < 100 && points.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      return points.at(-1)!;
    },
    async rules(doc) {
      await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "test", ...doc }));
      resetRulesCache();
    },
  };
}

/** `data` audit records about `client` with `action`, once there are at least `n`. */
export async function dataRecords(client: string, action: string, n = 1): Promise<ChainedRecord[]> {
  let found: ChainedRecord[] = [];
  await vi.waitFor(
    async () => {
      const { records } = await auditLog(env).recent(1000);
      found = records.filter((r) => r.kind === "data" && r.client === client && r.action === action);
      expect(found.length).toBeGreaterThanOrEqual(n);
    },
    { timeout: 5000, interval: 20 },
  );
  return found;
}
