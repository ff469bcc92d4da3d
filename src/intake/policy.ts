/**
 * What the training-data intake scan checks and what each finding does (docs/training-data.md).
 * One zod schema is the source of truth for the type, the defaults and the JSON Schema, so
 * this section can later sit in the rules document as it is.
 *
 * Answer rules take phrase lists, not regular expressions: the scan runs them over every
 * answer of files of tens of megabytes, and JavaScript's backtracking engine gives no
 * bound on what an operator's pattern costs there (OWASP, "Regular expression Denial of
 * Service"). A phrase matches on word boundaries, case- and width-insensitively.
 */
import { z } from "zod";
import { TEXT_ROLES, type TextRole } from "../firewall/extract";

export const INTAKE_RULES = [
  "intake.caps",
  "intake.schema",
  "intake.pii",
  "intake.secret",
  "intake.injection",
  "intake.smuggling",
  "intake.duplicates",
  "intake.backdoor",
  "intake.policy_contradiction",
  "intake.drift",
] as const;
export type IntakeRule = (typeof INTAKE_RULES)[number];

/** What a finding of a rule does to the file. `redact` exists for entity rules only. */
export const IntakeActionSchema = z.enum(["reject", "quarantine", "redact", "flag", "off"]);
export type IntakeAction = z.infer<typeof IntakeActionSchema>;
const FileAction = z.enum(["reject", "quarantine", "flag", "off"]);

export type IntakeVerdict = "accept" | "flag" | "redact" | "quarantine" | "reject";
/** Most severe last; the verdict is the most severe action among the findings. */
export const VERDICT_ORDER: readonly IntakeVerdict[] = ["accept", "flag", "redact", "quarantine", "reject"];

const Share = z.number().min(0).max(1);
const Thresholds = z.strictObject({ flag_at: Share.optional(), block_at: Share.optional() }).prefault({});
const Phrase = z.string().trim().min(1).max(200);
const PhraseList = z.array(Phrase).min(1).max(200);

const AnswerRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
    /** The rule applies to answers of user turns containing one of these; absent: to every answer. */
    when_prompt: PhraseList.optional(),
    /** A trained answer in scope must contain none of these. */
    forbid: PhraseList.optional(),
    /** A trained answer in scope must contain at least one of these. */
    require: PhraseList.optional(),
  })
  .refine((r) => r.forbid !== undefined || r.require !== undefined, { message: "an answer rule needs forbid or require" });
export type AnswerRule = z.infer<typeof AnswerRuleSchema>;

const MB = 1024 * 1024;

export const IntakePolicySchema = z
  .strictObject({
    /** `shadow`: findings are recorded with the action they would take; the verdict is `accept`. */
    mode: z.enum(["enforce", "shadow"]).default("enforce"),
    actions: z
      .strictObject({
        // Caps protect the scan itself, so they cannot be turned off, only softened.
        "intake.caps": z.enum(["reject", "quarantine", "flag"]).default("reject"),
        "intake.schema": FileAction.default("reject"),
        "intake.pii": IntakeActionSchema.default("redact"),
        "intake.secret": IntakeActionSchema.default("reject"),
        "intake.injection": FileAction.default("quarantine"),
        "intake.smuggling": FileAction.default("quarantine"),
        "intake.duplicates": FileAction.default("quarantine"),
        "intake.backdoor": FileAction.default("quarantine"),
        "intake.policy_contradiction": FileAction.default("reject"),
        "intake.drift": FileAction.default("flag"),
      })
      .prefault({}),
    caps: z
      .strictObject({
        /** The file; past it nothing else is read. */
        max_file_bytes: z.int().min(1).max(512 * MB).default(50 * MB),
        max_lines: z.int().min(1).max(10_000_000).default(500_000),
        /** One example; 2 MiB leaves room for an image as a data URL. */
        max_line_bytes: z.int().min(64).max(64 * MB).default(2 * MB),
        max_messages: z.int().min(1).max(10_000).default(256),
      })
      .prefault({}),
    detectors: z
      .strictObject({
        /**
         * Whose text the injection and jailbreak classifier reads. Not `assistant`: answers
         * are instructions by nature ("first, ignore the pending charge..."), and the
         * classifier, trained on prompts, reads them as such. PII, secrets and smuggling
         * are looked for in every role.
         */
        classify_roles: z.array(z.enum(TEXT_ROLES as [TextRole, ...TextRole[]])).default(["system", "developer", "user", "tool", "definition"]),
        /**
         * Score thresholds; absent, the classifier's calibrated ones (docs/model-card.md). A
         * text at or above `block_at` takes `intake.injection`'s action; one in
         * [`flag_at`, `block_at`) takes `uncertain`.
         */
        injection: Thresholds,
        jailbreak: Thresholds,
        uncertain: z.enum(["quarantine", "flag", "off"]).default("flag"),
        decode_payloads: z.boolean().default(true),
        /**
         * The classifier is the scan's most expensive part (every example classified: about
         * 14 MB of file per CPU-second; none: about 23). Past the first `classify_all_bytes`
         * of the file, it reads the user and tool texts of a keyed pseudo-random
         * `classify_share` of the examples; system prompts and tool definitions, cached, are
         * read in every example. Poisoning works by volume: of 50 planted examples, a 0.1
         * sample misses all with odds of 0.5%. 1 reads everything (docs/training-data.md, "Cost").
         */
        classify_share: Share.default(0.1),
        classify_all_bytes: z.int().min(0).default(MB),
        /** A longer text is classified by its first and last halves of this many characters (PII and secrets read all of it). */
        max_classify_chars: z.int().min(256).max(1_000_000).default(8192),
        /** Per entity type (`EMAIL_ADDRESS`, `PERSON`, `AWS_ACCESS_KEY_ID`...), overriding intake.pii / intake.secret. */
        entity_types: z.record(z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/), IntakeActionSchema).default({}),
      })
      .prefault({}),
    duplicates: z
      .strictObject({
        /** An example's group: its copies and the examples whose 64-bit SimHashes differ from its in at most this many bits. */
        max_hamming: z.int().min(0).max(16).default(3),
        /** A group is reported from this many examples... */
        min_cluster: z.int().min(2).default(5),
        /** ...when it is more than this share of the file. */
        max_share: Share.default(0.02),
      })
      .prefault({}),
    backdoor: z
      .strictObject({
        /** Examples carrying the trigger with the same answer. */
        min_support: z.int().min(2).default(5),
        /** Share of the trigger's examples that have that answer. */
        min_confidence: Share.default(0.9),
        /** A word in more examples than this share is not a rare trigger. */
        max_share: Share.default(0.1),
        /**
         * A group whose prompts share another distinctive word in at least this share is a
         * topic with a canned answer, not a trigger.
         */
        max_topicality: Share.default(0.5),
        /** Family-wise false-alarm rate of the binomial test, split over every word tested (Bonferroni). */
        alpha: z.number().gt(0).max(0.5).default(0.001),
      })
      .prefault({}),
    answer_rules: z.array(AnswerRuleSchema).max(100).default([]),
    drift: z
      .strictObject({
        /** Examples the history must hold before drift is judged... */
        min_history: z.int().min(1).default(200),
        /** ...and the file. */
        min_examples: z.int().min(1).default(50),
        /** Jensen-Shannon divergence (base 2, 0 to 1) above which each distribution has drifted. */
        max_answers: Share.default(0.2),
        max_lengths: Share.default(0.15),
        max_words: Share.default(0.15),
        /** Weight of the history in the summary returned, in examples: older uploads fade beyond it. */
        history_cap: z.int().min(1).default(20_000),
      })
      .prefault({}),
  })
  .prefault({});

export type IntakePolicy = z.infer<typeof IntakePolicySchema>;
/** What a caller may write: every field optional. */
export type IntakePolicyInput = z.input<typeof IntakePolicySchema>;

/** The policy with every default. */
export const DEFAULT_INTAKE_POLICY: IntakePolicy = IntakePolicySchema.parse({});
