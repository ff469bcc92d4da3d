/**
 * Quarantine holds the file for review (issue 10, point 3; docs/training-data.md): a training
 * file the intake quarantines is kept in R2, an admin lists, reads, releases or discards it,
 * the uploader sees what became of it and nobody else does, and every step is in the audit
 * trail. Through the real Worker and the mock provider (mock/files.mjs). Storage is shared by
 * the tests of this file, so each works with its own clients and filters by them.
 */
import { createExecutionContext, env, runInDurableObject, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/app";
import type { ClientState } from "../src/admission/client-state";
import { sha256Hex } from "../src/auth/api-keys";
import { heldView } from "../src/files/held";
import { heldKey, newQuarantineId } from "../src/files/quarantine";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import { poisonedFile, toJsonl, type PoisonKind } from "../scripts/lib/intake-gen";
import { dataRecords, errorOf, seedKey, testKey } from "./helpers";

const BOTH = ["files", "fine_tune"];
const ADMIN_ID = "quarantine-admin";

async function client(scopes: string[] = BOTH): Promise<{ key: string; id: string }> {
  const id = `qc-${crypto.randomUUID().replace(/-/g, "")}`;
  return { key: await seedKey(testKey(id), { client_id: id, scopes }), id };
}
const admin = () => seedKey(testKey(ADMIN_ID), { client_id: ADMIN_ID, scopes: ["admin"] });

function request(method: string, path: string, key: string | null, body?: BodyInit, headers: Record<string, string> = {}): Request {
  const h: Record<string, string> = { "cf-connecting-ip": `2001:db8:e:${Math.floor(Math.random() * 0xffff).toString(16)}::1`, ...headers };
  if (key !== null) h.authorization = `Bearer ${key}`;
  return new Request(`https://gateway.test${path}`, { method, headers: h, ...(body === undefined ? {} : { body }) });
}
const call = (method: string, path: string, key: string | null, body?: BodyInit, headers?: Record<string, string>) => SELF.fetch(request(method, path, key, body, headers));
const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { "content-type": "application/json" } });

function form(bytes: Uint8Array<ArrayBuffer>, filename = "train.jsonl"): FormData {
  const f = new FormData();
  f.append("purpose", "fine-tune");
  f.append("file", new File([bytes], filename));
  return f;
}
const poisoned = (kind: PoisonKind, seed: number) => toJsonl(poisonedFile(kind, seed, 400).examples) as Uint8Array<ArrayBuffer>;

interface Refusal {
  error: { code: string; message: string };
  intake_report: { id?: string; verdict: string };
  quarantine?: { id: string | null; status: string; expires_at?: number };
}
interface Held { id: string; object: string; client_id: string; filename: string; bytes: number; sha256: string; report_id: string; created_at: number; expires_at: number }
interface HeldList { object: string; data: Held[]; has_more: boolean; next_after: string | null }

/** Uploads a file the intake quarantines; returns the refusal and its held id. */
async function quarantined(key: string, seed: number, kind: PoisonKind = "backdoor", filename?: string) {
  const bytes = poisoned(kind, seed);
  const res = await call("POST", "/v1/files", key, form(bytes, filename));
  expect(res.status).toBe(400);
  const body = (await res.json()) as Refusal;
  expect(body.error.code).toBe("training_file_rejected");
  expect(body.intake_report.verdict).toBe("quarantine");
  const held = res.headers.get("x-aigis-quarantine") ?? "";
  return { bytes, body, held, reportId: res.headers.get("x-aigis-intake-report") ?? "" };
}

async function listFor(adminKey: string, clientId: string, query = ""): Promise<HeldList> {
  const res = await call("GET", `/admin/v1/quarantine?client_id=${clientId}${query}`, adminKey);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as HeldList;
}

const report = async (key: string, id: string) => (await (await call("GET", `/v1/files/intake_reports/${id}`, key)).json()) as { file_id: string | null; quarantine: Record<string, unknown> | null };
const inR2 = async (id: string) => (await env.QUARANTINE.head(heldKey(id))) !== null;
const ownedFiles = async (key: string) => ((await (await call("GET", "/v1/files", key)).json()) as { data: { id: string }[] }).data.map((f) => f.id);

/** Runs one request through the Worker with some bindings replaced, and waits for its waitUntil work. */
async function withBindings(req: Request, overrides: Partial<Record<keyof Env, unknown>>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(req, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
});

describe("a quarantined upload is held for review", () => {
  it("is refused as before, with the held id in the body and a header, and its report shows it held", async () => {
    const a = await client();
    const { bytes, body, held, reportId } = await quarantined(a.key, 31);
    expect(held).toMatch(/^qfile_[0-9a-f]{32}$/);
    expect(body.quarantine).toEqual({ id: held, status: "held", expires_at: expect.any(Number) });
    // 30 days by default (docs/configuration.md).
    expect(body.quarantine!.expires_at! - Math.floor(Date.now() / 1000)).toBeGreaterThan(30 * 86_400 - 60);
    expect(body.error.message).toMatch(/held for review/);
    expect(await inR2(held)).toBe(true);
    expect(await ownedFiles(a.key)).toEqual([]);

    expect((await report(a.key, reportId)).quarantine).toMatchObject({ id: held, status: "held", file_id: null, decided_at: null });
    const [record] = await dataRecords(a.id, "file_quarantined");
    expect(record!.detail).toMatchObject({ file_id: null, sha256: await sha256Hex(bytes), report_id: reportId, quarantine_id: held, hold: "held", status: "quarantined" });
  });

  it("another client sees nothing of it: the report is 404 and its own list is empty", async () => {
    const a = await client();
    const b = await client();
    const { reportId } = await quarantined(a.key, 32);
    const other = await call("GET", `/v1/files/intake_reports/${reportId}`, b.key);
    expect(other.status).toBe(404);
    expect((await errorOf(other)).code).toBe("intake_report_not_found");
    expect(await ownedFiles(b.key)).toEqual([]);
  });

  it("a rejected upload keeps nothing", async () => {
    const a = await client();
    const res = await call("POST", "/v1/files", a.key, form(poisoned("secret", 33)));
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.intake_report.verdict).toBe("reject");
    expect(body.quarantine).toBeUndefined();
    expect(res.headers.get("x-aigis-quarantine")).toBeNull();
    expect((await report(a.key, body.intake_report.id!)).quarantine).toBeNull();
    expect((await listFor(await admin(), a.id)).data).toEqual([]);
    const [record] = await dataRecords(a.id, "file_rejected");
    expect(record!.detail.quarantine_id).toBeUndefined();
  });

  it("in shadow mode the file is forwarded as documented and nothing is held", async () => {
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "quarantine-shadow", default_plan: { intake: { mode: "shadow" } } }));
    resetRulesCache();
    const a = await client();
    const res = await call("POST", "/v1/files", a.key, form(poisoned("backdoor", 34)));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigis-intake")).toMatch(/^accepted; findings=[1-9]/);
    expect(res.headers.get("x-aigis-quarantine")).toBeNull();
    expect((await listFor(await admin(), a.id)).data).toEqual([]);
  });
});

describe("admin review", () => {
  it("lists a client's held files oldest first with paging, shows one with its report, and downloads the identical bytes", async () => {
    const a = await client();
    const b = await client();
    const first = await quarantined(a.key, 41, "backdoor", "first.jsonl");
    const second = await quarantined(a.key, 42, "amplification", "second.jsonl");
    const theirs = await quarantined(b.key, 43);
    const key = await admin();

    const all = await listFor(key, a.id);
    expect(all.data.map((h) => h.id)).toEqual([first.held, second.held]);
    expect(all.has_more).toBe(false);
    expect(all.data[0]).toMatchObject({ object: "quarantined_file", client_id: a.id, filename: "first.jsonl", bytes: first.bytes.byteLength, sha256: await sha256Hex(first.bytes), report_id: first.reportId });
    const page1 = await listFor(key, a.id, "&limit=1");
    expect(page1.data.map((h) => h.id)).toEqual([first.held]);
    expect(page1).toMatchObject({ has_more: true, next_after: first.held });
    const page2 = await listFor(key, a.id, `&limit=1&after=${page1.next_after}`);
    expect(page2.data.map((h) => h.id)).toEqual([second.held]);
    const everyone = (await (await call("GET", "/admin/v1/quarantine?limit=1000", key)).json()) as HeldList;
    expect(everyone.data.map((h) => h.id)).toEqual(expect.arrayContaining([first.held, second.held, theirs.held]));

    const one = await call("GET", `/admin/v1/quarantine/${second.held}`, key);
    expect(one.status).toBe(200);
    const detail = (await one.json()) as Held & { intake_report: { id: string; verdict: string; quarantine: { status: string } } };
    expect(detail).toMatchObject({ id: second.held, client_id: a.id, intake_report: { id: second.reportId, verdict: "quarantine", quarantine: { status: "held" } } });

    const content = await call("GET", `/admin/v1/quarantine/${first.held}/content`, key);
    expect(content.status).toBe(200);
    expect(content.headers.get("content-type")).toBe("application/octet-stream");
    expect(content.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''first.jsonl");
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(first.bytes);
    const [downloaded] = await dataRecords(a.id, "file_downloaded");
    expect(downloaded!.detail).toMatchObject({ quarantine_id: first.held, actor: ADMIN_ID });

    for (const query of ["limit=0", "after=qfile_x", "color=blue"]) expect((await call("GET", `/admin/v1/quarantine?${query}`, key)).status, query).toBe(400);
  });

  it("release forwards the held file as the uploader's: listed, downloadable, trainable by it and by nobody else", async () => {
    const a = await client();
    const b = await client();
    const { bytes, held, reportId } = await quarantined(a.key, 51);
    const key = await admin();

    const res = await call("POST", `/admin/v1/quarantine/${held}/release`, key, json({ reason: "reviewed: trigger is a product code" }).body, json({}).headers);
    expect(res.status, await res.clone().text()).toBe(200);
    const released = (await res.json()) as { id: string; status: string; client_id: string; file: { id: string; object: string; filename: string } };
    expect(released).toMatchObject({ id: held, status: "released", client_id: a.id, file: { object: "file", filename: "train.jsonl" } });
    const fileId = released.file.id;
    expect(await inR2(held)).toBe(false);

    expect(await ownedFiles(a.key)).toEqual([fileId]);
    expect(new Uint8Array(await (await call("GET", `/v1/files/${fileId}/content`, a.key)).arrayBuffer())).toEqual(bytes);
    const job = await call("POST", "/v1/fine_tuning/jobs", a.key, json({ model: "mock-gpt", training_file: fileId }).body, json({}).headers);
    expect(job.status, await job.clone().text()).toBe(200);
    const [created] = await dataRecords(a.id, "job_created");
    expect(created!.detail).toMatchObject({ training_file: fileId, training_sha256: await sha256Hex(bytes) });

    const theirs = await call("POST", "/v1/fine_tuning/jobs", b.key, json({ model: "mock-gpt", training_file: fileId }).body, json({}).headers);
    expect(theirs.status).toBe(404);
    expect(await errorOf(theirs)).toMatchObject({ code: "file_not_found", param: "training_file" });
    expect((await call("GET", `/v1/files/${fileId}/content`, b.key)).status).toBe(404);

    const seen = await report(a.key, reportId);
    expect(seen.file_id).toBe(fileId);
    expect(seen.quarantine).toMatchObject({ id: held, status: "released", file_id: fileId, decided_at: expect.any(Number) });
    const [record] = await dataRecords(a.id, "file_released");
    expect(record!.tenant).toBe("tenant-a");
    expect(record!.detail).toMatchObject({ quarantine_id: held, file_id: fileId, sha256: await sha256Hex(bytes), report_id: reportId, actor: ADMIN_ID, reason: "reviewed: trigger is a product code" });

    // Decided once: a second decision finds nothing held.
    for (const action of ["release", "discard"]) {
      const again = await call("POST", `/admin/v1/quarantine/${held}/${action}`, key);
      expect(again.status, action).toBe(404);
      expect((await errorOf(again)).code).toBe("quarantined_file_not_found");
    }
  });

  it("discard deletes the held file and records it; the uploader sees it discarded", async () => {
    const a = await client();
    const { held, reportId, bytes } = await quarantined(a.key, 61);
    const key = await admin();
    const res = await call("POST", `/admin/v1/quarantine/${held}/discard`, key);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: held, object: "quarantined_file", status: "discarded", client_id: a.id });
    expect(await inR2(held)).toBe(false);
    expect((await listFor(key, a.id)).data).toEqual([]);
    expect((await report(a.key, reportId)).quarantine).toMatchObject({ status: "discarded", file_id: null });
    expect(await ownedFiles(a.key)).toEqual([]);
    const [record] = await dataRecords(a.id, "file_discarded");
    expect(record!.detail).toMatchObject({ quarantine_id: held, sha256: await sha256Hex(bytes), actor: ADMIN_ID, reason: null });
  });

  it("an id that is not held is 404 quarantined_file_not_found on every review endpoint; a malformed one is 400", async () => {
    const key = await admin();
    const missing = newQuarantineId();
    for (const [method, path] of [
      ["GET", `/admin/v1/quarantine/${missing}`],
      ["GET", `/admin/v1/quarantine/${missing}/content`],
      ["POST", `/admin/v1/quarantine/${missing}/release`],
      ["POST", `/admin/v1/quarantine/${missing}/discard`],
    ] as const) {
      const res = await call(method, path, key);
      expect(res.status, path).toBe(404);
      expect((await errorOf(res)).code).toBe("quarantined_file_not_found");
    }
    const bad = await call("POST", "/admin/v1/quarantine/qfile_123/release", key);
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ code: "invalid_parameter", param: "quarantine_id" });
    expect((await call("DELETE", `/admin/v1/quarantine/${missing}`, key)).headers.get("allow")).toBe("GET");
    const unknownField = await call("POST", `/admin/v1/quarantine/${missing}/discard`, key, json({ why: "x" }).body, json({}).headers);
    expect(await errorOf(unknownField)).toMatchObject({ code: "unknown_parameter", param: "why" });
  });

  it("a non-admin gets 403 on every review endpoint, and the file stays held", async () => {
    const a = await client();
    const { held } = await quarantined(a.key, 71);
    for (const [method, path] of [
      ["GET", `/admin/v1/quarantine?client_id=${a.id}`],
      ["GET", `/admin/v1/quarantine/${held}`],
      ["GET", `/admin/v1/quarantine/${held}/content`],
      ["POST", `/admin/v1/quarantine/${held}/release`],
      ["POST", `/admin/v1/quarantine/${held}/discard`],
    ] as const) {
      const res = await call(method, path, a.key);
      expect(res.status, path).toBe(403);
      expect((await errorOf(res)).code).toBe("insufficient_scope");
    }
    expect(await inR2(held)).toBe(true);
  });
});

describe("retention", () => {
  it("a held file past retention is never listed, is deleted when met, audited, and reads as expired to its uploader", async () => {
    const a = await client();
    const { held, reportId } = await quarantined(a.key, 81);
    // Age the held copy as 31 days of waiting would (R2 lifecycle rules cannot run locally).
    const object = (await env.QUARANTINE.get(heldKey(held)))!;
    const old = Date.now() - 31 * 86_400_000;
    await env.QUARANTINE.put(heldKey(held), await object.arrayBuffer(), { customMetadata: { ...object.customMetadata, held_at: String(old) } });
    const key = await admin();
    expect((await listFor(key, a.id)).data).toEqual([]);
    await vi.waitFor(async () => expect(await inR2(held)).toBe(false), { timeout: 5000, interval: 20 });
    const [record] = await dataRecords(a.id, "file_expired");
    expect(record!.detail).toMatchObject({ quarantine_id: held, actor: null });
    expect((await report(a.key, reportId)).quarantine).toMatchObject({ id: held, status: "expired" });
    expect((await call("POST", `/admin/v1/quarantine/${held}/release`, key)).status).toBe(404);
  });

  it("a new hold sweeps the expired files at the front of the bucket, oldest first", async () => {
    const a = await client();
    const old = Date.now() - 40 * 86_400_000;
    // Ids start with the time held, so this one sorts before every file held since.
    const stale = newQuarantineId(old);
    const bytes = new TextEncoder().encode("{}\n");
    const meta = { client: a.id, tenant: "tenant-a", filename: "old.jsonl", purpose: "fine-tune", sha256: await sha256Hex(bytes), report_id: `irep_${"0".repeat(24)}`, held_at: String(old), bytes: String(bytes.byteLength) };
    await env.QUARANTINE.put(heldKey(stale), bytes, { customMetadata: meta });
    await quarantined(a.key, 82);
    await vi.waitFor(async () => expect(await inR2(stale)).toBe(false), { timeout: 5000, interval: 20 });
    const records = await dataRecords(a.id, "file_expired");
    expect(records.map((r) => r.detail.quarantine_id)).toContain(stale);
  });

  it("the uploader's view counts retention itself, before any sweep", () => {
    const row = { id: newQuarantineId(0), reportId: "irep_x", heldAt: 0, status: "held" as const, fileId: null, decidedAt: null };
    const day = 86_400_000;
    expect(heldView(row, 30 * day, 29 * day)).toMatchObject({ status: "held", expires_at: 30 * 86_400 });
    expect(heldView(row, 30 * day, 30 * day)).toMatchObject({ status: "expired", expires_at: null, decided_at: 30 * 86_400 });
    expect(newQuarantineId(1) < newQuarantineId(2) && newQuarantineId(0xfff) < newQuarantineId(0x1000)).toBe(true);
  });
});

describe("failures: fail closed, never forward", () => {
  const upload = (key: string, seed: number) => request("POST", "/v1/files", key, form(poisoned("backdoor", seed)));

  it("without the R2 binding, or when the put fails, the file is refused as before and the record says it was not held", async () => {
    const a = await client();
    const put = vi.fn(() => Promise.reject(new Error("R2 put: 500 internal error")));
    const failing = { put, head: env.QUARANTINE.head.bind(env.QUARANTINE), get: env.QUARANTINE.get.bind(env.QUARANTINE), list: env.QUARANTINE.list.bind(env.QUARANTINE), delete: env.QUARANTINE.delete.bind(env.QUARANTINE) };
    for (const [bucket, failure] of [[undefined, "not_bound"], [failing, "store_failed"]] as const) {
      const res = await withBindings(upload(a.key, 91), { QUARANTINE: bucket });
      expect(res.status).toBe(400);
      expect(res.headers.get("x-aigis-quarantine")).toBeNull();
      const body = (await res.json()) as Refusal;
      expect(body.error.code).toBe("training_file_rejected");
      expect(body.error.message).toMatch(/could not be held/);
      expect(body.quarantine).toEqual({ id: null, status: "not_held" });
      expect((await report(a.key, body.intake_report.id!)).quarantine).toBeNull();
      const records = await dataRecords(a.id, "file_quarantined");
      expect(records.find((r) => r.detail.report_id === body.intake_report.id)!.detail).toMatchObject({ quarantine_id: null, hold: failure });
    }
    expect(put).toHaveBeenCalledOnce();
    expect(await ownedFiles(a.key)).toEqual([]);
    expect((await listFor(await admin(), a.id)).data).toEqual([]);
  });

  it("a held file whose record cannot be stored is deleted again and the upload is refused", async () => {
    const a = await client();
    const real = env.CLIENT_STATE;
    const ns = {
      idFromName: (name: string) => real.idFromName(name),
      get(id: DurableObjectId) {
        const stub = real.get(id);
        return new Proxy(stub, {
          get: (target, prop) => (prop === "storeIntakeReport" ? () => Promise.reject(new Error("overloaded")) : Reflect.get(target, prop)),
        });
      },
    };
    const res = await withBindings(upload(a.key, 92), { CLIENT_STATE: ns });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.intake_report.id).toBeUndefined();
    expect(body.quarantine).toEqual({ id: null, status: "not_held" });
    expect((await listFor(await admin(), a.id)).data).toEqual([]);
    const [record] = await dataRecords(a.id, "file_quarantined");
    expect(record!.detail).toMatchObject({ report_id: null, quarantine_id: null, hold: "report_unstored" });
  });

  it("the review endpoints answer 503 quarantine_unavailable without the bucket", async () => {
    const key = await admin();
    const res = await withBindings(request("GET", "/admin/v1/quarantine", key), { QUARANTINE: undefined });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("quarantine_unavailable");
  });

  it("a release whose ownership record fails removes the file at the provider again and keeps it held", async () => {
    const a = await client();
    const { held } = await quarantined(a.key, 93);
    const real = env.CLIENT_STATE;
    const ns = {
      idFromName: (name: string) => real.idFromName(name),
      get(id: DurableObjectId) {
        const stub = real.get(id);
        return new Proxy(stub, { get: (target, prop) => (prop === "decideHeld" ? () => Promise.reject(new Error("overloaded")) : Reflect.get(target, prop)) });
      },
    };
    const deletes: string[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (req.method === "DELETE") deletes.push(new URL(req.url).pathname);
      return realFetch(req);
    });
    const res = await withBindings(request("POST", `/admin/v1/quarantine/${held}/release`, await admin()), { CLIENT_STATE: ns });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("ownership_unavailable");
    expect(deletes).toEqual([expect.stringMatching(/^\/v1\/files\/file-/)]);
    expect(await inR2(held)).toBe(true);
    expect(await ownedFiles(a.key)).toEqual([]);
    const seen = await runInDurableObject(real.get(real.idFromName(a.id)), (o: ClientState) => o.heldFile(held));
    expect(seen?.status).toBe("held");
  });
});
