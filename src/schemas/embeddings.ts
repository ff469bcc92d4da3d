/**
 * POST /v1/embeddings (API reference "Create embeddings", SDK `EmbeddingCreateParams`).
 * The reference: the input "cannot be an empty string, and any array must be 2048
 * dimensions or less". The 2048 cap is applied to the batch (how many inputs); one token
 * array may hold up to the model's 8192 input tokens, which the body-size limit bounds.
 */
import { z } from "zod";
import { commonObjects, model, perPolicy, tokenIds, user, type UnknownFieldPolicy } from "./common";

const MAX_BATCH = 2048;

export const embeddingInput = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1).max(MAX_BATCH),
  tokenIds,
  z.array(tokenIds).min(1).max(MAX_BATCH),
]);

function build(policy: UnknownFieldPolicy) {
  return commonObjects(policy).obj({
    model,
    input: embeddingInput,
    encoding_format: z.enum(["float", "base64"]).optional(),
    // "Only supported in text-embedding-3 and later models."
    dimensions: z.int().min(1).optional(),
    user: user.optional(),
  });
}

/** The embeddings request under `policy`, built once per policy. */
export const embeddingsRequest = perPolicy(build);

export type EmbeddingsRequest = z.infer<ReturnType<typeof embeddingsRequest>>;
