import { SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { DEMO_KEY, errorOf, post, seedKey } from "./helpers";

beforeEach(async () => {
  await seedKey();
});

const auth = { authorization: `Bearer ${DEMO_KEY}` };

describe("bad input gets a clear 4xx, never a 500", () => {
  it("malformed JSON: 400 invalid_json without echoing the input", async () => {
    const res = await post("/v1/chat/completions", null, { raw: '{"model": "mock-gpt", "messages": [SECRET-INPUT' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain("SECRET-INPUT");
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe("invalid_json");
  });

  it("a JSON value that is not an object: 400", async () => {
    for (const raw of ["[]", "42", "null", '"s"']) {
      const res = await post("/v1/chat/completions", null, { raw });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_json");
    }
  });

  it("wrong or missing content type: 415", async () => {
    const body = JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] });
    for (const ct of ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"]) {
      const res = await SELF.fetch("https://gateway.test/v1/chat/completions", { method: "POST", headers: { ...auth, "content-type": ct }, body });
      expect(res.status).toBe(415);
      expect((await errorOf(res)).code).toBe("unsupported_media_type");
    }
    const ok = await SELF.fetch("https://gateway.test/v1/chat/completions", { method: "POST", headers: { ...auth, "content-type": "application/json; charset=UTF-8" }, body });
    expect(ok.status).toBe(200);
  });

  it("invalid UTF-8: 400 invalid_encoding", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"model":"mock-gpt","messages":[{"role":"user","content":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}]}')]);
    const res = await post("/v1/chat/completions", null, { raw: bytes });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("invalid_encoding");
  });

  it("body over the limit: 413 from Content-Length, before parsing", async () => {
    const big = "x".repeat(300 * 1024); // limit in tests: 256 KiB, and this is not even JSON
    const res = await post("/v1/chat/completions", null, { raw: big });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("request_too_large");
  });

  it("body over the limit without Content-Length (chunked): 413 while reading", async () => {
    const chunk = new TextEncoder().encode("y".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await SELF.fetch("https://gateway.test/v1/chat/completions", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: stream });
    expect(res.status).toBe(413);
  });

  it("10^5-deep nested arrays: 400 nesting_too_deep", async () => {
    const deep = `{"model":"mock-gpt","messages":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const res = await post("/v1/chat/completions", null, { raw: deep });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("nesting_too_deep");
  });

  it("brackets inside strings do not count as nesting", async () => {
    const res = await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "[".repeat(500) + "{".repeat(500) }] });
    expect(res.status).toBe(200);
  });

  it("unknown top-level field: 400 unknown_parameter naming it (default policy: reject)", async () => {
    const res = await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "x" }], temprature: 0.2 });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("unknown_parameter");
    expect(err.param).toBe("temprature");
  });

  it("unknown nested field: 400 with its path", async () => {
    const res = await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "x", hidden: "y" }] });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("unknown_parameter");
    expect(err.param).toBe("messages[0].hidden");
  });

  it("mistyped fields: 400 invalid_parameter with param, value not echoed", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ temperature: "hot-VALUE" }, "temperature"],
      [{ max_tokens: -5 }, "max_tokens"],
      [{ stream: "yes-VALUE" }, "stream"],
      [{ messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
      [{ messages: [{ role: "wizard-VALUE", content: "x" }] }, "messages[0].role"],
    ];
    for (const [patch, param] of cases) {
      const res = await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "user", content: "x" }], ...patch });
      expect(res.status, param).toBe(400);
      const text = await res.text();
      expect(text).not.toContain("VALUE");
      const err = (JSON.parse(text) as { error: { code: string; param: string } }).error;
      expect(err.param, param).toBe(param);
      expect(err.code).toBe("invalid_parameter");
    }
  });

  it("missing required field: 400 missing_parameter", async () => {
    const res = await post("/v1/chat/completions", { messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("missing_parameter");
    expect(err.param).toBe("model");
  });

  it("every error response has the wire shape, x-request-id and x-should-retry", async () => {
    const res = await post("/v1/embeddings", { model: "mock-embed" });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(res.headers.get("x-should-retry")).toBe("false");
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(body.error ?? {}).sort()).toEqual(["code", "message", "param", "type"]);
  });
});

describe("error paths inside unions", () => {
  it("a bad part inside a string-or-array field names the part", async () => {
    await seedKey();
    const res = await post("/v1/responses", { model: "mock-gpt", input: [{ role: "user", content: 5 }] });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("input[0].content");
  });
});
