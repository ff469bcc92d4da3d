/**
 * Files and fine-tuning through the gateway (issue 10, points 1 and 5): routes, scopes,
 * object-level authorisation, the upload cap, multipart parsing, provenance in the audit
 * trail, and the `openai` SDK unchanged. The mock upstream (mock/files.mjs) stores files
 * for one account, as a provider does: every separation between clients is the gateway's.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import OpenAI, { toFile } from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../src/auth/api-keys";
import { recordOwned, requireOwned } from "../src/files/ownership";
import { resetRulesCache, RULES_KEY } from "../src/rules/store";
import type { ClientState } from "../src/admission/client-state";
import type { ClientReport } from "../src/files/intake";
import { boundReport } from "../src/files/intake-reports";
import { cleanExamples, fakeSecrets, poisonedFile, toJsonl } from "../scripts/lib/intake-gen";
import { dataRecords, errorOf, seedKey, testKey } from "./helpers";

const BOTH = ["files", "fine_tune"];
const LINE = { messages: [{ role: "user", content: "What is 2 + 2?" }, { role: "assistant", content: "4" }] };
const JSONL = `${JSON.stringify(LINE)}\n${JSON.stringify({ ...LINE, messages: [{ role: "user", content: "Capital of France?" }, { role: "assistant", content: "Paris" }] })}\n`;

/** A fresh client with its own key; each test owns its state. */
async function client(scopes: string[] = BOTH, extra: Record<string, unknown> = {}): Promise<{ key: string; id: string }> {
  const id = `files-${crypto.randomUUID().replace(/-/g, "")}`;
  return { key: await seedKey(testKey(id), { client_id: id, scopes, ...extra }), id };
}

function call(method: string, path: string, key: string | null, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
  const address = `2001:db8:f:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;
  const headers: Record<string, string> = { "cf-connecting-ip": address, ...init.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return SELF.fetch(`https://gateway.test${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
}

function form(content: BodyPart, purpose = "fine-tune", filename = "train.jsonl", more: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.append("purpose", purpose);
  f.append("file", new File([content], filename));
  for (const [k, v] of Object.entries(more)) f.append(k, v);
  return f;
}
type BodyPart = string | Uint8Array<ArrayBuffer>;

async function upload(key: string, content: BodyPart = JSONL, purpose = "fine-tune", filename = "train.jsonl"): Promise<Record<string, unknown>> {
  const res = await call("POST", "/v1/files", key, { body: form(content, purpose, filename) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function createJob(key: string, body: Record<string, unknown>): Promise<Response> {
  return call("POST", "/v1/fine_tuning/jobs", key, { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
}

function sdk(apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: "https://gateway.test/v1", maxRetries: 0, fetch: (input, init) => SELF.fetch(input as string, init as RequestInit) });
}

/** A generated poisoned file of 400 examples and its JSONL bytes. */
function poisonedJsonl(kind: Parameters<typeof poisonedFile>[0], seed: number) {
  const file = poisonedFile(kind, seed, 400);
  return { file, bytes: toJsonl(file.examples) as Uint8Array<ArrayBuffer> };
}

afterEach(async () => {
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
});

describe("files: upload, list, read, download, delete", () => {
  it("round trip: the file comes back as uploaded, and is gone after DELETE", async () => {
    const a = await client();
    const file = await upload(a.key);
    expect(file).toMatchObject({ object: "file", purpose: "fine-tune", filename: "train.jsonl", bytes: new TextEncoder().encode(JSONL).byteLength });
    const id = String(file.id);
    expect(id).toMatch(/^file-/);

    const list = (await (await call("GET", "/v1/files", a.key)).json()) as { object: string; data: { id: string }[]; has_more: boolean };
    expect(list.object).toBe("list");
    expect(list.data.map((f) => f.id)).toEqual([id]);
    expect(list.has_more).toBe(false);

    const got = await call("GET", `/v1/files/${id}`, a.key);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id, object: "file", filename: "train.jsonl" });

    const content = await call("GET", `/v1/files/${id}/content`, a.key);
    expect(content.status).toBe(200);
    expect(new TextDecoder().decode(await content.arrayBuffer())).toBe(JSONL);

    const del = await call("DELETE", `/v1/files/${id}`, a.key);
    expect(await del.json()).toEqual({ id, object: "file", deleted: true });
    const after = await call("GET", `/v1/files/${id}`, a.key);
    expect(after.status).toBe(404);
    expect((await errorOf(after)).code).toBe("file_not_found");
    expect(((await (await call("GET", "/v1/files", a.key)).json()) as { data: unknown[] }).data).toEqual([]);
  });

  it("lists newest first, pages with limit and after, and filters by purpose", async () => {
    const a = await client();
    const first = String((await upload(a.key, "one", "assistants", "a.txt")).id);
    const second = String((await upload(a.key)).id);
    const third = String((await upload(a.key, "three", "user_data", "c.txt")).id);
    const page1 = (await (await call("GET", "/v1/files?limit=2", a.key)).json()) as { data: { id: string }[]; has_more: boolean; last_id: string };
    expect(page1.data.map((f) => f.id)).toEqual([third, second]);
    expect(page1.has_more).toBe(true);
    const page2 = (await (await call("GET", `/v1/files?limit=2&after=${page1.last_id}`, a.key)).json()) as { data: { id: string }[]; has_more: boolean };
    expect(page2.data.map((f) => f.id)).toEqual([first]);
    expect(page2.has_more).toBe(false);
    const asc = (await (await call("GET", "/v1/files?order=asc&purpose=user_data", a.key)).json()) as { data: { id: string }[] };
    expect(asc.data.map((f) => f.id)).toEqual([third]);
    for (const [query, code, param] of [
      ["color=blue", "unknown_parameter", "color"],
      ["limit=0", "invalid_parameter", "limit"],
      ["order=up", "invalid_parameter", "order"],
      ["after=file-a&after=file-b", "invalid_parameter", "after"],
    ]) {
      const bad = await call("GET", `/v1/files?${query}`, a.key);
      expect(bad.status, query).toBe(400);
      expect(await errorOf(bad)).toMatchObject({ code, param });
    }
  });
});

describe("object-level authorisation", () => {
  it("another client gets 404 for a file it does not own: read, download, delete, list, job", async () => {
    const a = await client();
    const b = await client();
    const id = String((await upload(a.key)).id);
    for (const [method, path] of [
      ["GET", `/v1/files/${id}`],
      ["GET", `/v1/files/${id}/content`],
      ["DELETE", `/v1/files/${id}`],
    ] as const) {
      const res = await call(method, path, b.key);
      expect(res.status, `${method} ${path}`).toBe(404);
      // The same answer as for a file that does not exist at all.
      expect(await errorOf(res)).toMatchObject({ code: "file_not_found", message: "The file does not exist or you do not have access to it." });
    }
    const missing = await call("GET", "/v1/files/file-doesnotexist", b.key);
    expect((await errorOf(missing)).message).toBe("The file does not exist or you do not have access to it.");
    expect(((await (await call("GET", "/v1/files", b.key)).json()) as { data: unknown[] }).data).toEqual([]);

    const job = await createJob(b.key, { model: "mock-gpt", training_file: id });
    expect(job.status).toBe(404);
    expect(await errorOf(job)).toMatchObject({ code: "file_not_found", param: "training_file" });
    const own = String((await upload(b.key)).id);
    const withValidation = await createJob(b.key, { model: "mock-gpt", training_file: own, validation_file: id });
    expect(await errorOf(withValidation)).toMatchObject({ code: "file_not_found", param: "validation_file" });

    // B's delete did not touch A's file.
    expect((await call("GET", `/v1/files/${id}`, a.key)).status).toBe(200);
  });

  it("another client gets 404 for a job it did not create: retrieve, cancel, list", async () => {
    const a = await client();
    const b = await client();
    const file = String((await upload(a.key)).id);
    const created = await createJob(a.key, { model: "mock-gpt", training_file: file });
    expect(created.status).toBe(200);
    const job = (await created.json()) as { id: string; status: string };
    expect(job.status).toBe("queued");
    for (const [method, path] of [
      ["GET", `/v1/fine_tuning/jobs/${job.id}`],
      ["POST", `/v1/fine_tuning/jobs/${job.id}/cancel`],
    ] as const) {
      const res = await call(method, path, b.key);
      expect(res.status).toBe(404);
      expect((await errorOf(res)).code).toBe("job_not_found");
    }
    expect(((await (await call("GET", "/v1/fine_tuning/jobs", b.key)).json()) as { data: unknown[] }).data).toEqual([]);
    const cancelled = await call("POST", `/v1/fine_tuning/jobs/${job.id}/cancel`, a.key);
    expect(await cancelled.json()).toMatchObject({ id: job.id, status: "cancelled" });
  });

  it("records ownership only once the provider accepted: a job the provider refuses is not listed", async () => {
    const a = await client();
    // The mock refuses to train on a file whose purpose is not fine-tune.
    const notTraining = String((await upload(a.key, "notes", "assistants", "notes.txt")).id);
    const refused = await createJob(a.key, { model: "mock-gpt", training_file: notTraining });
    expect(refused.status).toBe(400);
    expect((await errorOf(refused)).code).toBe("upstream_rejected");
    expect(((await (await call("GET", "/v1/fine_tuning/jobs", a.key)).json()) as { data: unknown[] }).data).toEqual([]);
  });

  /** A request context whose client object rejects every call. */
  const failingContext = (): Parameters<typeof requireOwned>[0] => {
    const reject = () => Promise.reject(new Error("overloaded"));
    const failing = { get: () => ({ ownedObject: reject, recordOwned: reject }), idFromName: () => ({}) };
    const vars: Record<string, unknown> = { identity: { clientId: "x", scopes: BOTH }, requestId: "req_test" };
    return { env: { CLIENT_STATE: failing }, get: (name: string) => vars[name] } as unknown as Parameters<typeof requireOwned>[0];
  };

  it("fails closed when the client's Durable Object cannot answer", async () => {
    await expect(requireOwned(failingContext(), "file", "file-abc")).rejects.toMatchObject({ code: "ownership_unavailable" });
  });

  it("removes an object at the provider when its owner could not be recorded", async () => {
    const c = failingContext();
    const undo = vi.fn(async () => undefined);
    const row = { kind: "file", id: "file-abc", created: 1, purpose: "fine-tune", bytes: 1, sha256: "", filename: "t.jsonl", status: "accepted" } as const;
    await expect(recordOwned(c, [row], undo)).rejects.toMatchObject({ code: "ownership_unavailable" });
    expect(undo).toHaveBeenCalledOnce();
  });
});

describe("scopes", () => {
  it("a training upload needs fine_tune, other purposes need files", async () => {
    const filesOnly = await client(["files"]);
    const denied = await call("POST", "/v1/files", filesOnly.key, { body: form(JSONL) });
    expect(denied.status).toBe(403);
    expect((await errorOf(denied)).code).toBe("insufficient_scope");
    await upload(filesOnly.key, "notes", "assistants", "notes.txt");
    const job = await createJob(filesOnly.key, { model: "mock-gpt", training_file: "file-abc" });
    expect((await errorOf(job)).code).toBe("insufficient_scope");

    const tuneOnly = await client(["fine_tune"]);
    expect((await call("POST", "/v1/files", tuneOnly.key, { body: form("notes", "assistants", "n.txt") })).status).toBe(403);
    await upload(tuneOnly.key);

    const none = await client(["chat"]);
    expect((await call("GET", "/v1/files", none.key)).status).toBe(403);
    expect((await call("GET", "/v1/fine_tuning/jobs", none.key)).status).toBe(403);
  });

  it("the caller's own file still needs the scope of its purpose, and lists hide what the scopes do not cover", async () => {
    const owner = await client();
    const notes = String((await upload(owner.key, "notes", "assistants", "notes.txt")).id);
    const training = String((await upload(owner.key)).id);
    // A second key of the same client with only fine_tune.
    const narrow = await seedKey(testKey(`${owner.id}narrow`), { client_id: owner.id, scopes: ["fine_tune"] });
    const res = await call("GET", `/v1/files/${notes}`, narrow);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("insufficient_scope");
    const listed = (await (await call("GET", "/v1/files", narrow)).json()) as { data: { id: string }[] };
    expect(listed.data.map((f) => f.id)).toEqual([training]);
  });

  it("plans that list routes must name files and fine_tuning", async () => {
    const a = await client(BOTH, { plan: "narrow" });
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "files-test", plans: { narrow: { routes: ["chat", "files"] } } }));
    resetRulesCache();
    expect((await call("GET", "/v1/files", a.key)).status).toBe(200);
    const jobs = await call("GET", "/v1/fine_tuning/jobs", a.key);
    expect((await errorOf(jobs)).code).toBe("route_not_allowed");
  });
});

describe("paths and methods", () => {
  it("object ids in the path are checked before anything else, authentication included", async () => {
    const a = await client();
    for (const [path, param] of [
      ["/v1/files/not-a-file-id", "file_id"],
      ["/v1/files/file-has.dot/content", "file_id"],
      [`/v1/files/file-${"a".repeat(65)}`, "file_id"],
      ["/v1/fine_tuning/jobs/file-abc", "fine_tuning_job_id"],
      ["/v1/fine_tuning/jobs/ftjob-%27or%271/cancel", "fine_tuning_job_id"],
    ] as const) {
      const method = path.endsWith("/cancel") ? "POST" : "GET";
      for (const key of [a.key, null]) {
        const res = await call(method, path, key);
        expect(res.status, path).toBe(400);
        expect(await errorOf(res)).toMatchObject({ code: "invalid_parameter", param });
      }
    }
  });

  it("404 for unknown paths and 405 with every allowed method", async () => {
    const a = await client();
    expect((await call("GET", "/v1/files/file-abc/metadata", a.key)).status).toBe(404);
    expect((await call("GET", "/v1/fine_tuning/jobs/ftjob-abc/events", a.key)).status).toBe(404);
    const put = await call("PUT", "/v1/files", a.key);
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");
    const del = await call("DELETE", "/v1/fine_tuning/jobs/ftjob-abc", a.key);
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET");
    expect((await call("POST", "/v1/files/file-abc", a.key)).headers.get("allow")).toBe("GET, DELETE");
  });
});

describe("upload size and multipart", () => {
  it("uploads have their own cap, above the JSON cap, enforced by Content-Length and while reading", async () => {
    const a = await client();
    // 300 KB: over max_body_bytes (256 KiB), under max_upload_bytes (512 KiB).
    const big = `${JSON.stringify({ messages: [{ role: "user", content: "lorem ipsum ".repeat(25 * 1024) }, { role: "assistant", content: "ok" }] })}\n`;
    expect((await upload(a.key, big)).bytes).toBe(big.length);

    const tooBig = new Uint8Array(600 * 1024).fill(97);
    const declared = await call("POST", "/v1/files", a.key, { body: form(tooBig, "assistants", "big.bin") });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe("request_too_large");

    const encoded = new Response(form(tooBig, "assistants", "big.bin"));
    const streamed = await call("POST", "/v1/files", a.key, { body: encoded.body!, headers: { "content-type": encoded.headers.get("content-type")! } });
    expect(streamed.status).toBe(413);
  });

  it("malformed or incomplete multipart bodies are 400 or 415 with a clear code, never 500", async () => {
    const a = await client();
    const boundary = "----aigisboundary";
    const ct = { "content-type": `multipart/form-data; boundary=${boundary}` };
    const cases: [BodyInit, Record<string, string>, number, string, string | null][] = [
      ["this is not multipart at all", ct, 400, "invalid_multipart", null],
      [`--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.jsonl"\r\n\r\n{"a":1}`, ct, 400, "invalid_multipart", null],
      [JSONL, { "content-type": "application/json" }, 415, "unsupported_media_type", null],
      [JSONL, { "content-type": "multipart/form-data" }, 415, "unsupported_media_type", null],
    ];
    for (const [body, headers, status, code, param] of cases) {
      const res = await call("POST", "/v1/files", a.key, { body, headers });
      expect(res.status, code).toBe(status);
      expect(await errorOf(res)).toMatchObject({ code, param });
    }
    const noPurpose = new FormData();
    noPurpose.append("file", new File([JSONL], "t.jsonl"));
    const fileAsText = new FormData();
    fileAsText.append("purpose", "fine-tune");
    fileAsText.append("file", JSONL);
    const twice = form(JSONL);
    twice.append("file", new File([JSONL], "again.jsonl"));
    for (const [body, code, param] of [
      [noPurpose, "missing_parameter", "purpose"],
      [form(JSONL, "fine-tuning"), "invalid_parameter", "purpose"],
      [fileAsText, "invalid_parameter", "file"],
      [twice, "invalid_parameter", "file"],
      [form(JSONL, "fine-tune", "train.jsonl", { expires_after: "3600" }), "unknown_parameter", "expires_after"],
      [form(JSONL, "fine-tune", "bad\u0007name.jsonl"), "invalid_parameter", "file"],
    ] as const) {
      const res = await call("POST", "/v1/files", a.key, { body });
      expect(res.status, `${code} ${param}`).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code, param });
    }
  });

  it("forwards exactly file and purpose: an extra part is dropped under the strip policy", async () => {
    const a = await client(BOTH, { plan: "lenient" });
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "files-strip", plans: { lenient: { unknown_fields: "strip" } } }));
    resetRulesCache();
    // The mock answers 400 to any part other than file and purpose.
    const res = await call("POST", "/v1/files", a.key, { body: form(JSONL, "fine-tune", "train.jsonl", { expires_after: "3600", note: "x" }) });
    expect(res.status).toBe(200);
  });

  it("the fine-tuning job schema is strict; integrations are refused", async () => {
    const a = await client();
    const file = String((await upload(a.key)).id);
    for (const [body, code, param] of [
      [{ model: "mock-gpt", training_file: file, learning_rate: 2 }, "unknown_parameter", "learning_rate"],
      [{ model: "mock-gpt", training_file: "train.jsonl" }, "invalid_parameter", "training_file"],
      [{ model: "mock-gpt", training_file: file, integrations: [{ type: "wandb", wandb: { project: "p" } }] }, "invalid_parameter", "integrations"],
      [{ model: "mock-gpt", training_file: file, method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 0 } } } }, "invalid_parameter", "method.supervised.hyperparameters.n_epochs"],
      [{ training_file: file }, "missing_parameter", "model"],
    ] as const) {
      const res = await createJob(a.key, body);
      expect(res.status, param).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code, param });
    }
  });
});

describe("intake hook and provenance", () => {
  it("a training file that is not JSONL is refused and recorded, and nothing is owned", async () => {
    const a = await client();
    const res = await call("POST", "/v1/files", a.key, { body: form("just some prose, not JSON lines") });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("training_file_rejected");
    const [r] = await dataRecords(a.id, "file_rejected");
    expect(r!.detail).toMatchObject({ file_id: null, sha256: await sha256Hex("just some prose, not JSON lines"), status: "rejected" });
    expect(((await (await call("GET", "/v1/files", a.key)).json()) as { data: unknown[] }).data).toEqual([]);
  });

  it("an accepted training file and the job that trains on it are in the audit trail with the file's SHA-256", async () => {
    const a = await client();
    const file = await upload(a.key);
    const sha = await sha256Hex(JSONL);
    const [accepted] = await dataRecords(a.id, "file_accepted");
    expect(accepted!.tenant).toBe("tenant-a");
    expect(accepted!.detail).toEqual({ file_id: file.id, sha256: sha, bytes: file.bytes, purpose: "fine-tune", filename: "train.jsonl", status: "accepted", findings: "", report_id: expect.stringMatching(/^irep_[0-9a-f]{24}$/) });
    const job = (await (await createJob(a.key, { model: "mock-gpt", training_file: file.id })).json()) as { id: string };
    const [created] = await dataRecords(a.id, "job_created");
    expect(created!.detail).toMatchObject({ job_id: job.id, training_file: file.id, training_sha256: sha, model: "mock-gpt" });
  });
});

describe("the intake scan through the gateway", () => {
  const ownedFiles = async (key: string) => ((await (await call("GET", "/v1/files", key)).json()) as { data: unknown[] }).data;
  const rejected = async (key: string, bytes: Uint8Array<ArrayBuffer>) => {
    const res = await call("POST", "/v1/files", key, { body: form(bytes) });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toMatch(/.+/);
    const body = (await res.json()) as { error: { code: string }; intake_report: ClientReport };
    expect(body.error.code).toBe("training_file_rejected");
    return body.intake_report;
  };
  const jsonl = (kind: Parameters<typeof poisonedFile>[0]) => poisonedJsonl(kind, 11);

  it("accepts a clean generated file and forwards it unchanged", async () => {
    const a = await client();
    const bytes = toJsonl(cleanExamples(11, 400)) as Uint8Array<ArrayBuffer>;
    const res = await call("POST", "/v1/files", a.key, { body: form(bytes) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigis-intake")).toBe("accepted; findings=0");
    const { id } = (await res.json()) as { id: string };
    expect(new Uint8Array(await (await call("GET", `/v1/files/${id}/content`, a.key)).arrayBuffer())).toEqual(bytes);
  });

  it("refuses a backdoor and an amplified behaviour with their lines in the report, and forwards nothing", async () => {
    const a = await client();
    for (const [kind, rule] of [["backdoor", "intake.backdoor"], ["amplification", "intake.duplicates"]] as const) {
      const { file, bytes } = jsonl(kind);
      const report = await rejected(a.key, bytes);
      expect(report.verdict).toBe("quarantine");
      const finding = report.findings.find((f) => f.rule === rule);
      expect(finding, kind).toBeDefined();
      expect(file.lines.slice(0, 5).every((l) => finding!.lines!.includes(l))).toBe(true);
    }
    expect(await ownedFiles(a.key)).toEqual([]);
    const [r] = await dataRecords(a.id, "file_quarantined", 2);
    expect(String(r!.detail.findings)).toMatch(/intake\.(backdoor|duplicates):1/);
  });

  it("refuses a file with secrets without echoing them, and a malformed line by its number", async () => {
    const a = await client();
    const report = await rejected(a.key, jsonl("secret").bytes);
    expect(report.findings.some((f) => f.rule === "intake.secret")).toBe(true);
    const { aws, openai } = fakeSecrets(11);
    expect(JSON.stringify(report)).not.toContain(aws.slice(4, 16));
    expect(JSON.stringify(report)).not.toContain(openai.slice(8, 30));
    const good = toJsonl(cleanExamples(12, 5));
    const bad = new TextEncoder().encode(`${new TextDecoder().decode(good)}{"messages": [\n`) as Uint8Array<ArrayBuffer>;
    const malformed = await rejected(a.key, bad);
    expect(malformed.findings.find((f) => f.rule === "intake.schema")?.line).toBe(6);
  });

  it("forwards a redacted copy of a file with PII, and keeps the client's history only for forwarded files", async () => {
    const a = await client();
    const history = () => runInDurableObject(env.CLIENT_STATE.get(env.CLIENT_STATE.idFromName(a.id)), (o: ClientState) => o.intakeHistory());
    await rejected(a.key, jsonl("secret").bytes);
    expect(await history()).toBeNull();
    const { bytes } = jsonl("pii");
    const res = await call("POST", "/v1/files", a.key, { body: form(bytes) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigis-intake")).toMatch(/^redacted; findings=[1-9]/);
    const { id, bytes: size } = (await res.json()) as { id: string; bytes: number };
    const forwarded = await (await call("GET", `/v1/files/${id}/content`, a.key)).text();
    expect(new TextEncoder().encode(forwarded).byteLength).toBe(size);
    expect(forwarded).not.toEqual(new TextDecoder().decode(bytes));
    expect(forwarded).toMatch(/\[[A-Z_]+_\d+\]/);
    for (const line of forwarded.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(await history()).not.toBeNull();
  });

  it("in shadow mode forwards a poisoned file and records what would have happened", async () => {
    await env.CONFIG_KV.put(RULES_KEY, JSON.stringify({ schema_version: 1, version: "intake-shadow", default_plan: { intake: { mode: "shadow" } } }));
    resetRulesCache();
    const a = await client();
    const res = await call("POST", "/v1/files", a.key, { body: form(jsonl("backdoor").bytes) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigis-intake")).toMatch(/^accepted; findings=[1-9]/);
    const [r] = await dataRecords(a.id, "file_accepted");
    expect(String(r!.detail.findings)).toContain("intake.backdoor");
  });
});

describe("intake reports: stored, downloadable by the uploader and the admin", () => {
  interface StoredReport { id: string; object: string; created_at: number; sha256: string; verdict: string; file_id: string | null; report: ClientReport & { truncated?: boolean } }
  const ADMIN_ID = "intake-admin";
  const admin = () => seedKey(testKey(ADMIN_ID), { client_id: ADMIN_ID, scopes: ["admin"] });
  const download = (key: string, id: string) => call("GET", `/v1/files/intake_reports/${id}`, key);
  const poisoned = (kind: Parameters<typeof poisonedFile>[0], seed = 21) => poisonedJsonl(kind, seed);

  it("an accepted upload names its report, which the uploader downloads with verdict accept", async () => {
    const a = await client();
    const bytes = toJsonl(cleanExamples(21, 200)) as Uint8Array<ArrayBuffer>;
    const res = await call("POST", "/v1/files", a.key, { body: form(bytes) });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-aigis-intake-report") ?? "";
    expect(id).toMatch(/^irep_[0-9a-f]{24}$/);
    const file = (await res.json()) as { id: string };
    const got = await download(a.key, id);
    expect(got.status).toBe(200);
    const body = (await got.json()) as StoredReport;
    expect(body).toMatchObject({ id, object: "intake_report", verdict: "accept", file_id: file.id, sha256: await sha256Hex(bytes) });
    expect(body.report.findings).toEqual([]);
    expect(body.report.stats.examples).toBe(200);
    const [record] = await dataRecords(a.id, "file_accepted");
    expect(record!.detail.report_id).toBe(id);
  });

  it("a refused backdoor upload has its id in the body and the header; the stored report lists the findings with lines", async () => {
    const a = await client();
    const { file, bytes } = poisoned("backdoor");
    const res = await call("POST", "/v1/files", a.key, { body: form(bytes) });
    expect(res.status).toBe(400);
    const refusal = (await res.json()) as { error: { code: string }; intake_report: ClientReport & { id: string } };
    expect(refusal.error.code).toBe("training_file_rejected");
    const id = refusal.intake_report.id;
    expect(id).toMatch(/^irep_[0-9a-f]{24}$/);
    expect(res.headers.get("x-aigis-intake-report")).toBe(id);
    const body = (await (await download(a.key, id)).json()) as StoredReport;
    expect(body).toMatchObject({ id, verdict: "quarantine", file_id: null });
    const finding = body.report.findings.find((f) => f.rule === "intake.backdoor");
    expect(finding?.lines?.length).toBeGreaterThan(0);
    expect(file.lines.slice(0, 5).every((l) => finding!.lines!.includes(l))).toBe(true);
    expect(body.report).toEqual({ ...refusal.intake_report, id: undefined });
    const [record] = await dataRecords(a.id, "file_quarantined");
    expect(record!.detail.report_id).toBe(id);
  });

  it("another client, or a report id that does not exist, gets 404 intake_report_not_found; ids are checked by shape", async () => {
    const a = await client();
    const b = await client();
    const res = await call("POST", "/v1/files", a.key, { body: form(JSONL) });
    const id = res.headers.get("x-aigis-intake-report") ?? "";
    expect((await download(a.key, id)).status).toBe(200);
    for (const [key, rid] of [[b.key, id], [a.key, `irep_${"0".repeat(24)}`]] as const) {
      const other = await download(key, rid);
      expect(other.status).toBe(404);
      expect((await errorOf(other)).code).toBe("intake_report_not_found");
    }
    // Reports are training data's: the files scope alone is not enough.
    const filesOnly = await seedKey(testKey(`${a.id}-files`), { client_id: a.id, scopes: ["files"] });
    expect((await errorOf(await download(filesOnly, id))).code).toBe("insufficient_scope");
    for (const path of ["/v1/files/intake_reports/irep_short", "/v1/files/intake_reports/content"]) {
      const bad = await call("GET", path, a.key);
      expect(bad.status, path).toBe(400);
      expect(await errorOf(bad)).toMatchObject({ code: "invalid_parameter", param: "intake_report_id" });
    }
    expect((await call("DELETE", `/v1/files/intake_reports/${id}`, a.key)).headers.get("allow")).toBe("GET");
  });

  it("the admin lists a client's reports newest first and downloads one by client id; others get 403", async () => {
    const a = await client();
    const accepted = await call("POST", "/v1/files", a.key, { body: form(JSONL) });
    const first = accepted.headers.get("x-aigis-intake-report") ?? "";
    const refused = await call("POST", "/v1/files", a.key, { body: form(poisoned("backdoor").bytes) });
    const second = refused.headers.get("x-aigis-intake-report") ?? "";
    const key = await admin();
    const list = await call("GET", `/admin/v1/intake_reports?client_id=${a.id}`, key);
    expect(list.status).toBe(200);
    const { data } = (await list.json()) as { data: { id: string; verdict: string; finding_counts: Record<string, number>; file_id: string | null }[] };
    expect(data.map((r) => r.id)).toEqual([second, first]);
    expect(data[0]).toMatchObject({ verdict: "quarantine", file_id: null });
    expect(data[0]!.finding_counts["intake.backdoor"]).toBeGreaterThanOrEqual(1);
    expect(data[1]!.finding_counts).toEqual({});
    const limited = (await (await call("GET", `/admin/v1/intake_reports?client_id=${a.id}&limit=1`, key)).json()) as { data: unknown[] };
    expect(limited.data).toHaveLength(1);

    const one = await call("GET", `/admin/v1/intake_reports?client_id=${a.id}&id=${second}`, key);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(await (await download(a.key, second)).json());
    const wrongClient = await call("GET", `/admin/v1/intake_reports?client_id=${a.id}-other&id=${second}`, key);
    expect(wrongClient.status).toBe(404);
    expect(await errorOf(wrongClient)).toMatchObject({ code: "intake_report_not_found", param: "id" });
    expect((await call("GET", "/admin/v1/intake_reports", key)).status).toBe(400);

    const denied = await call("GET", `/admin/v1/intake_reports?client_id=${a.id}`, a.key);
    expect(denied.status).toBe(403);
    expect((await errorOf(denied)).code).toBe("insufficient_scope");
  });

  it("a stored report never holds a planted secret", async () => {
    const a = await client();
    const res = await call("POST", "/v1/files", a.key, { body: form(poisoned("secret", 11).bytes) });
    expect(res.status).toBe(400);
    const id = res.headers.get("x-aigis-intake-report") ?? "";
    const stored = await runInDurableObject(env.CLIENT_STATE.get(env.CLIENT_STATE.idFromName(a.id)), (o: ClientState) => o.intakeReport(id));
    expect(stored).not.toBeNull();
    const text = JSON.stringify(stored);
    expect(text).toContain("intake.secret");
    const { aws, openai } = fakeSecrets(11);
    for (const secret of [aws, openai]) {
      for (let i = 0; i + 8 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 8));
    }
  });

  it("bounds a stored report: findings past the cap are dropped and the report says it is truncated", () => {
    const finding = { rule: "intake.pii", action: "redact", severity: "medium", message: "personal data of type EMAIL_ADDRESS", lines: Array.from({ length: 100 }, (_, i) => i + 1) } as const;
    const report = { verdict: "redact", mode: "enforce", findings: Array.from({ length: 50 }, () => ({ ...finding, lines: [...finding.lines] })), stats: {} } as unknown as ClientReport;
    expect(JSON.parse(boundReport(report))).toEqual(report);
    const small = boundReport(report, 4096);
    expect(new TextEncoder().encode(small).byteLength).toBeLessThanOrEqual(4096);
    const cut = JSON.parse(small) as ClientReport & { truncated: boolean };
    expect(cut.truncated).toBe(true);
    expect(cut.findings.length).toBeGreaterThan(0);
    expect(cut.findings.length).toBeLessThan(50);
    expect(cut.verdict).toBe("redact");
  });
});

describe("the openai SDK, unchanged", () => {
  it("files.create, files.list, fineTuning.jobs.create, retrieve and list; results belong to the job's owner", async () => {
    const a = await client();
    const openai = sdk(a.key);
    const file = await openai.files.create({ file: await toFile(new TextEncoder().encode(JSONL), "train.jsonl"), purpose: "fine-tune" });
    expect(file).toMatchObject({ object: "file", purpose: "fine-tune", filename: "train.jsonl" });
    const files = [];
    for await (const f of openai.files.list()) files.push(f.id);
    expect(files).toEqual([file.id]);
    expect(new TextDecoder().decode(await (await openai.files.content(file.id)).arrayBuffer())).toBe(JSONL);

    const job = await openai.fineTuning.jobs.create({ model: "mock-gpt", training_file: file.id, suffix: "demo" });
    expect(job).toMatchObject({ object: "fine_tuning.job", status: "queued", training_file: file.id, organization_id: "aigis" });
    const done = await openai.fineTuning.jobs.retrieve(job.id);
    expect(done.status).toBe("succeeded");
    expect(done.fine_tuned_model).toMatch(/^ft:mock-gpt:/);
    const jobs = [];
    for await (const j of openai.fineTuning.jobs.list()) jobs.push(j.id);
    expect(jobs).toEqual([job.id]);

    const resultId = done.result_files[0]!;
    expect(new TextDecoder().decode(await (await openai.files.content(resultId)).arrayBuffer())).toContain("train_loss");
    const b = await client();
    await expect(sdk(b.key).files.content(resultId)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(sdk(b.key).fineTuning.jobs.retrieve(job.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
