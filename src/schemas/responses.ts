/**
 * POST /v1/responses (API reference "Create a model response", SDK `ResponseCreateParams`).
 *
 * Items, content parts and tools that carry client text (messages, function and custom tool
 * calls and their outputs, function and MCP tool definitions) are modelled field by field,
 * so the unknown-field policy reaches them. The many rarer item and tool types, mostly
 * hosted-tool state replayed from an earlier response, are checked only for a known `type`
 * and forwarded as given: listing their dozens of fields would make this file a copy of the
 * SDK, and stripping fields the gateway cannot name would break conversation replay.
 */
import { z } from "zod";
import {
  commonObjects,
  freeFormObject,
  functionName,
  maxTokens,
  metadata,
  model,
  perPolicy,
  promptCacheKey,
  promptCacheRetention,
  reasoningEffort,
  safetyIdentifier,
  serviceTier,
  temperature,
  topLogprobs,
  topP,
  user,
  verbosity,
  type UnknownFieldPolicy,
} from "./common";

/** Input item types accepted with a known `type` only (see the file comment). */
const OPAQUE_ITEM_TYPES = [
  "file_search_call", "computer_call", "web_search_call", "tool_search_call", "tool_search_output", "additional_tools",
  "image_generation_call", "code_interpreter_call", "local_shell_call", "local_shell_call_output", "shell_call",
  "shell_call_output", "apply_patch_call", "apply_patch_call_output", "mcp_list_tools", "mcp_approval_request", "mcp_call",
  "compaction_trigger", "program", "program_output",
] as const;

/** Hosted tools accepted with a known `type` only; their settings are not client text. */
const OPAQUE_TOOL_TYPES = [
  "computer", "computer_use_preview", "code_interpreter", "image_generation", "local_shell", "shell", "apply_patch", "namespace",
  "tool_search", "programmatic_tool_calling",
] as const;

/** `tool_choice: {type}` forcing a hosted tool ("mcp" is separate: it can name a server). */
const HOSTED_TOOL_CHOICES = [
  "file_search", "web_search_preview", "web_search_preview_2025_03_11", "computer", "computer_use_preview", "computer_use",
  "image_generation", "code_interpreter", "apply_patch", "shell", "programmatic_tool_calling",
] as const;

const INCLUDABLE = [
  "file_search_call.results", "web_search_call.results", "web_search_call.action.sources", "message.input_image.image_url",
  "computer_call_output.output.image_url", "code_interpreter_call.outputs", "reasoning.encrypted_content",
  "message.output_text.logprobs",
] as const;

const itemStatus = z.enum(["in_progress", "completed", "incomplete"]);

function build(policy: UnknownFieldPolicy) {
  const c = commonObjects(policy);
  const obj = c.obj;
  const breakpoint = c.promptCacheBreakpoint.nullish();

  // Content parts. `detail` is optional although the SDK types it as required on message
  // images: the API defaults it to "auto" and most clients omit it.
  const inputText = obj({ type: z.literal("input_text"), text: z.string(), prompt_cache_breakpoint: breakpoint });
  const inputImage = obj({
    type: z.literal("input_image"),
    detail: z.enum(["low", "high", "auto", "original"]).nullish(),
    file_id: z.string().nullish(),
    image_url: z.string().nullish(),
    prompt_cache_breakpoint: breakpoint,
  });
  const inputFile = obj({
    type: z.literal("input_file"),
    detail: z.enum(["low", "high", "auto"]).optional(),
    file_data: z.string().nullish(),
    file_id: z.string().nullish(),
    file_url: z.string().nullish(),
    filename: z.string().nullish(),
    prompt_cache_breakpoint: breakpoint,
  });
  // Assistant output replayed as input; annotations and logprobs are the model's, passed as given.
  const outputText = obj({
    type: z.literal("output_text"),
    text: z.string(),
    annotations: z.array(freeFormObject).optional(),
    logprobs: z.array(freeFormObject).optional(),
  });
  const refusal = obj({ type: z.literal("refusal"), refusal: z.string() });

  const inputPart = z.discriminatedUnion("type", [inputText, inputImage, inputFile]);
  const messagePart = z.discriminatedUnion("type", [inputText, inputImage, inputFile, outputText, refusal]);
  const toolOutput = z.union([z.string(), z.array(inputPart)]);

  /** Who made a tool call: the model directly, or a program it ran. */
  const caller = z.discriminatedUnion("type", [obj({ type: z.literal("direct") }), obj({ type: z.literal("program"), caller_id: z.string() })]).nullish();

  // A message may omit `type`, and an item reference may omit both `type` and `role`, so
  // those two share one slot of the item union and are told apart by `role`.
  const message = obj({
    type: z.literal("message").optional(),
    role: z.enum(["user", "assistant", "system", "developer"]),
    content: z.union([z.string(), z.array(messagePart)]),
    id: z.string().optional(),
    status: itemStatus.optional(),
    phase: z.enum(["commentary", "final_answer"]).nullish(),
  });
  // `role` is never present: it claims the "no role" slot of the union below.
  const itemReference = obj({ type: z.literal("item_reference").nullish(), id: z.string(), role: z.undefined().optional() });
  const messageOrReference = z.discriminatedUnion("role", [message, itemReference]);

  const callIds = { call_id: z.string(), caller };
  const item = z.discriminatedUnion("type", [
    messageOrReference,
    obj({
      type: z.literal("function_call"),
      ...callIds,
      name: z.string(),
      arguments: z.string(),
      id: z.string().optional(),
      namespace: z.string().optional(),
      status: itemStatus.optional(),
    }),
    obj({ type: z.literal("function_call_output"), ...callIds, output: toolOutput, id: z.string().nullish(), status: itemStatus.nullish() }),
    obj({ type: z.literal("custom_tool_call"), ...callIds, name: z.string(), input: z.string(), id: z.string().optional(), namespace: z.string().optional() }),
    obj({ type: z.literal("custom_tool_call_output"), ...callIds, output: toolOutput, id: z.string().optional() }),
    obj({
      type: z.literal("reasoning"),
      id: z.string(),
      summary: z.array(obj({ type: z.literal("summary_text"), text: z.string() })),
      content: z.array(obj({ type: z.literal("reasoning_text"), text: z.string() })).optional(),
      encrypted_content: z.string().nullish(),
      status: itemStatus.optional(),
    }),
    obj({ type: z.literal("compaction"), encrypted_content: z.string(), id: z.string().nullish() }),
    obj({
      type: z.literal("computer_call_output"),
      call_id: z.string(),
      output: obj({ type: z.literal("computer_screenshot"), file_id: z.string().optional(), image_url: z.string().optional() }),
      id: z.string().nullish(),
      acknowledged_safety_checks: z.array(obj({ id: z.string(), code: z.string().nullish(), message: z.string().nullish() })).nullish(),
      status: itemStatus.nullish(),
    }),
    obj({ type: z.literal("mcp_approval_response"), approval_request_id: z.string(), approve: z.boolean(), id: z.string().nullish(), reason: z.string().nullish() }),
    z.looseObject({ type: z.enum(OPAQUE_ITEM_TYPES) }),
  ]);

  const toolFlags = { defer_loading: z.boolean().optional(), allowed_callers: z.array(z.enum(["direct", "programmatic"])).nullish() };
  const searchContextSize = z.enum(["low", "medium", "high"]).optional();
  const nullableString = z.string().nullish();
  const location = obj({ type: z.literal("approximate").optional(), city: nullableString, country: nullableString, region: nullableString, timezone: nullableString });
  const mcpToolFilter = obj({ read_only: z.boolean().optional(), tool_names: z.array(z.string()).optional() });
  const tool = z.discriminatedUnion("type", [
    obj({
      type: z.literal("function"),
      name: functionName,
      parameters: freeFormObject.nullish(),
      strict: z.boolean().nullish(),
      description: z.string().nullish(),
      output_schema: freeFormObject.nullish(),
      ...toolFlags,
    }),
    obj({
      type: z.literal("custom"),
      name: functionName,
      description: z.string().optional(),
      // Flat here, unlike chat's `custom.format.grammar` object.
      format: z
        .discriminatedUnion("type", [
          obj({ type: z.literal("text") }),
          obj({ type: z.literal("grammar"), definition: z.string(), syntax: z.enum(["lark", "regex"]) }),
        ])
        .optional(),
      ...toolFlags,
    }),
    obj({
      type: z.enum(["web_search", "web_search_2025_08_26"]),
      filters: obj({ allowed_domains: z.array(z.string()).nullish() }).nullish(),
      search_context_size: searchContextSize,
      user_location: location.nullish(),
    }),
    obj({
      type: z.enum(["web_search_preview", "web_search_preview_2025_03_11"]),
      search_content_types: z.array(z.enum(["text", "image"])).optional(),
      search_context_size: searchContextSize,
      user_location: location.nullish(),
    }),
    obj({
      type: z.literal("file_search"),
      vector_store_ids: z.array(z.string()),
      // Comparison and compound filters nest arbitrarily; the provider validates them.
      filters: freeFormObject.nullish(),
      max_num_results: z.int().min(1).max(50).optional(),
      ranking_options: freeFormObject.optional(),
    }),
    // Remote MCP servers: modelled in full because a later rule may restrict `server_url`.
    obj({
      type: z.literal("mcp"),
      server_label: z.string(),
      server_url: z.string().optional(),
      connector_id: z.string().optional(),
      server_description: z.string().optional(),
      authorization: z.string().optional(),
      headers: z.record(z.string(), z.string()).nullish(),
      allowed_tools: z.union([z.array(z.string()), mcpToolFilter]).nullish(),
      require_approval: z.union([z.enum(["always", "never"]), obj({ always: mcpToolFilter.optional(), never: mcpToolFilter.optional() })]).nullish(),
      tunnel_id: z.string().optional(),
      ...toolFlags,
    }),
    z.looseObject({ type: z.enum(OPAQUE_TOOL_TYPES) }),
  ]);

  const toolChoice = z.union([
    z.enum(["none", "auto", "required"]),
    z.discriminatedUnion("type", [
      obj({ type: z.literal("function"), name: z.string() }),
      obj({ type: z.literal("custom"), name: z.string() }),
      obj({ type: z.literal("mcp"), server_label: z.string().optional(), name: z.string().nullish() }),
      obj({ type: z.literal("allowed_tools"), ...c.allowedToolsFields }),
      obj({ type: z.enum(HOSTED_TOOL_CHOICES) }),
    ]),
  ]);

  const textFormat = z.discriminatedUnion("type", [
    obj({ type: z.literal("text") }),
    obj({ type: z.literal("json_object") }),
    obj({ type: z.literal("json_schema"), ...c.jsonSchemaFields, schema: freeFormObject }),
  ]);

  const reasoning = obj({
    effort: reasoningEffort.nullish(),
    summary: z.enum(["auto", "concise", "detailed"]).nullish(),
    // Deprecated alias of `summary`.
    generate_summary: z.enum(["auto", "concise", "detailed"]).nullish(),
    context: z.enum(["auto", "current_turn", "all_turns"]).nullish(),
    mode: z.string().optional(),
  });

  return obj({
    model,
    input: z.union([z.string(), z.array(item)]).optional(),
    background: z.boolean().nullish(),
    context_management: z.array(obj({ type: z.string(), compact_threshold: z.number().nullish() })).nullish(),
    conversation: z.union([z.string(), obj({ id: z.string() })]).nullish(),
    include: z.array(z.enum(INCLUDABLE)).nullish(),
    instructions: z.string().nullish(),
    max_output_tokens: maxTokens.nullish(),
    max_tool_calls: z.int().min(0).nullish(),
    metadata: metadata.nullish(),
    moderation: c.moderation.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    previous_response_id: z.string().nullish(),
    prompt: obj({
      id: z.string(),
      version: z.string().nullish(),
      variables: z.record(z.string(), z.union([z.string(), inputPart])).nullish(),
    }).nullish(),
    prompt_cache_key: promptCacheKey.nullish(),
    prompt_cache_options: c.promptCacheOptions.optional(),
    prompt_cache_retention: promptCacheRetention.nullish(),
    reasoning: reasoning.nullish(),
    safety_identifier: safetyIdentifier.nullish(),
    service_tier: serviceTier.nullish(),
    store: z.boolean().nullish(),
    stream: z.boolean().nullish(),
    stream_options: obj({ include_obfuscation: z.boolean().optional() }).nullish(),
    temperature: temperature.nullish(),
    text: obj({ format: textFormat.optional(), verbosity: verbosity.nullish() }).optional(),
    tool_choice: toolChoice.optional(),
    tools: z.array(tool).optional(),
    top_logprobs: topLogprobs.nullish(),
    top_p: topP.nullish(),
    truncation: z.enum(["auto", "disabled"]).nullish(),
    user: user.optional(),
  });
}

/** The Responses API request under `policy`, built once per policy. */
export const responsesRequest = perPolicy(build);

export type ResponsesRequest = z.infer<ReturnType<typeof responsesRequest>>;
