import { z } from "zod";

/**
 * The stored record behind an API key (KV `apikey:<sha256 hex>`), and the identity every
 * later stage sees. Only the hash of a key is ever stored; the key itself is shown once.
 */
export const KeyRecordSchema = z.object({
  client_id: z.string().min(1).max(96),
  tenant: z.string().min(1).max(96),
  name: z.string().max(200).default(""),
  plan: z.string().min(1).max(64),
  scopes: z.array(z.string().max(64)).default([]),
  /** Narrows the plan's models for this key only. */
  models: z.array(z.string().min(1).max(128)).optional(),
  created: z.string().optional(),
  expires: z.string().optional(),
  revoked: z.boolean().optional(),
  revoked_at: z.string().optional(),
});
export type KeyRecord = z.infer<typeof KeyRecordSchema>;

export interface Identity {
  clientId: string;
  tenant: string;
  plan: string;
  scopes: readonly string[];
  /** SHA-256 hex of the API key, so admission can check strongly consistent revocation. */
  keyHash?: string;
  /** The credential's own model list, when it narrows the plan's. */
  models?: readonly string[];
  /** How the caller proved who it is. */
  method: "api_key" | "jwt";
}
