/** The request schemas as pure functions: what each route accepts, and where an issue points. */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { requestSchema, UNKNOWN_FIELD_POLICIES, type UnknownFieldPolicy } from "../src/schemas";

type Route = Parameters<typeof requestSchema>[0];

function parse(route: Route, body: unknown, policy: UnknownFieldPolicy = "reject") {
  return requestSchema(route, policy).safeParse(body);
}

/** The first issue of a failed parse (the one the gateway reports). */
function firstIssue(route: Route, body: unknown, policy: UnknownFieldPolicy = "reject") {
  const result = parse(route, body, policy);
  expect(result.success).toBe(false);
  return result.error?.issues[0];
}

const MINIMAL: Record<Route, Record<string, unknown>> = {
  chat: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
  responses: { model: "gpt-5", input: "hi" },
  embeddings: { model: "text-embedding-3-small", input: "hi" },
  completions: { model: "gpt-3.5-turbo-instruct", prompt: "hi" },
};

const jsonSchema = {
  type: "object",
  properties: { city: { type: "string", "x-anything": { nested: [1, { deep: true }] } } },
  required: ["city"],
  additionalProperties: false,
};

const FULL_CHAT = {
  model: "gpt-4o",
  messages: [
    { role: "developer", content: "be terse", name: "ops" },
    { role: "system", content: [{ type: "text", text: "sys", prompt_cache_breakpoint: { mode: "explicit" } }] },
    {
      role: "user",
      name: "alice",
      content: [
        { type: "text", text: "look" },
        { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "high" } },
        { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
        { type: "file", file: { file_id: "file-1", filename: "a.pdf" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=" } },
      ],
    },
    {
      role: "assistant",
      content: null,
      refusal: null,
      audio: { id: "audio_1" },
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { id: "call_2", type: "custom", custom: { name: "sql", input: "select 1" } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "sunny" }] },
    { role: "assistant", content: [{ type: "text", text: "ok" }, { type: "refusal", refusal: "no" }], function_call: { name: "f", arguments: "{}" } },
    { role: "function", name: "f", content: null },
  ],
  audio: { format: "mp3", voice: "alloy" },
  frequency_penalty: -2,
  presence_penalty: 2,
  function_call: { name: "get_weather" },
  functions: [{ name: "get_weather", description: "d", parameters: jsonSchema }],
  logit_bias: { "50256": -100, "1234": 100 },
  logprobs: true,
  top_logprobs: 20,
  max_tokens: 100,
  max_completion_tokens: 200,
  metadata: { team: "search", ticket: "A-1" },
  modalities: ["text", "audio"],
  n: 2,
  parallel_tool_calls: false,
  prediction: { type: "content", content: "draft" },
  prompt_cache_key: "k",
  prompt_cache_retention: "24h",
  reasoning_effort: "none",
  response_format: { type: "json_schema", json_schema: { name: "weather", description: "d", schema: jsonSchema, strict: true } },
  safety_identifier: "user-hash",
  seed: 42,
  service_tier: "flex",
  stop: ["\n", "END"],
  store: false,
  stream: true,
  stream_options: { include_usage: true, include_obfuscation: false },
  temperature: 0.7,
  top_p: 1,
  tools: [
    { type: "function", function: { name: "get_weather", description: "d", parameters: jsonSchema, strict: true } },
    { type: "custom", custom: { name: "sql", format: { type: "grammar", grammar: { syntax: "lark", definition: "start: /.+/" } } } },
  ],
  tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "get_weather" } }] } },
  user: "u1",
  verbosity: "low",
  web_search_options: { search_context_size: "low", user_location: { type: "approximate", approximate: { city: "Paris", country: "FR" } } },
};

const FULL_RESPONSES = {
  model: "gpt-5",
  input: [
    { role: "developer", content: "be terse" },
    {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "look" },
        { type: "input_image", image_url: "https://example.com/a.png", detail: "auto" },
        { type: "input_file", file_id: "file-1" },
      ],
    },
    { type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text: "hello", annotations: [] }] },
    { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "thought" }], encrypted_content: "gAAA" },
    { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" },
    { type: "function_call_output", call_id: "call_1", output: "sunny" },
    { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "rain" }] },
    { type: "custom_tool_call", call_id: "call_3", name: "sql", input: "select 1" },
    { type: "custom_tool_call_output", call_id: "call_3", output: "1" },
    { type: "item_reference", id: "msg_0" },
    { id: "msg_00" },
    { type: "mcp_approval_response", approval_request_id: "mcpr_1", approve: true },
    { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "q" } },
  ],
  instructions: "You are helpful.",
  previous_response_id: null,
  conversation: { id: "conv_1" },
  max_output_tokens: 1000,
  max_tool_calls: 5,
  temperature: 1,
  top_p: 0.9,
  top_logprobs: 3,
  tools: [
    { type: "function", name: "get_weather", parameters: jsonSchema, strict: true, description: "d" },
    { type: "custom", name: "sql", format: { type: "grammar", syntax: "regex", definition: "\\d+" } },
    { type: "web_search", filters: { allowed_domains: ["example.com"] }, user_location: { type: "approximate", city: "Paris" } },
    { type: "file_search", vector_store_ids: ["vs_1"], filters: { type: "and", filters: [{ type: "eq", key: "a", value: 1 }] } },
    { type: "mcp", server_label: "docs", server_url: "https://mcp.example.com", require_approval: "never", allowed_tools: ["search"] },
    { type: "code_interpreter", container: { type: "auto" } },
  ],
  tool_choice: { type: "function", name: "get_weather" },
  parallel_tool_calls: true,
  text: { format: { type: "json_schema", name: "weather", schema: jsonSchema, strict: true }, verbosity: "medium" },
  reasoning: { effort: "minimal", summary: "auto" },
  truncation: "auto",
  store: true,
  stream: true,
  stream_options: { include_obfuscation: false },
  metadata: { a: "b" },
  user: "u1",
  safety_identifier: "h",
  prompt_cache_key: "k",
  service_tier: "priority",
  include: ["reasoning.encrypted_content"],
  background: false,
  prompt: { id: "pmpt_1", version: "2", variables: { city: "Paris", photo: { type: "input_image", image_url: "https://example.com/p.png" } } },
};

const FULL_EMBEDDINGS = { model: "text-embedding-3-large", input: ["a", "b"], encoding_format: "base64", dimensions: 256, user: "u1" };

const FULL_COMPLETIONS = {
  model: "gpt-3.5-turbo-instruct", prompt: ["Say this", "Say that"], best_of: 3, echo: true, frequency_penalty: 0.5, presence_penalty: -0.5,
  logit_bias: { "50256": -100 }, logprobs: 5, max_tokens: 16, n: 2, seed: 7, stop: "\n", stream: true, stream_options: { include_usage: true },
  suffix: "end", temperature: 0, top_p: 0.5, user: "u1",
};

const FULL: Record<Route, Record<string, unknown>> = {
  chat: FULL_CHAT,
  responses: FULL_RESPONSES,
  embeddings: FULL_EMBEDDINGS,
  completions: FULL_COMPLETIONS,
};

/**
 * Follows an invalid_union into the one branch whose JSON type matched (every other branch
 * failed with a bare invalid_type at its root) and returns the full path of its first issue.
 */
function innermostPath(issue: z.core.$ZodIssue | undefined): PropertyKey[] | undefined {
  if (issue?.code !== "invalid_union") return issue?.path;
  const matched = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0));
  const inner = matched.length === 1 ? matched[0]?.[0] : undefined;
  return inner === undefined ? issue.path : innermostPath({ ...inner, path: [...issue.path, ...inner.path] });
}

const ROUTES: Route[] = ["chat", "responses", "embeddings", "completions"];

describe("valid requests pass unchanged", () => {
  for (const route of ROUTES) {
    for (const policy of UNKNOWN_FIELD_POLICIES) {
      it(`${route}: minimal and full, under ${policy}`, () => {
        for (const body of [MINIMAL[route], FULL[route]]) {
          const result = parse(route, body, policy);
          expect(result.error?.issues).toBeUndefined();
          // Strict equality: no defaults injected, no undefined-valued keys added.
          expect(result.data).toStrictEqual(body);
        }
      });
    }
  }

  it("explicit nulls the API accepts are kept", () => {
    const body = { ...MINIMAL.chat, temperature: null, stop: null, max_tokens: null, stream_options: null, metadata: null };
    expect(parse("chat", body).data).toStrictEqual(body);
  });

  it("caches one schema per (route, policy)", () => {
    expect(requestSchema("chat", "reject")).toBe(requestSchema("chat", "reject"));
    expect(requestSchema("chat", "reject")).not.toBe(requestSchema("chat", "strip"));
  });
});

describe("issues point at the field", () => {
  it("missing model", () => {
    for (const route of ROUTES) {
      const { model: _model, ...rest } = MINIMAL[route];
      const issue = firstIssue(route, rest);
      expect(issue?.path).toEqual(["model"]);
      expect(issue?.code).toBe("invalid_type");
    }
  });

  it("empty and overlong model", () => {
    expect(firstIssue("chat", { ...MINIMAL.chat, model: "" })?.path).toEqual(["model"]);
    expect(firstIssue("chat", { ...MINIMAL.chat, model: "m".repeat(257) })?.path).toEqual(["model"]);
  });

  it("chat: mistyped message content, role and parts", () => {
    expect(firstIssue("chat", { model: "m", messages: [{ role: "user", content: 42 }] })?.path).toEqual(["messages", 0, "content"]);
    expect(firstIssue("chat", { model: "m", messages: [{ role: "wizard", content: "x" }] })?.path).toEqual(["messages", 0, "role"]);
    const badPart = { model: "m", messages: [{ role: "user", content: "a" }, { role: "user", content: [{ type: "video", url: "x" }] }] };
    expect(firstIssue("chat", badPart)?.path[0]).toBe("messages");
    expect(firstIssue("chat", badPart)?.path.slice(0, 3)).toEqual(["messages", 1, "content"]);
  });

  it("chat: required fields per role", () => {
    expect(firstIssue("chat", { model: "m", messages: [] })?.path).toEqual(["messages"]);
    expect(firstIssue("chat", { model: "m" })?.path).toEqual(["messages"]);
    expect(firstIssue("chat", { model: "m", messages: [{ role: "tool", content: "x" }] })?.path).toEqual(["messages", 0, "tool_call_id"]);
    const badCall = { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: {} } }] };
    expect(firstIssue("chat", { model: "m", messages: [badCall] })?.path).toEqual(["messages", 0, "tool_calls", 0, "function", "arguments"]);
  });

  it("numeric bounds from the reference", () => {
    const chat = MINIMAL.chat;
    for (const [field, value] of [
      ["temperature", 2.1],
      ["temperature", "hot"],
      ["top_p", 1.5],
      ["frequency_penalty", -3],
      ["top_logprobs", 21],
      ["n", 0],
      ["n", 129],
      ["n", 1.5],
      ["max_tokens", 0],
      ["seed", 1.5],
    ] as const) {
      expect(firstIssue("chat", { ...chat, [field]: value })?.path).toEqual([field]);
    }
    expect(firstIssue("chat", { ...chat, logit_bias: { "50256": 101 } })?.path).toEqual(["logit_bias", "50256"]);
    expect(firstIssue("chat", { ...chat, logit_bias: { hello: 1 } })?.path).toEqual(["logit_bias", "hello"]);
    expect(firstIssue("chat", { ...chat, stop: ["a", "b", "c", "d", "e"] })?.path).toEqual(["stop"]);
    expect(firstIssue("completions", { ...MINIMAL.completions, logprobs: 6 })?.path).toEqual(["logprobs"]);
  });

  it("metadata: at most 16 pairs, key <= 64, value <= 512", () => {
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    expect(firstIssue("chat", { ...MINIMAL.chat, metadata: many })?.path).toEqual(["metadata"]);
    expect(firstIssue("chat", { ...MINIMAL.chat, metadata: { ["k".repeat(65)]: "v" } })?.path[0]).toBe("metadata");
    expect(firstIssue("chat", { ...MINIMAL.chat, metadata: { k: "v".repeat(513) } })?.path).toEqual(["metadata", "k"]);
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, "v".repeat(512)]));
    expect(parse("chat", { ...MINIMAL.chat, metadata: sixteen }).success).toBe(true);
  });

  it("responses: `input` is string | array, so item issues sit inside its invalid_union", () => {
    // z.union reports a failure of every branch at the union's own path; the branch whose
    // JSON type matched (the array) carries the exact path, which innermostPath() follows.
    const content = firstIssue("responses", { model: "m", input: [{ role: "user", content: 5 }] });
    expect(content?.path).toEqual(["input"]);
    expect(innermostPath(content)).toEqual(["input", 0, "content"]);
    expect(innermostPath(firstIssue("responses", { model: "m", input: [{ type: "function_call_output", output: "x" }] }))).toEqual(["input", 0, "call_id"]);
    expect(innermostPath(firstIssue("responses", { model: "m", input: [{ type: "teleport" }] }))).toEqual(["input", 0, "type"]);
    const part = { model: "m", input: [{ role: "user", content: [{ type: "input_text", text: 1 }] }] };
    expect(innermostPath(firstIssue("responses", part))).toEqual(["input", 0, "content", 0, "text"]);
  });

  it("responses: tool and config fields", () => {
    expect(firstIssue("responses", { model: "m", tools: [{ type: "function", name: "bad name!" }] })?.path).toEqual(["tools", 0, "name"]);
    expect(firstIssue("responses", { model: "m", tools: [{ type: "mcp", server_url: "https://x" }] })?.path).toEqual(["tools", 0, "server_label"]);
    expect(firstIssue("responses", { model: "m", reasoning: { effort: "extreme" } })?.path).toEqual(["reasoning", "effort"]);
    expect(firstIssue("responses", { model: "m", text: { format: { type: "json_schema", name: "n" } } })?.path).toEqual(["text", "format", "schema"]);
    expect(firstIssue("responses", { model: "m", stream_options: { include_usage: true } })).toMatchObject({ code: "unrecognized_keys", path: ["stream_options"] });
  });

  it("responses: an item reference may omit type", () => {
    const body = { model: "m", input: [{ id: "msg_1" }, { type: "item_reference", id: "msg_2" }, { type: null, id: "msg_3" }] };
    expect(parse("responses", body).data).toStrictEqual(body);
  });

  it("required inputs of embeddings and completions", () => {
    expect(firstIssue("embeddings", { model: "m" })?.path).toEqual(["input"]);
    expect(firstIssue("embeddings", { model: "m", input: "" })?.path).toEqual(["input"]);
    expect(firstIssue("embeddings", { ...MINIMAL.embeddings, encoding_format: "int8" })?.path).toEqual(["encoding_format"]);
    expect(firstIssue("completions", { model: "m" })?.path).toEqual(["prompt"]);
  });
});

describe("token-id inputs are valid schema-wise", () => {
  it("embeddings and completions accept number[] and number[][]", () => {
    for (const ids of [[1, 2, 3], [[1, 2], [3]]]) {
      expect(parse("embeddings", { model: "m", input: ids }).data).toStrictEqual({ model: "m", input: ids });
      expect(parse("completions", { model: "m", prompt: ids }).data).toStrictEqual({ model: "m", prompt: ids });
    }
  });

  it("token ids are non-negative integers", () => {
    // A range failure does not abort, so the union keeps the token-array branch's exact path.
    expect(firstIssue("embeddings", { model: "m", input: [1, -2] })?.path).toEqual(["input", 1]);
    expect(firstIssue("completions", { model: "m", prompt: [1.5] })?.path).toEqual(["prompt"]);
  });
});

describe("unknown fields follow the policy at every depth", () => {
  const topLevel = { ...MINIMAL.chat, frobnicate: true };
  const nested = { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hi", colour: "red" }], mood: "happy" }] };
  const inTool = { ...MINIMAL.chat, tools: [{ type: "function", function: { name: "f", parameters: jsonSchema, secret: 1 } }] };

  it("reject: unrecognized_keys naming the keys, at the object that holds them", () => {
    expect(firstIssue("chat", topLevel)).toMatchObject({ code: "unrecognized_keys", keys: ["frobnicate"], path: [] });
    const issues = parse("chat", nested).error?.issues ?? [];
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: "unrecognized_keys", keys: ["colour"], path: ["messages", 0, "content", 0] }),
        expect.objectContaining({ code: "unrecognized_keys", keys: ["mood"], path: ["messages", 0] }),
      ]),
    );
    expect(firstIssue("chat", inTool)).toMatchObject({ code: "unrecognized_keys", keys: ["secret"], path: ["tools", 0, "function"] });
    const resp = { model: "m", input: [{ type: "function_call", call_id: "c", name: "f", arguments: "{}", extra: 1 }] };
    expect(firstIssue("responses", resp)).toMatchObject({ code: "unrecognized_keys", keys: ["extra"], path: ["input", 0] });
    expect(firstIssue("embeddings", { ...MINIMAL.embeddings, x: 1 })).toMatchObject({ code: "unrecognized_keys", keys: ["x"] });
    const opts = { ...MINIMAL.completions, stream_options: { include_usage: true, y: 1 } };
    expect(firstIssue("completions", opts)).toMatchObject({ code: "unrecognized_keys", keys: ["y"], path: ["stream_options"] });
  });

  it("strip: unknown keys dropped, known ones kept", () => {
    expect(parse("chat", topLevel, "strip").data).toStrictEqual(MINIMAL.chat);
    expect(parse("chat", nested, "strip").data).toStrictEqual({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] });
    expect(parse("chat", inTool, "strip").data).toStrictEqual({ ...MINIMAL.chat, tools: [{ type: "function", function: { name: "f", parameters: jsonSchema } }] });
  });

  it("pass: unknown keys kept as given", () => {
    for (const body of [topLevel, nested, inTool]) expect(parse("chat", body, "pass").data).toStrictEqual(body);
  });

  it("free-form JSON Schema keeps arbitrary nested keys under reject", () => {
    const weird = { type: "object", "x-vendor": { a: [1, { b: null }] }, $defs: { Foo: { enum: [1, "x"] } }, whatever: true };
    const chatBody = { ...MINIMAL.chat, tools: [{ type: "function", function: { name: "f", parameters: weird } }] };
    expect(parse("chat", chatBody).data).toStrictEqual(chatBody);
    const respBody = { model: "m", tools: [{ type: "function", name: "f", parameters: weird, strict: false }], text: { format: { type: "json_schema", name: "n", schema: weird } } };
    expect(parse("responses", respBody).data).toStrictEqual(respBody);
  });

  it("rarer Responses item types are checked for type only", () => {
    const body = { model: "m", input: [{ type: "computer_call", id: "cu_1", call_id: "c", action: { type: "click", x: 1, y: 2, button: "left" }, anything: 1 }] };
    expect(parse("responses", body).data).toStrictEqual(body);
  });
});
