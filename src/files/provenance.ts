/**
 * Provenance of training data (issue 10, point 4): which file, with which content hash, whom
 * it came from, what the intake decided, and which job trained on it, in the audit trail
 * (kind `data`, docs/audit.md), so a fine-tuned model can be traced back to its data.
 * Names, ids and hashes only: no file content ever enters a record.
 */
import type { Context } from "hono";
import type { AuditValue } from "../audit/chain";
import { recordAudit } from "../audit/client";
import type { AppEnv } from "../env";

/** Client-chosen text in a record is clipped: one odd value must not make a record large. */
export const clipText = (s: string, n = 100): string => (s.length > n ? s.slice(0, n) : s);

/**
 * Queues one `data` record; sent after the response (src/audit/client.ts), never delaying it.
 * `about` is the client the record is about when that is not the caller (an admin's decision
 * on a client's held file is recorded under that client).
 */
export function recordData(c: Context<AppEnv>, action: string, detail: Record<string, AuditValue>, about: { clientId: string; tenant: string } = c.get("identity")): void {
  const { clientId, tenant } = about;
  recordAudit(c.env, c.executionCtx, [{ at: Date.now(), kind: "data", client: clientId, tenant, rule: "", rulesVersion: c.get("log").rulesVersion, action, promptMac: null, detail }]);
}
