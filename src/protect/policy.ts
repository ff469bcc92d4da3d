/**
 * Response protection's section of a plan in the rules document (docs/firewall.md, "Output
 * side"). Every action that can block can also run as `shadow`, and `mode: shadow` turns the
 * whole section into recorded would-be decisions.
 */
import { z } from "zod";
import { isSecretType } from "../firewall/policy";
import type { OutputAction } from "./types";

export const OutputActionSchema = z.enum(["redact", "block", "flag", "shadow", "allow"]);

export const OutputPolicySchema = z
  .strictObject({
    /** `off` skips every output check (and placeholder restoring): responses pass unchanged. */
    mode: z.enum(["enforce", "shadow", "off"]).default("enforce"),
    entities: z
      .strictObject({
        /**
         * PII in a response is often the answer itself (a support address, a customer's own
         * data restored from placeholders): flagged by default, redacted by choice.
         */
        pii: OutputActionSchema.default("flag"),
        /** A credential in a response is never the answer: redacted by default. */
        secrets: OutputActionSchema.default("redact"),
        /** Per entity type, overriding the group. */
        types: z.record(z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/), OutputActionSchema).default({}),
      })
      .prefault({}),
    /**
     * Put the request's own placeholders (`[EMAIL_1]`, made by the input firewall) back to
     * their original values in this request's response, after the output checks ran.
     */
    restore: z.boolean().default(true),
    /**
     * The most characters of a stream held back at once while they could still become an
     * entity, a link or a placeholder; enough for keys, JWTs and PEM headers. More held text
     * is released as it is (and scanned as it is).
     */
    max_hold_chars: z.int().min(16).max(8192).default(512),
    /** Markdown / HTML images and links that carry data to hosts outside the allowlist. */
    links: z
      .strictObject({
        /** `redact` neutralises the link (the image or URL is removed, link text kept). */
        action: OutputActionSchema.default("redact"),
        /** Hosts trusted to receive links and images: names or `*.suffix`; `*` is any public host. */
        allowed_hosts: z.array(z.string().min(1).max(253)).default([]),
      })
      .prefault({}),
    /**
     * A per-client canary token put into the system prompt (needs the AIGIS_CANARY_SECRET
     * Worker secret); seeing it in a response means the system prompt leaked.
     */
    canary: z
      .strictObject({
        enabled: z.boolean().default(false),
        action: OutputActionSchema.default("block"),
      })
      .prefault({}),
    /** A long verbatim quote of the request's system prompt in the response. */
    overlap: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Consecutive words of the system prompt repeated verbatim before it counts. */
        min_words: z.int().min(8).max(1000).default(20),
        action: OutputActionSchema.default("flag"),
      })
      .prefault({}),
  })
  .prefault({});
export type OutputPolicy = z.infer<typeof OutputPolicySchema>;

/** The rule's action for an entity type found in a response. */
export function outputEntityAction(policy: OutputPolicy, type: string): OutputAction {
  const own = policy.entities.types[type];
  if (own !== undefined) return own;
  return isSecretType(type) ? policy.entities.secrets : policy.entities.pii;
}

/** In shadow mode every action that would change something is only recorded. */
export function effective(policy: OutputPolicy, action: OutputAction): OutputAction {
  if (action === "allow") return action;
  return policy.mode === "shadow" ? "shadow" : action;
}
