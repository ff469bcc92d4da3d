/**
 * Pieces shared by the four request schemas. Field shapes follow the OpenAI API reference
 * and the `openai` SDK's request types (the version pinned in package.json), which carry the
 * OpenAPI spec's `nullable` markers. A field accepts null where the spec says it may, because
 * clients such as LangChain send explicit nulls and OpenAI accepts them; the few places that
 * are more lenient than the SDK types say why.
 *
 * Nothing here has a `.default()`: the forward stage re-serialises the parsed body, so a
 * default would add a field the client never sent.
 */
import { z } from "zod";
import { UnknownFieldPolicySchema } from "../rules/schema";

/** One source of truth: the rules document's enum (reject, strip, pass). */
export type UnknownFieldPolicy = z.infer<typeof UnknownFieldPolicySchema>;
export const UNKNOWN_FIELD_POLICIES: readonly UnknownFieldPolicy[] = UnknownFieldPolicySchema.options;

/** Builds an object schema whose unknown keys are treated as the policy says. */
export type ObjectBuilder = <S extends z.core.$ZodShape>(shape: S) => z.ZodObject<S, z.core.$ZodObjectConfig>;

/**
 * The policy applies to every modelled object, not just the top level: an unknown key in
 * `messages[0]` is as much an unreviewed field as one next to `model`.
 */
export function objectBuilder(policy: UnknownFieldPolicy): ObjectBuilder {
  switch (policy) {
    case "reject":
      return (shape) => z.strictObject(shape);
    case "strip":
      return (shape) => z.object(shape);
    case "pass":
      return (shape) => z.looseObject(shape);
  }
}

/** Memoises a per-policy factory at module scope, so each schema is built once per isolate. */
export function perPolicy<T>(build: (policy: UnknownFieldPolicy) => T): (policy: UnknownFieldPolicy) => T {
  const cache = new Map<UnknownFieldPolicy, T>();
  return (policy) => {
    let built = cache.get(policy);
    if (built === undefined) {
      built = build(policy);
      cache.set(policy, built);
    }
    return built;
  };
}

// Scalars. Only ranges the reference states are enforced; free text has no length cap
// because the body-size limit already bounds it and a cap would reject real prompts.

export const model = z.string().min(1).max(256);
/** "What sampling temperature to use, between 0 and 2." */
export const temperature = z.number().min(0).max(2);
export const topP = z.number().min(0).max(1);
/** frequency_penalty and presence_penalty: "Number between -2.0 and 2.0." */
export const penalty = z.number().min(-2).max(2);
/** Chat and legacy completions: the OpenAPI spec bounds `n` to 1..128. */
export const choiceCount = z.int().min(1).max(128);
export const maxTokens = z.int().min(1);
/** The reference types `seed` as int64; above 2^53 JSON.parse would silently change it, so such a value is refused. */
export const seed = z.int();
/** "An integer between 0 and 20" (chat and responses `top_logprobs`). */
export const topLogprobs = z.int().min(0).max(20);
/** Deprecated end-user id; OpenAI documents no length limit for it. */
export const user = z.string();
/** "A stable identifier ... with a maximum length of 64 characters." */
export const safetyIdentifier = z.string().max(64);
export const promptCacheKey = z.string();
export const promptCacheRetention = z.enum(["in_memory", "24h"]);
export const serviceTier = z.enum(["auto", "default", "flex", "scale", "priority"]);
/** "none" arrived with gpt-5.1, "xhigh" and "max" later; not every model accepts every value. */
export const reasoningEffort = z.enum(["none", "minimal", "low", "medium", "high", "xhigh", "max"]);
export const verbosity = z.enum(["low", "medium", "high"]);
/** Function and JSON-schema names: "a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64." */
export const functionName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** A JSON object the gateway does not interpret (JSON Schema, filters): kept exactly as given. */
export const freeFormObject = z.record(z.string(), z.unknown());

/**
 * "Set of 16 key-value pairs ... Keys are strings with a maximum length of 64 characters.
 * Values are strings with a maximum length of 512 characters."
 */
export const metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, { message: "metadata has at most 16 pairs" });

/** Token id (as a decimal string, the JSON object key) to a bias "from -100 to 100". */
export const logitBias = z.record(z.string().regex(/^\d+$/), z.number().min(-100).max(100));

/** "Up to 4 sequences where the API will stop generating further tokens." */
export const stop = z.union([z.string(), z.array(z.string()).max(4)]);

/** Token ids for legacy completions and embeddings: non-negative integers. */
export const tokenIds = z.array(z.int().min(0)).min(1);

/** Object-valued pieces used by more than one route, built once per policy. */
export const commonObjects = perPolicy((policy) => {
  const obj = objectBuilder(policy);

  /** Chat and legacy completions; the Responses API has its own (obfuscation only). */
  const streamOptions = obj({
    include_usage: z.boolean().optional(),
    include_obfuscation: z.boolean().optional(),
  });

  /** Shared by chat `response_format.json_schema` and responses `text.format` (flattened there). */
  const jsonSchemaFields = {
    name: functionName,
    description: z.string().optional(),
    schema: freeFormObject.optional(),
    strict: z.boolean().nullish(),
  };

  /** Function definition: `tools[].function` in chat, `functions[]` (deprecated) without `strict`. */
  const functionDefinition = obj({
    name: functionName,
    description: z.string().optional(),
    parameters: freeFormObject.optional(),
    strict: z.boolean().nullish(),
  });

  /** Marks a content part as an explicit prompt-cache breakpoint. */
  const promptCacheBreakpoint = obj({ mode: z.literal("explicit") });

  const promptCacheOptions = obj({
    mode: z.enum(["implicit", "explicit"]).optional(),
    ttl: z.literal("30m").optional(),
  });

  const moderationMode = obj({ mode: z.enum(["score", "block"]) });
  const moderation = obj({
    model: z.string(),
    policy: obj({
      input: moderationMode.nullish(),
      output: moderationMode.nullish(),
    }).nullish(),
  });

  /** `tool_choice: {type: "allowed_tools"}`: the listed tools are tool references, passed as given. */
  const allowedToolsFields = {
    mode: z.enum(["auto", "required"]),
    tools: z.array(freeFormObject),
  };

  return {
    obj,
    streamOptions,
    jsonSchemaFields,
    functionDefinition,
    promptCacheBreakpoint,
    promptCacheOptions,
    moderation,
    allowedToolsFields,
  };
});
