/**
 * Object ids inside request bodies (src/middleware/objects.ts): a file, a stored response or
 * an output item another client created is answered like a missing one, and never reaches
 * the provider. The mock upstream (mock/) is one provider account for every client, as a
 * real one is: every separation is the gateway's. Each test makes its own clients.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClientState } from "../src/admission/client-state";
import { MAX_BODY_OBJECT_REFS, OWNED_RESPONSE_TTL_MS, OWNED_RESPONSES_KEPT } from "../src/policy/objects";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { apiRequest, doError, withBindings } from "./faults-helpers";
import { errorOf, post, seedKey, sseData, testKey } from "./helpers";

interface Client {
  key: string;
  id: string;
}

/** A fresh client; `files` lets it upload. */
async function client(scopes: string[] = ["chat", "files"], id = `objects-${crypto.randomUUID().replace(/-/g, "")}`): Promise<Client> {
  // A key of its own even when it shares the client id.
  return { key: await seedKey(testKey(`k${crypto.randomUUID()}`), { client_id: id, scopes }), id };
}

async function upload(c: Client, purpose = "user_data"): Promise<string> {
  const form = new FormData();
  form.append("purpose", purpose);
  form.append("file", new File(["some notes"], "notes.txt"));
  const res = await SELF.fetch("https://gateway.test/v1/files", { method: "POST", headers: { authorization: `Bearer ${c.key}`, "cf-connecting-ip": "2001:db8:b::1" }, body: form });
  expect(res.status, await res.clone().text()).toBe(200);
  return String(((await res.json()) as { id: string }).id);
}

const chatWithFile = (fileId: string) => ({
  model: "mock-gpt",
  messages: [{ role: "user", content: [{ type: "text", text: "summarise" }, { type: "file", file: { file_id: fileId } }] }],
});
const responsesWithFile = (fileId: string) => ({
  model: "mock-gpt",
  input: [{ role: "user", content: [{ type: "input_text", text: "summarise" }, { type: "input_file", file_id: fileId }] }],
});

/** URLs of model calls that reach the provider (files calls are not counted). */
function modelCalls(): string[] {
  const urls: string[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new Request(input).url;
    if (/\/v1\/(chat\/completions|responses)$/.test(url)) urls.push(url);
    return real(input, init);
  });
  return urls;
}

/** Whether the client's object says it owns `id` (answers as the stage would ask). */
async function owns(c: Client, kind: "file" | "response" | "item", id: string): Promise<boolean> {
  const [answer] = await runInDurableObject(env.CLIENT_STATE.get(env.CLIENT_STATE.idFromName(c.id)), (o: ClientState) => o.ownedRefs([{ kind, id }], Date.now()));
  return answer !== null && answer !== undefined;
}

/** Recording runs from waitUntil after the answer: wait for it. */
async function waitOwned(c: Client, kind: "response" | "item", id: string): Promise<void> {
  await vi.waitFor(async () => expect(await owns(c, kind, id)).toBe(true), { timeout: 3000, interval: 20 });
}

async function expectRefused(res: Response, status: number, code: string, param: string | null): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(status);
  const error = await errorOf(res);
  expect(error).toMatchObject({ code, param });
}

/**
 * `env.CLIENT_STATE` whose stubs count the two ownership calls, and reject `ownedRefs` when
 * asked (a fault injected at the stub, as test/faults-helpers.ts does); every other call
 * reaches the real object.
 */
function countingClientState(failOwnedRefs = false): { ns: Env["CLIENT_STATE"]; calls: { ownedRefs: number; recordResponse: number } } {
  const real = env.CLIENT_STATE;
  const calls = { ownedRefs: 0, recordResponse: 0 };
  const ns = {
    idFromName: (name: string) => real.idFromName(name),
    get(id: DurableObjectId) {
      const stub = real.get(id);
      return {
        admit: (...a: Parameters<typeof stub.admit>) => stub.admit(...a),
        settleMany: (...a: Parameters<typeof stub.settleMany>) => stub.settleMany(...a),
        ownedRefs(...a: Parameters<typeof stub.ownedRefs>) {
          calls.ownedRefs++;
          return failOwnedRefs ? Promise.reject(doError.overloaded()) : stub.ownedRefs(...a);
        },
        recordResponse(...a: Parameters<typeof stub.recordResponse>) {
          calls.recordResponse++;
          return stub.recordResponse(...a);
        },
      };
    },
  };
  return { ns: ns as unknown as Env["CLIENT_STATE"], calls };
}

afterEach(async () => {
  vi.restoreAllMocks();
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
});

describe("file ids in bodies", () => {
  it("another client's file: 404 file_not_found at the part's path, nothing forwarded; the owner is forwarded", async () => {
    const a = await client();
    const b = await client();
    const fileId = await upload(a);
    const calls = modelCalls();

    await expectRefused(await post("/v1/chat/completions", chatWithFile(fileId), { key: b.key }), 404, "file_not_found", "messages[0].content[1].file.file_id");
    await expectRefused(await post("/v1/responses", responsesWithFile(fileId), { key: b.key }), 404, "file_not_found", "input[0].content[1].file_id");
    expect(calls).toEqual([]);

    // The same answer as a file that does not exist at all.
    const missing = await post("/v1/chat/completions", chatWithFile("file-doesnotexist"), { key: b.key });
    const foreign = await post("/v1/chat/completions", chatWithFile(fileId), { key: b.key });
    expect(await errorOf(missing)).toEqual(await errorOf(foreign));

    const own = await post("/v1/chat/completions", chatWithFile(fileId), { key: a.key });
    expect(own.status, await own.clone().text()).toBe(200);
    const ownResponses = await post("/v1/responses", responsesWithFile(fileId), { key: a.key });
    expect(ownResponses.status, await ownResponses.clone().text()).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it("the owner's key without a files scope: 403 insufficient_scope, as on GET /v1/files/{id}", async () => {
    const a = await client();
    const chatOnly = await client(["chat"], a.id);
    const fileId = await upload(a);
    await expectRefused(await post("/v1/chat/completions", chatWithFile(fileId), { key: chatOnly.key }), 403, "insufficient_scope", null);
  });

  it("an id of a shape no provider writes is refused without asking the object", async () => {
    const b = await client();
    const counting = countingClientState();
    const res = await withBindings(apiRequest("/v1/chat/completions", b.key, chatWithFile("../../etc/passwd")), { CLIENT_STATE: counting.ns });
    await expectRefused(res, 404, "file_not_found", "messages[0].content[1].file.file_id");
    expect(counting.calls.ownedRefs).toBe(0);
  });

  it(`more than ${MAX_BODY_OBJECT_REFS} distinct ids: 400 before any lookup; repeats count once`, async () => {
    const b = await client();
    const parts = (n: number, id: (i: number) => string) => Array.from({ length: n }, (_, i) => ({ type: "input_file", file_id: id(i) }));
    const body = (content: unknown[]) => ({ model: "mock-gpt", input: [{ role: "user", content }] });
    const counting = countingClientState();
    const many = await withBindings(apiRequest("/v1/responses", b.key, body(parts(MAX_BODY_OBJECT_REFS + 1, (i) => `file-x${i}`))), { CLIENT_STATE: counting.ns });
    await expectRefused(many, 400, "invalid_parameter", `input[0].content[${MAX_BODY_OBJECT_REFS}].file_id`);
    expect(counting.calls.ownedRefs).toBe(0);
    // The same unknown id many times is one lookup, refused at its first place.
    const repeated = await withBindings(apiRequest("/v1/responses", b.key, body(parts(MAX_BODY_OBJECT_REFS + 1, () => "file-same"))), { CLIENT_STATE: counting.ns });
    await expectRefused(repeated, 404, "file_not_found", "input[0].content[0].file_id");
    expect(counting.calls.ownedRefs).toBe(1);
  });
});

describe("stored responses and their items", () => {
  it("a plain answer's id continues A's conversation (previous_response_id), not B's", async () => {
    const a = await client();
    const b = await client();
    const first = await post("/v1/responses", { model: "mock-gpt", input: "remember this" }, { key: a.key });
    expect(first.status).toBe(200);
    const created = (await first.json()) as { id: string; output: { id: string }[] };
    expect(created.id).toMatch(/^resp_/);
    await waitOwned(a, "response", created.id);
    expect(await owns(a, "item", created.output[0]!.id)).toBe(true);

    const calls = modelCalls();
    await expectRefused(await post("/v1/responses", { model: "mock-gpt", input: "and?", previous_response_id: created.id }, { key: b.key }), 404, "response_not_found", "previous_response_id");
    expect(calls).toEqual([]);
    const next = await post("/v1/responses", { model: "mock-gpt", input: "and?", previous_response_id: created.id }, { key: a.key });
    expect(next.status, await next.clone().text()).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it("a streamed answer's ids (response.created / response.completed) are recorded: item_reference works for A only", async () => {
    const a = await client();
    const b = await client();
    const res = await post("/v1/responses", { model: "mock-gpt", input: "stream this", stream: true }, { key: a.key });
    expect(res.status).toBe(200);
    const events = sseData(await res.text()).filter((d) => d.startsWith("{")).map((d) => JSON.parse(d) as { type: string; response?: { id: string; output: { id: string }[] } });
    const done = events.find((e) => e.type === "response.completed")!.response!;
    const itemId = done.output[0]!.id;
    await waitOwned(a, "item", itemId);
    expect(await owns(a, "response", done.id)).toBe(true);

    const body = { model: "mock-gpt", input: [{ type: "item_reference", id: itemId }, { role: "user", content: "go on" }] };
    const calls = modelCalls();
    await expectRefused(await post("/v1/responses", body, { key: b.key }), 404, "item_not_found", "input[0].id");
    expect(calls).toEqual([]);
    const own = await post("/v1/responses", body, { key: a.key });
    expect(own.status, await own.clone().text()).toBe(200);
  });

  it("store: false is not recorded (nor is a response the plan forces to store: false)", async () => {
    const a = await client();
    const counting = countingClientState();
    const res = await withBindings(apiRequest("/v1/responses", a.key, { model: "mock-gpt", input: "forget this", store: false }), { CLIENT_STATE: counting.ns });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(counting.calls.recordResponse).toBe(0);
    expect(await owns(a, "response", id)).toBe(false);
    await expectRefused(await post("/v1/responses", { model: "mock-gpt", input: "and?", previous_response_id: id }, { key: a.key }), 404, "response_not_found", "previous_response_id");

    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "objects-store-off", plans: { default: { params: { store: "off" } } } }));
    resetRulesCache();
    const off = await withBindings(apiRequest("/v1/responses", a.key, { model: "mock-gpt", input: "forget this too" }), { CLIENT_STATE: counting.ns });
    expect(off.status).toBe(200);
    expect(counting.calls.recordResponse).toBe(0);
  });

  it("a plain request records once, after the answer, and a refused one records nothing", async () => {
    const a = await client();
    const counting = countingClientState();
    const ok = await withBindings(apiRequest("/v1/responses", a.key, { model: "mock-gpt", input: "keep" }), { CLIENT_STATE: counting.ns });
    expect(ok.status).toBe(200);
    expect(counting.calls.recordResponse).toBe(1);
    const failed = await withBindings(apiRequest("/v1/responses", a.key, { model: "mock-fault-400", input: "keep" }), { CLIENT_STATE: counting.ns });
    expect(failed.status).toBe(400);
    expect(counting.calls.recordResponse).toBe(1);
  });
});

describe("the client's object keeps its response records bounded", () => {
  it(`the newest ${OWNED_RESPONSES_KEPT} responses, items dropped with theirs; a record older than 30 days owns nothing`, async () => {
    const a = await client();
    const now = Date.now();
    const result = await runInDurableObject(env.CLIENT_STATE.get(env.CLIENT_STATE.idFromName(a.id)), async (o: ClientState, state) => {
      await o.recordResponse({ id: "resp_old", items: ["msg_old"] }, now - OWNED_RESPONSE_TTL_MS - 1);
      const expiredBeforePruning = await o.ownedRefs([{ kind: "response", id: "resp_old" }, { kind: "item", id: "msg_old" }], now);
      for (let i = 0; i <= OWNED_RESPONSES_KEPT; i++) await o.recordResponse({ id: `resp_${i}`, items: [`msg_${i}`] }, now);
      const owned = await o.ownedRefs([{ kind: "response", id: "resp_0" }, { kind: "item", id: "msg_0" }, { kind: "response", id: "resp_1" }, { kind: "item", id: `msg_${OWNED_RESPONSES_KEPT}` }], now);
      const rows = state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM owned_responses").one().n;
      return { expiredBeforePruning, owned, rows };
    });
    expect(result.expiredBeforePruning).toEqual([null, null]);
    expect(result.owned).toEqual([null, null, "", ""]);
    expect(result.rows).toBe(2 * OWNED_RESPONSES_KEPT);
  });
});

describe("conversations", () => {
  it("are refused whoever's they are: 400 conversation_not_supported, nothing forwarded", async () => {
    const a = await client();
    const calls = modelCalls();
    await expectRefused(await post("/v1/responses", { model: "mock-gpt", input: "x", conversation: "conv_123" }, { key: a.key }), 400, "conversation_not_supported", "conversation");
    await expectRefused(await post("/v1/responses", { model: "mock-gpt", input: "x", conversation: { id: "conv_123" } }, { key: a.key }), 400, "conversation_not_supported", "conversation.id");
    expect(calls).toEqual([]);
  });
});

describe("shadow mode and failures", () => {
  it("policy shadow: a foreign id is forwarded and recorded as shadow; the answer is still recorded as owned", async () => {
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "objects-shadow", plans: { default: { mode: { policy: "shadow" } } } }));
    resetRulesCache();
    const a = await client();
    const b = await client();
    const fileId = await upload(a);
    const points: AnalyticsEngineDataPoint[] = [];
    vi.spyOn(env.ANALYTICS, "writeDataPoint").mockImplementation((p) => void (p !== undefined && points.push(p)));
    const counting = countingClientState();
    const res = await withBindings(apiRequest("/v1/responses", b.key, { ...responsesWithFile(fileId), conversation: "conv_1" }), { CLIENT_STATE: counting.ns });
    expect(res.status, await res.clone().text()).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const point = points.at(-1)!;
    expect(point.blobs?.[3]).toBe("shadow");
    expect(point.blobs?.[5]).toContain("shadow.file_not_found:input[0].content[1].file_id");
    expect(point.blobs?.[5]).toContain("shadow.conversation_not_supported:conversation");
    expect(counting.calls.recordResponse).toBe(1);
    expect(await owns(b, "response", id)).toBe(true);
  });

  it("the client's object failing: 503 ownership_unavailable, nothing forwarded", async () => {
    const a = await client();
    const fileId = await upload(a);
    const calls = modelCalls();
    const counting = countingClientState(true);
    const res = await withBindings(apiRequest("/v1/chat/completions", a.key, chatWithFile(fileId)), { CLIENT_STATE: counting.ns });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-should-retry")).toBe("true");
    expect((await errorOf(res)).code).toBe("ownership_unavailable");
    expect(counting.calls.ownedRefs).toBe(1);
    expect(calls).toEqual([]);
  });

  it("a body without ids makes no ownership call, even with an object that would fail", async () => {
    const a = await client();
    const failing = countingClientState(true);
    const chat = await withBindings(apiRequest("/v1/chat/completions", a.key, { model: "mock-gpt", messages: [{ role: "user", content: "hello" }] }), { CLIENT_STATE: failing.ns });
    expect(chat.status).toBe(200);
    const responses = await withBindings(apiRequest("/v1/responses", a.key, { model: "mock-gpt", input: "hello", store: false }), { CLIENT_STATE: failing.ns });
    expect(responses.status).toBe(200);
    expect(failing.calls).toEqual({ ownedRefs: 0, recordResponse: 0 });
  });
});
