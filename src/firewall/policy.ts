/**
 * The prompt firewall's section of a plan in the rules document (docs/firewall.md). Every
 * action that can block can also run as `shadow`: the decision is recorded, nothing changes.
 * Score thresholds are optional: absent, the detector's own calibrated thresholds apply,
 * so retraining the model does not silently shift an operator's rules.
 */
import { z } from "zod";
import { TEXT_ROLES, type TextRole } from "./extract";

const Threshold = z.number().min(0).max(1);

const DetectionRuleSchema = z
  .strictObject({
    /** Score at or above `block_at`. */
    high: z.enum(["block", "flag", "shadow", "off"]).default("block"),
    /** Score in [flag_at, block_at): the uncertain band, escalated to tier 2 when configured. */
    uncertain: z.enum(["flag", "shadow", "off"]).default("flag"),
    flag_at: Threshold.optional(),
    block_at: Threshold.optional(),
  })
  .prefault({});
export type DetectionRule = z.infer<typeof DetectionRuleSchema>;

export const EntityActionSchema = z.enum(["redact", "block", "flag", "shadow", "allow"]);
export type EntityAction = z.infer<typeof EntityActionSchema>;

export const FirewallPolicySchema = z
  .strictObject({
    /** `shadow` turns every action of this section into a recorded would-be decision. */
    mode: z.enum(["enforce", "shadow"]).default("enforce"),
    /** Whose text the injection and jailbreak classifier reads (PII and smuggling checks read all). */
    roles: z.array(z.enum(TEXT_ROLES as [TextRole, ...TextRole[]])).default([...TEXT_ROLES]),
    injection: DetectionRuleSchema,
    jailbreak: DetectionRuleSchema,
    /** Invisible and smuggling characters: `strip` removes them from what is forwarded and flags. */
    smuggling: z.enum(["strip", "block", "flag", "shadow", "off"]).default("strip"),
    /**
     * Also classify each decoded base64, hex, percent or HTML payload on its own (the
     * classifier always reads them appended to the text; alone, a short encoded attack in a
     * long document is not diluted).
     */
    decode_payloads: z.boolean().default(true),
    entities: z
      .strictObject({
        pii: EntityActionSchema.default("redact"),
        secrets: EntityActionSchema.default("redact"),
        /** Per entity type (`EMAIL_ADDRESS`, `PERSON`, `AWS_ACCESS_KEY_ID`, ...), overriding the group. */
        types: z.record(z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/), EntityActionSchema).default({}),
      })
      .prefault({}),
    images: z
      .strictObject({
        action: z.enum(["block", "shadow", "off"]).default("block"),
        /** Hosts a remote image may come from: names or `*.suffix`; `*` is any public host. */
        allowed_hosts: z.array(z.string().min(1).max(253)).default(["*"]),
        max_data_url_bytes: z.int().min(0).max(50_000_000).default(10_000_000),
      })
      .prefault({}),
    /** Second-stage classifier for the uncertain band (only when AIGIS_CONFIG configures one). */
    tier2: z
      .strictObject({
        enabled: z.boolean().default(true),
        /**
         * On timeout or error: `open` keeps the tier-1 verdict, `closed` treats the text as an
         * attack. Absent: the deployment's `firewall.tier2.fail_mode` (AIGIS_CONFIG).
         */
        fail_mode: z.enum(["open", "closed"]).optional(),
      })
      .prefault({}),
  })
  .prefault({});
export type FirewallPolicy = z.infer<typeof FirewallPolicySchema>;

/**
 * Secret types: credentials rather than facts about a person. The development set's
 * grouping (`*_KEY`, `*_TOKEN`, `AWS_*`, JWT, PRIVATE_KEY, PASSWORD) plus the other
 * credential shapes the secret detectors report.
 */
export function isSecretType(type: string): boolean {
  return (
    type.endsWith("_KEY") ||
    type.endsWith("_TOKEN") ||
    type.startsWith("AWS_") ||
    type === "JWT" ||
    type === "PRIVATE_KEY" ||
    type === "PASSWORD" ||
    type.includes("SECRET") ||
    type.endsWith("_WEBHOOK_URL") ||
    type.endsWith("_SID") ||
    type.endsWith("_CONNECTION_STRING")
  );
}

export function entityAction(policy: FirewallPolicy, type: string): EntityAction {
  const own = policy.entities.types[type];
  if (own !== undefined) return own;
  return isSecretType(type) ? policy.entities.secrets : policy.entities.pii;
}
