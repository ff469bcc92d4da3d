/** The pure half of body object checks (src/policy/objects.ts): which ids a body names, where. */
import { describe, expect, it } from "vitest";
import { bodyObjectRefs, createdResponseOf, RESPONSE_ITEMS_KEPT } from "../src/policy/objects";
import { guardStream } from "../src/upstream/stream-guard";

describe("bodyObjectRefs: chat", () => {
  it("names each file part's file_id by its path, and nothing else", () => {
    const body = {
      model: "m",
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "plain" },
        {
          role: "user",
          content: [
            { type: "text", text: "read this" },
            { type: "file", file: { file_id: "file-a" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,AAAA", filename: "x.pdf" } },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
          ],
        },
        { role: "user", content: [{ type: "file", file: { file_id: "file-b", filename: "b.pdf" } }] },
      ],
    };
    expect(bodyObjectRefs("chat", body)).toEqual([
      { kind: "file", id: "file-a", param: "messages[2].content[1].file.file_id" },
      { kind: "file", id: "file-b", param: "messages[3].content[0].file.file_id" },
    ]);
  });

  it("a body without ids gives none; other routes have none", () => {
    expect(bodyObjectRefs("chat", { model: "m", messages: [{ role: "user", content: "hi" }] })).toEqual([]);
    expect(bodyObjectRefs("embeddings", { model: "m", input: "file-a" })).toEqual([]);
    expect(bodyObjectRefs("completions", { model: "m", prompt: "previous_response_id" })).toEqual([]);
  });
});

describe("bodyObjectRefs: responses", () => {
  it("finds files in messages, tool outputs, screenshots, prompt variables and code interpreter", () => {
    const body = {
      model: "m",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "t" },
            { type: "input_image", file_id: "file-img" },
            { type: "input_file", file_id: "file-doc" },
            { type: "input_file", file_url: "https://example.com/a.pdf" },
            { type: "input_image", image_url: "https://example.com/a.png", file_id: null },
          ],
        },
        { type: "function_call_output", call_id: "c", output: [{ type: "input_file", file_id: "file-tool" }] },
        { type: "custom_tool_call_output", call_id: "c2", output: "text only" },
        { type: "computer_call_output", call_id: "c3", output: { type: "computer_screenshot", file_id: "file-shot" } },
      ],
      prompt: { id: "pmpt_1", variables: { doc: { type: "input_file", file_id: "file-var" }, "odd name!": { type: "input_image", file_id: "file-odd" }, plain: "text" } },
      tools: [
        { type: "code_interpreter", container: { type: "auto", file_ids: ["file-ci", 7] } },
        { type: "file_search", vector_store_ids: ["vs_1"] },
      ],
    };
    expect(bodyObjectRefs("responses", body)).toEqual([
      { kind: "file", id: "file-img", param: "input[0].content[1].file_id" },
      { kind: "file", id: "file-doc", param: "input[0].content[2].file_id" },
      { kind: "file", id: "file-tool", param: "input[1].output[0].file_id" },
      { kind: "file", id: "file-shot", param: "input[3].output.file_id" },
      { kind: "file", id: "file-var", param: "prompt.variables.doc.file_id" },
      // A name the client chose goes into `param` and analytics only when it is plain.
      { kind: "file", id: "file-odd", param: "prompt.variables" },
      { kind: "file", id: "file-ci", param: "tools[0].container.file_ids[0]" },
    ]);
  });

  it("previous_response_id, item references (typed, untyped, null type) and conversations", () => {
    const body = {
      model: "m",
      previous_response_id: "resp_1",
      conversation: { id: "conv_1" },
      input: [
        { type: "item_reference", id: "msg_1" },
        { id: "msg_2" },
        { type: null, id: "msg_3" },
        // Replayed items carry ids too, but their content travels with them: not references.
        { type: "message", id: "msg_4", role: "assistant", content: [{ type: "output_text", text: "x" }] },
        { type: "function_call", id: "fc_1", call_id: "c", name: "f", arguments: "{}" },
      ],
    };
    expect(bodyObjectRefs("responses", body)).toEqual([
      { kind: "response", id: "resp_1", param: "previous_response_id" },
      { kind: "conversation", id: "conv_1", param: "conversation.id" },
      { kind: "item", id: "msg_1", param: "input[0].id" },
      { kind: "item", id: "msg_2", param: "input[1].id" },
      { kind: "item", id: "msg_3", param: "input[2].id" },
    ]);
    expect(bodyObjectRefs("responses", { model: "m", input: "x", conversation: "conv_2", previous_response_id: null })).toEqual([
      { kind: "conversation", id: "conv_2", param: "conversation" },
    ]);
  });

  it("a plain Responses body gives none", () => {
    expect(bodyObjectRefs("responses", { model: "m", input: "hello" })).toEqual([]);
    expect(bodyObjectRefs("responses", { model: "m", input: [{ role: "user", content: "hello" }], store: true })).toEqual([]);
  });
});

describe("createdResponseOf", () => {
  it("takes the response id and its output item ids", () => {
    const r = { id: "resp_1", object: "response", output: [{ id: "msg_1", type: "message" }, { id: "rs_1", type: "reasoning" }, { type: "message" }] };
    expect(createdResponseOf(r)).toEqual({ id: "resp_1", items: ["msg_1", "rs_1"] });
  });

  it("caps the items, and skips what has no usable id", () => {
    const output = Array.from({ length: RESPONSE_ITEMS_KEPT + 10 }, (_, i) => ({ id: `msg_${i}` }));
    expect(createdResponseOf({ id: "resp_2", output })?.items).toHaveLength(RESPONSE_ITEMS_KEPT);
    expect(createdResponseOf({ id: "resp_3", output: [{ id: "bad id with spaces" }, { id: 4 }] })).toEqual({ id: "resp_3", items: [] });
    expect(createdResponseOf({ id: "x".repeat(200) })).toBeUndefined();
    expect(createdResponseOf({ output: [] })).toBeUndefined();
    expect(createdResponseOf(null)).toBeUndefined();
    expect(createdResponseOf("resp_4")).toBeUndefined();
  });
});

describe("guardStream keepResponse", () => {
  const enc = new TextEncoder();
  const responseEvent = (type: string, response: unknown, named: boolean) => `${named ? `event: ${type}\n` : ""}data: ${JSON.stringify({ type, response })}\n\n`;
  const run = async (events: string[], keepResponse: boolean) => {
    const upstream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const e of events) controller.enqueue(enc.encode(e));
        controller.close();
      },
    });
    const g = guardStream(upstream, { kind: "responses", idleTimeoutMs: 1000, maxBytes: 1 << 20, abort: () => {}, keepResponse });
    await new Response(g.stream).text();
    return (await g.done).createdResponse;
  };

  it("keeps the ids of the newest response object, with or without event names, and not the object", async () => {
    for (const named of [true, false]) {
      const events = [
        responseEvent("response.created", { id: "resp_s", output: [] }, named),
        `data: ${JSON.stringify({ type: "response.output_text.delta", delta: "hi" })}\n\n`,
        responseEvent("response.completed", { id: "resp_s", output: [{ id: "msg_s", type: "message" }] }, named),
      ];
      expect(await run(events, true)).toEqual({ id: "resp_s", items: ["msg_s"] });
      expect(await run(events, false)).toBeUndefined();
    }
  });

  it("a stream cut before its end still names the response it created", async () => {
    expect(await run([responseEvent("response.created", { id: "resp_cut", output: [] }, true)], true)).toEqual({ id: "resp_cut", items: [] });
  });
});
