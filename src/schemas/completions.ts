/**
 * POST /v1/completions, the legacy text completions API (API reference "Completions",
 * SDK `CompletionCreateParams`). Token-id prompts are valid here; whether the gateway
 * allows them (they cannot be scanned as text) is a later policy decision, not a schema one.
 */
import { z } from "zod";
import {
  choiceCount,
  commonObjects,
  logitBias,
  maxTokens,
  model,
  penalty,
  perPolicy,
  seed,
  stop,
  temperature,
  tokenIds,
  topP,
  user,
  type UnknownFieldPolicy,
} from "./common";

/** "The prompt(s) to generate completions for, encoded as a string, array of strings, array of tokens, or array of token arrays." */
export const completionPrompt = z.union([z.string(), z.array(z.string()), tokenIds, z.array(tokenIds)]);

function build(policy: UnknownFieldPolicy) {
  const c = commonObjects(policy);
  return c.obj({
    model,
    // Required, but the OpenAPI spec marks it nullable (null means "start of a new document").
    prompt: completionPrompt.nullable(),
    // OpenAPI: `best_of` 0..20 (it must exceed `n`; the API checks that pairing, not us).
    best_of: z.int().min(0).max(20).nullish(),
    echo: z.boolean().nullish(),
    frequency_penalty: penalty.nullish(),
    logit_bias: logitBias.nullish(),
    // "The maximum value for `logprobs` is 5."
    logprobs: z.int().min(0).max(5).nullish(),
    max_tokens: maxTokens.nullish(),
    n: choiceCount.nullish(),
    presence_penalty: penalty.nullish(),
    seed: seed.nullish(),
    stop: stop.nullish(),
    stream: z.boolean().nullish(),
    stream_options: c.streamOptions.nullish(),
    suffix: z.string().nullish(),
    temperature: temperature.nullish(),
    top_p: topP.nullish(),
    user: user.optional(),
  });
}

/** The legacy completions request under `policy`, built once per policy. */
export const completionsRequest = perPolicy(build);

export type CompletionsRequest = z.infer<ReturnType<typeof completionsRequest>>;
