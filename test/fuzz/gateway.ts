/**
 * Talking to the real Worker from the fuzz properties, and the invariants every answer must
 * keep whatever the input: never 5xx (the mock upstream is healthy, so not even the
 * documented 502/503/504), an `x-request-id` of the gateway's own form, and an error body of
 * exactly the OpenAI shape whose `code` is one of src/errors.ts with its status and type.
 *
 * Transport: `SELF.fetch`, as the other tests, unless `FUZZ_TRANSPORT=direct`, which calls the
 * Worker's `fetch` handler in this isolate with its own execution context (and waits for its
 * `waitUntil` work). `npm run fuzz` uses `direct`: under vitest-pool-workers every `SELF.fetch`
 * gets slower as the test file's workerd has served more requests (~2 ms at first, ~200 ms
 * after 800; cloudflare/workers-sdk#15446), so a 2,000-run property would take hours. A file
 * of `npm test`'s default runs stays well under that.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import { ERRORS, type ErrorCode } from "../../src/errors";
import worker from "../../src/index";
import { resetRulesCache, RULES_KEY } from "../../src/rules/store";
import { seedKey, sseData, testKey } from "../helpers";
import { transport } from "./run";

let sent = 0;

/**
 * A fresh client address per request (so failed credentials never add up to the throttle,
 * which test/throttle.test.ts covers).
 */
function address(): string {
  sent++;
  return `2001:db8:${(sent >>> 16).toString(16)}:${(sent & 0xffff).toString(16)}::1`;
}

/**
 * Seeds a new client and returns its key. The rules are the bundled defaults except that the
 * client is on the extraction defence's `allow_clients` list, as docs/extraction-defence.md
 * advises for a red-team harness: hundreds of near-identical requests would otherwise (rightly)
 * be slowed and then refused with 429 probing_limited, hiding every later stage's answer.
 * `plan` adds settings to the default plan; `releaseClient` restores the defaults.
 */
export async function fuzzClient(plan: Record<string, unknown> = {}): Promise<string> {
  const client = `fz${crypto.randomUUID().replace(/-/g, "")}`;
  const key = await seedKey(testKey(client), { client_id: client, scopes: ["chat"] });
  const doc = { schema_version: 1, version: "fuzz", plans: { default: { ...plan, probing: { allow_clients: [client] } } } };
  await env.CONFIG_KV.put(RULES_KEY, JSON.stringify(doc));
  resetRulesCache();
  return key;
}

/** Forgets the fuzz rules (storage is per test, the rules cache is per isolate). */
export async function releaseClient(): Promise<void> {
  await settle();
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
}

/** `waitUntil` work of direct calls, awaited together (the audit batches for 50 ms). */
let pending: Promise<void>[] = [];

async function settle(): Promise<void> {
  const all = pending;
  pending = [];
  await Promise.all(all);
}

export async function send(path: string, init: { method?: string; headers?: Record<string, string> | Headers; body?: BodyInit }): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", address());
  const request = new Request(`https://gateway.test${path}`, { method: init.method ?? "POST", headers, body: init.body ?? null });
  if (transport === "self") return SELF.fetch(request);
  const ctx = createExecutionContext();
  // A request built here has no incoming `cf` object; the gateway does not read one.
  const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env as Env, ctx);
  // The whole answer (a stream too) is read before the context's waitUntil work is awaited:
  // settling and auditing run once the stream has ended.
  const bytes = await res.arrayBuffer();
  pending.push(waitOnExecutionContext(ctx));
  if (pending.length >= 100) await settle();
  return new Response(bytes, { status: res.status, headers: res.headers });
}

export interface Answer {
  status: number;
  code: ErrorCode | undefined;
  text: string;
}

/**
 * The one 5xx a healthy upstream can cause: the mock echoes every prompt, so a request with
 * thousands of them (the gateway allows up to 10,000 text parts) makes an answer over
 * `max_response_bytes` (1 MiB in tests), which the gateway refuses or cuts as documented.
 */
const UPSTREAM_SAID_SO: ReadonlySet<string> = new Set(["upstream_response_too_large"]);

const shown = (text: string): string => (text.length > 600 ? `${text.slice(0, 600)}…` : text);

/** Reads the whole answer (a stream too) and checks the invariants; returns what it saw. */
export async function wellFormed(res: Response, what = ""): Promise<Answer> {
  const text = await res.text();
  const ctx = `${what} -> ${res.status} ${shown(text)}`;
  const upstreamSaidSo = res.status === 502 && UPSTREAM_SAID_SO.has(/"code":"([a-z_]+)"/.exec(text)?.[1] ?? "");
  if (!upstreamSaidSo) expect(res.status, ctx).toBeLessThan(500);
  expect(res.headers.get("x-request-id"), ctx).toMatch(/^req_[0-9A-Za-z_-]+$/);
  if (res.status < 400) {
    // A stream the gateway cut ends with an error event of the same shape.
    if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      for (const data of sseData(text)) {
        if (!data.startsWith('{"error"')) continue;
        const code = (JSON.parse(data) as { error: { code: string } }).error.code;
        const event = `${what} -> 200 stream ending ${data}`;
        expect(Object.hasOwn(ERRORS, code), event).toBe(true);
        if (!UPSTREAM_SAID_SO.has(code)) expect(ERRORS[code as ErrorCode].status, event).toBeLessThan(500);
      }
    }
    return { status: res.status, code: undefined, text };
  }
  expect(res.headers.get("content-type"), ctx).toBe("application/json");
  const body = JSON.parse(text) as { error?: Record<string, unknown> };
  expect(Object.keys(body), ctx).toEqual(["error"]);
  const error = body.error ?? {};
  expect(Object.keys(error).sort(), ctx).toEqual(["code", "message", "param", "type"]);
  const code = String(error.code);
  expect(Object.hasOwn(ERRORS, code), `unknown code ${code}: ${ctx}`).toBe(true);
  const spec = ERRORS[code as ErrorCode];
  expect(res.status, ctx).toBe(spec.status);
  expect(error.type, ctx).toBe(spec.type);
  expect(typeof error.message, ctx).toBe("string");
  expect(error.param === null || typeof error.param === "string", ctx).toBe(true);
  expect(res.headers.get("x-should-retry"), ctx).toBe(String(spec.retry));
  return { status: res.status, code: code as ErrorCode, text };
}

/**
 * After a property: the isolate still answers a plain request (nothing crashed or wedged it);
 * then the fuzz rules are forgotten.
 */
export async function stillServes(key: string): Promise<void> {
  await settle();
  const res = await send("/v1/chat/completions", {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "still there?" }] }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("still there?");
  await releaseClient();
}
