/** Shared test plumbing: seeded keys and request builders. Each test seeds its own state. */
import { env, SELF } from "cloudflare:test";
import { keyStorageName, resetKeyCache, sha256Hex } from "../src/auth/api-keys";
import { fixtureKey } from "../src/auth/key-format";

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
