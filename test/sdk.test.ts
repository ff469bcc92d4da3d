/**
 * The real `openai` SDK (6.x) against the gateway, unchanged except for its base URL and
 * key: the promise this gateway makes to every client.
 */
import { SELF } from "cloudflare:test";
import OpenAI from "openai";
import { beforeEach, describe, expect, it } from "vitest";
import { DEMO_KEY, seedKey, testKey } from "./helpers";

function client(apiKey = DEMO_KEY, maxRetries = 0): OpenAI {
  return new OpenAI({
    apiKey,
    baseURL: "https://gateway.test/v1",
    maxRetries,
    fetch: (input, init) => SELF.fetch(input as string, init as RequestInit),
  });
}

beforeEach(async () => {
  await seedKey();
});

describe("openai SDK through the gateway", () => {
  it("chat completion", async () => {
    const r = await client().chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "hello sdk" }] });
    expect(r.choices[0]?.message.content).toBe("hello sdk");
  });

  it("chat stream", async () => {
    const stream = await client().chat.completions.create({ model: "mock-gpt", stream: true, messages: [{ role: "user", content: "streamed through the gateway" }] });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.trim()).toBe("streamed through the gateway");
  });

  it("responses, plain and streamed", async () => {
    const r = await client().responses.create({ model: "mock-gpt", input: "respond please" });
    expect(r.output_text).toBe("respond please");
    const stream = await client().responses.create({ model: "mock-gpt", input: "stream a response", stream: true });
    let text = "";
    let completed = false;
    for await (const ev of stream) {
      if (ev.type === "response.output_text.delta") text += ev.delta;
      if (ev.type === "response.completed") completed = true;
    }
    expect(completed).toBe(true);
    expect(text.trim()).toBe("stream a response");
  });

  it("embeddings", async () => {
    const r = await client().embeddings.create({ model: "mock-embed", input: "embed me" });
    expect(r.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it("errors arrive as the SDK's error classes with the gateway's code", async () => {
    await expect(client(testKey("notarealkey")).chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const err = await client()
      .chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "x" }], temperature: "hot" as unknown as number })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("invalid_parameter");
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).requestID).toMatch(/^req_/);
  });

  it("a cut stream raises in the SDK instead of ending silently", async () => {
    const stream = await client().chat.completions.create({ model: "mock-cut-stream", stream: true, messages: [{ role: "user", content: "a b c d e" }] });
    const consume = async () => {
      for await (const _ of stream) {
        // drain
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
  });
  it("the SDK's stream helpers see restored placeholders and tool arguments held back by response protection", async () => {
    const text = "Write to jane.doe@example.com today";
    // mock-chunks-3 splits the placeholder [EMAIL_1] inside itself; the gateway holds and restores it.
    const stream = client().chat.completions.stream({ model: "mock-chunks-3", messages: [{ role: "user", content: text }] });
    const done = await stream.finalChatCompletion();
    expect(done.choices[0]?.message.content).toBe(text);
    const tools = client().chat.completions.stream({ model: "mock-tool-echo", messages: [{ role: "user", content: text }] });
    const call = (await tools.finalChatCompletion()).choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" ? JSON.parse(call.function.arguments) : undefined).toEqual({ text });
    const r = await client().responses.stream({ model: "mock-chunks-2", input: text }).finalResponse();
    expect(r.output_text).toBe(text);
  });
});
