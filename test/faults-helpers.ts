/**
 * Plumbing for test/faults.test.ts: drive the Worker with one binding swapped for a failing
 * one, and read back what must not be lost (the client's usage, the analytics data point,
 * the audit record). Faults are injected where the Worker calls a binding, never inside a
 * Durable Object: a rejected call inside the pool's object can leak an unhandled rejection
 * (../shared/TOOLCHAIN.md).
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect, vi } from "vitest";
import { app } from "../src/app";
import type { AdmitRequest, AdmitResult } from "../src/admission/client-state";
import type { ChainedRecord } from "../src/audit/chain";
import { auditLog } from "../src/audit/writer";
import { errorOf, sseData } from "./helpers";

/** What the gateway's own request ids look like (src/middleware/request-id.ts). */
export const REQUEST_ID = /^req_[0-9a-f]{24}$/;

/** A POST the way helpers.post builds one, for `app.fetch` with swapped bindings. */
export function apiRequest(path: string, key: string, body: unknown): Request {
  const address = `2001:db8:f::${Math.floor(Math.random() * 0xffff).toString(16)}`;
  return new Request(`https://gateway.test${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "cf-connecting-ip": address },
    body: JSON.stringify(body),
  });
}

export const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({ model: "mock-gpt", messages: [{ role: "user", content }], ...extra });

/**
 * Runs one request through the Worker with `overrides` in place of the real bindings, and
 * waits for its `waitUntil` work (settling, analytics, the audit hand-off). Plain responses
 * only: a stream's waitUntil ends when its body is read.
 */
export async function withBindings(request: Request, overrides: Partial<Record<keyof Env, unknown>>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Checks an error answer (status, stable code, retry hint, request id); returns its request id. */
export async function expectError(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  const id = res.headers.get("x-request-id") ?? "";
  expect(id).toMatch(REQUEST_ID);
  expect((await errorOf(res)).code).toBe(code);
  return id;
}

/** A stream's last two `data:` events: the gateway's error event, then [DONE]. */
export function streamEnd(text: string): { code: string | undefined; done: boolean; events: number } {
  const data = sseData(text);
  const last = data.at(-2)?.startsWith("{") === true ? (JSON.parse(data.at(-2)!) as { error?: { code?: string } }) : {};
  return { code: last.error?.code, done: data.at(-1) === "[DONE]", events: data.length };
}

export interface TokenUsage {
  used: number;
  reserved: number;
}

/** The client's tokens today, from its own Durable Object (GET /v1/usage, real bindings). */
export async function usageOf(key: string): Promise<TokenUsage> {
  const res = await SELF.fetch("https://gateway.test/v1/usage", { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { day: { tokens: TokenUsage } };
  return { used: body.day.tokens.used, reserved: body.day.tokens.reserved };
}

/** Usage once nothing is reserved any more: settling runs after the response, in waitUntil. */
export async function settledUsage(key: string): Promise<TokenUsage> {
  let u: TokenUsage = { used: -1, reserved: -1 };
  await vi.waitFor(
    async () => {
      u = await usageOf(key);
      expect(u.reserved).toBe(0);
    },
    { timeout: 3000, interval: 20 },
  );
  return u;
}

/** The analytics data point of one request (a stream's is written when it ends); `client` is its index. */
export async function pointOf(points: AnalyticsEngineDataPoint[], requestId: string): Promise<{ client: string; blobs: string[]; doubles: number[] }> {
  let found: AnalyticsEngineDataPoint | undefined;
  await vi.waitFor(
    () => {
      found = points.find((p) => p.blobs?.[8] === requestId);
      expect(found).toBeDefined();
    },
    { timeout: 3000, interval: 10 },
  );
  return { client: String(found!.indexes?.[0] ?? ""), blobs: (found!.blobs ?? []) as string[], doubles: found!.doubles ?? [] };
}

/** Analytics positions (docs/analytics.md) the fault tests read. */
export const BLOB = { provider: 2, decision: 3, errorCode: 4, ruleIds: 5, rulesVersion: 6, errorDetail: 11, tier2: 14 } as const;
export const DOUBLE = { status: 0, streamCut: 8, fallbackUsed: 9 } as const;

/** The audit record of one request, once the writer has it (pending or flushed). */
export async function auditRecordOf(requestId: string): Promise<ChainedRecord> {
  let found: ChainedRecord | undefined;
  await vi.waitFor(
    async () => {
      const { records } = await auditLog(env).recent(1000);
      found = records.find((r) => r.detail.request_id === requestId);
      expect(found).toBeDefined();
    },
    { timeout: 5000, interval: 20 },
  );
  return found!;
}

type Fault = Error | undefined;

export interface FaultyClientState {
  ns: Env["CLIENT_STATE"];
  /** The object names each method was called for, in order (one entry per attempt). */
  calls: { admit: string[]; settle: string[] };
}

/**
 * `env.CLIENT_STATE` with failures injected at the stub: for each call, `admit` / `settle`
 * return the error to reject with, or undefined to let the call reach the real object.
 * A new stub is made on every `get`, as the runtime does.
 */
export function faultyClientState(faults: {
  admit?: (name: string, attempt: number) => Fault;
  settle?: (name: string) => Fault;
  /** Lets the admit call reach the object only once this resolves (never: a call that hangs). */
  admitAfter?: () => Promise<void>;
}): FaultyClientState {
  const real = env.CLIENT_STATE;
  const names = new WeakMap<DurableObjectId, string>();
  const calls = { admit: [] as string[], settle: [] as string[] };
  const ns = {
    idFromName(name: string): DurableObjectId {
      const id = real.idFromName(name);
      names.set(id, name);
      return id;
    },
    get(id: DurableObjectId) {
      const name = names.get(id) ?? "";
      const stub = real.get(id);
      return {
        admit(req: AdmitRequest): Promise<AdmitResult> {
          const err = faults.admit?.(name, calls.admit.filter((n) => n === name).length);
          calls.admit.push(name);
          if (err !== undefined) return Promise.reject(err);
          return faults.admitAfter === undefined ? stub.admit(req) : faults.admitAfter().then(() => stub.admit(req) as Promise<AdmitResult>);
        },
        // Settlements (src/admission/settle-queue.ts), and a late admission's release.
        settleMany(...args: Parameters<typeof stub.settleMany>) {
          const err = faults.settle?.(name);
          calls.settle.push(name);
          return err === undefined ? stub.settleMany(...args) : Promise.reject(err);
        },
        usage: (...args: Parameters<typeof stub.usage>) => stub.usage(...args),
      };
    },
  };
  return { ns: ns as unknown as Env["CLIENT_STATE"], calls };
}

/**
 * Errors as the runtime raises them from a Durable Object stub (Cloudflare's "Error handling"
 * page for Durable Objects): `.overloaded` must not be retried, `.retryable` may be once.
 */
export const doError = {
  overloaded: () => Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), { overloaded: true }),
  retryable: () => Object.assign(new Error("Network connection lost."), { retryable: true }),
  /** No flag: the runtime gave up on the call (the object was reset mid-call). */
  timeout: () => new Error("Durable Object storage operation exceeded timeout which caused object to be reset."),
  /** A bug in the object's own code, surfacing at the caller. */
  throwing: () => Object.assign(new TypeError("Cannot read properties of undefined (reading 'tokens')"), { remote: true }),
};

/** `env.CONFIG_KV` whose reads of the keys `fails` picks throw, as KV does when unavailable. */
export function faultyKv(fails: (key: string) => boolean): { kv: KVNamespace; failed: string[] } {
  const real = env.CONFIG_KV;
  const failed: string[] = [];
  const kv = {
    get(key: string, options?: unknown) {
      if (fails(key)) {
        failed.push(key);
        return Promise.reject(new Error("KV GET failed: 503 Service Unavailable"));
      }
      return real.get(key, options as KVNamespaceGetOptions<"text">);
    },
    put: real.put.bind(real),
    delete: real.delete.bind(real),
    list: real.list.bind(real),
    getWithMetadata: real.getWithMetadata.bind(real),
  };
  return { kv: kv as unknown as KVNamespace, failed };
}

/**
 * Replaces `fetch` for the URLs `matches` picks: `respond` answers them (a Response, a throw
 * for a refused connection, or a promise that never settles). Other URLs reach the real
 * fetch. Returns the URLs answered here, in order.
 */
export function interceptFetch(matches: (url: string) => boolean, respond: (init: RequestInit | undefined) => Promise<Response> | Response): string[] {
  const handled: string[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!matches(url)) return real(input, init);
    handled.push(url);
    return respond(init);
  });
  return handled;
}

/** A fetch that never answers until its signal aborts (a host that accepts and then hangs). */
export function hang(init: RequestInit | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const signal = init?.signal;
    if (signal === undefined || signal === null) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
