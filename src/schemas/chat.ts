/**
 * POST /v1/chat/completions, after the API reference's "Create chat completion" and the SDK's
 * `ChatCompletionCreateParams`. Messages are a discriminated union on `role` and every part,
 * tool and tool call on `type`, so an issue's path names the field at fault
 * (`messages[2].content`, `tools[0].function.name`) rather than the whole message.
 */
import { z } from "zod";
import {
  choiceCount,
  commonObjects,
  freeFormObject,
  functionName,
  logitBias,
  maxTokens,
  metadata,
  model,
  penalty,
  perPolicy,
  promptCacheKey,
  promptCacheRetention,
  reasoningEffort,
  safetyIdentifier,
  seed,
  serviceTier,
  stop,
  temperature,
  topLogprobs,
  topP,
  user,
  verbosity,
  type UnknownFieldPolicy,
} from "./common";

function build(policy: UnknownFieldPolicy) {
  const c = commonObjects(policy);
  const obj = c.obj;
  const breakpoint = c.promptCacheBreakpoint.optional();

  // Content parts. OpenAPI gives every content-part array `minItems: 1`.
  const textPart = obj({ type: z.literal("text"), text: z.string(), prompt_cache_breakpoint: breakpoint });
  const imagePart = obj({
    type: z.literal("image_url"),
    image_url: obj({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
    prompt_cache_breakpoint: breakpoint,
  });
  const audioPart = obj({
    type: z.literal("input_audio"),
    input_audio: obj({ data: z.string(), format: z.enum(["wav", "mp3"]) }),
    prompt_cache_breakpoint: breakpoint,
  });
  const filePart = obj({
    type: z.literal("file"),
    file: obj({ file_id: z.string().optional(), file_data: z.string().optional(), filename: z.string().optional() }),
    prompt_cache_breakpoint: breakpoint,
  });
  const refusalPart = obj({ type: z.literal("refusal"), refusal: z.string() });

  const textContent = z.union([z.string(), z.array(textPart).min(1)]);
  const userContent = z.union([
    z.string(),
    z.array(z.discriminatedUnion("type", [textPart, imagePart, audioPart, filePart])).min(1),
  ]);
  const assistantContent = z.union([z.string(), z.array(z.discriminatedUnion("type", [textPart, refusalPart])).min(1)]);

  const toolCall = z.discriminatedUnion("type", [
    obj({ id: z.string(), type: z.literal("function"), function: obj({ name: z.string(), arguments: z.string() }) }),
    obj({ id: z.string(), type: z.literal("custom"), custom: obj({ name: z.string(), input: z.string() }) }),
  ]);

  const message = z.discriminatedUnion("role", [
    obj({ role: z.literal("developer"), content: textContent, name: z.string().optional() }),
    obj({ role: z.literal("system"), content: textContent, name: z.string().optional() }),
    obj({ role: z.literal("user"), content: userContent, name: z.string().optional() }),
    obj({
      role: z.literal("assistant"),
      // Optional: an assistant turn that only calls tools has no content.
      content: assistantContent.nullish(),
      refusal: z.string().nullish(),
      name: z.string().optional(),
      audio: obj({ id: z.string() }).nullish(),
      tool_calls: z.array(toolCall).optional(),
      function_call: obj({ name: z.string(), arguments: z.string() }).nullish(),
    }),
    obj({ role: z.literal("tool"), content: textContent, tool_call_id: z.string() }),
    // Deprecated, replaced by `tool`; still accepted by the API.
    obj({ role: z.literal("function"), content: z.string().nullable(), name: z.string() }),
  ]);

  // Custom tools take free text constrained by an optional grammar (Lark or regex).
  const customFormat = z.discriminatedUnion("type", [
    obj({ type: z.literal("text") }),
    obj({ type: z.literal("grammar"), grammar: obj({ definition: z.string(), syntax: z.enum(["lark", "regex"]) }) }),
  ]);
  const tool = z.discriminatedUnion("type", [
    obj({ type: z.literal("function"), function: c.functionDefinition }),
    obj({
      type: z.literal("custom"),
      custom: obj({ name: functionName, description: z.string().optional(), format: customFormat.optional() }),
    }),
  ]);
  const toolChoice = z.union([
    z.enum(["none", "auto", "required"]),
    z.discriminatedUnion("type", [
      obj({ type: z.literal("function"), function: obj({ name: z.string() }) }),
      obj({ type: z.literal("custom"), custom: obj({ name: z.string() }) }),
      obj({ type: z.literal("allowed_tools"), allowed_tools: obj(c.allowedToolsFields) }),
    ]),
  ]);

  // Deprecated `functions[]`: a function definition without `strict`.
  const legacyFunction = obj({ name: functionName, description: z.string().optional(), parameters: freeFormObject.optional() });

  const responseFormat = z.discriminatedUnion("type", [
    obj({ type: z.literal("text") }),
    obj({ type: z.literal("json_object") }),
    obj({ type: z.literal("json_schema"), json_schema: obj(c.jsonSchemaFields) }),
  ]);

  const audio = obj({
    format: z.enum(["wav", "aac", "mp3", "flac", "opus", "pcm16"]),
    // A built-in voice name (the list grows) or a custom voice by id.
    voice: z.union([z.string(), obj({ id: z.string() })]),
  });

  const webSearchOptions = obj({
    search_context_size: z.enum(["low", "medium", "high"]).optional(),
    user_location: obj({
      type: z.literal("approximate"),
      approximate: obj({
        city: z.string().optional(),
        country: z.string().optional(),
        region: z.string().optional(),
        timezone: z.string().optional(),
      }),
    }).nullish(),
  });

  return obj({
    model,
    messages: z.array(message).min(1),
    audio: audio.nullish(),
    frequency_penalty: penalty.nullish(),
    function_call: z.union([z.enum(["none", "auto"]), obj({ name: z.string() })]).optional(),
    functions: z.array(legacyFunction).optional(),
    logit_bias: logitBias.nullish(),
    logprobs: z.boolean().nullish(),
    max_completion_tokens: maxTokens.nullish(),
    max_tokens: maxTokens.nullish(),
    metadata: metadata.nullish(),
    modalities: z.array(z.enum(["text", "audio"])).nullish(),
    moderation: c.moderation.nullish(),
    n: choiceCount.nullish(),
    parallel_tool_calls: z.boolean().optional(),
    prediction: obj({ type: z.literal("content"), content: textContent }).nullish(),
    presence_penalty: penalty.nullish(),
    prompt_cache_key: promptCacheKey.nullish(),
    prompt_cache_options: c.promptCacheOptions.optional(),
    prompt_cache_retention: promptCacheRetention.nullish(),
    reasoning_effort: reasoningEffort.nullish(),
    response_format: responseFormat.optional(),
    safety_identifier: safetyIdentifier.nullish(),
    seed: seed.nullish(),
    service_tier: serviceTier.nullish(),
    stop: stop.nullish(),
    store: z.boolean().nullish(),
    stream: z.boolean().nullish(),
    stream_options: c.streamOptions.nullish(),
    temperature: temperature.nullish(),
    tool_choice: toolChoice.optional(),
    tools: z.array(tool).optional(),
    top_logprobs: topLogprobs.nullish(),
    top_p: topP.nullish(),
    user: user.optional(),
    verbosity: verbosity.nullish(),
    web_search_options: webSearchOptions.optional(),
  });
}

/** The chat completions request under `policy`, built once per policy. */
export const chatRequest = perPolicy(build);

export type ChatRequest = z.infer<ReturnType<typeof chatRequest>>;
