/**
 * POST /v1/fine_tuning/jobs (API reference "Create fine-tuning job", SDK `JobCreateParams`).
 * The file ids must have OpenAI's shape here; whether the caller owns them is checked by the
 * handler (src/files/jobs.ts). Hyperparameter ranges beyond "positive" are not stated in the
 * reference, so the provider enforces its own upper bounds.
 *
 * `integrations` (Weights & Biases) is not accepted, whatever the unknown-field policy: it
 * sends the job's metrics to an account the client names, outside the gateway's view.
 */
import { z } from "zod";
import { OBJECT_IDS } from "../files/objects";
import { commonObjects, freeFormObject, metadata, model, perPolicy, seed, type UnknownFieldPolicy } from "./common";

const fileId = z.string().regex(OBJECT_IDS.file.pattern);
const auto = z.literal("auto");
const count = z.union([auto, z.int().min(1)]);
const positive = z.union([auto, z.number().positive()]);

function build(policy: UnknownFieldPolicy) {
  const obj = commonObjects(policy).obj;
  const supervisedHyper = obj({ batch_size: count.optional(), learning_rate_multiplier: positive.optional(), n_epochs: count.optional() });
  const dpoHyper = obj({ batch_size: count.optional(), beta: positive.optional(), learning_rate_multiplier: positive.optional(), n_epochs: count.optional() });
  const reinforcementHyper = obj({
    batch_size: count.optional(),
    compute_multiplier: positive.optional(),
    eval_interval: count.optional(),
    eval_samples: count.optional(),
    learning_rate_multiplier: positive.optional(),
    n_epochs: count.optional(),
    reasoning_effort: z.enum(["default", "low", "medium", "high"]).optional(),
  });
  const method = obj({
    type: z.enum(["supervised", "dpo", "reinforcement"]),
    supervised: obj({ hyperparameters: supervisedHyper.optional() }).optional(),
    dpo: obj({ hyperparameters: dpoHyper.optional() }).optional(),
    // Graders are passed as given: the provider validates them.
    reinforcement: obj({ grader: freeFormObject, hyperparameters: reinforcementHyper.optional() }).optional(),
  });
  return obj({
    model,
    training_file: fileId,
    validation_file: fileId.nullish(),
    /** "A string of up to 64 characters that will be added to your fine-tuned model name." */
    suffix: z.string().min(1).max(64).nullish(),
    /** Deprecated in favour of `method`, still accepted by the API. */
    hyperparameters: supervisedHyper.optional(),
    method: method.optional(),
    seed: seed.nullish(),
    metadata: metadata.nullish(),
    integrations: z.null().optional(),
  });
}

/** The fine-tuning job request under `policy`, built once per policy. */
export const fineTuningJobRequest = perPolicy(build);

export type FineTuningJobRequest = z.infer<ReturnType<typeof fineTuningJobRequest>>;
