/**
 * `POST /admin/v1/rules/signal` `{ "seq": N, "text": "..." }`: hands a rules document and its
 * push sequence number to the rules signal object (src/rules/signal.ts), which every isolate
 * asks on its next rules refresh. `npm run rules -- push|rollback --gateway URL` calls this
 * after writing KV. The text is validated as the Worker validates KV (an invalid one is
 * refused with 400 and never stored). Answers 200 `{ stored, seq, version, hash }`; `stored`
 * is false when the object already holds this seq or a newer one (`seq` is then the newer).
 * A stored push is recorded in the audit trail (`rules/pushed`, with the admin client).
 */
import type { Context } from "hono";
import { z } from "zod";
import { recordAudit } from "../audit/client";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { decodeUtf8, parseJsonObject, validateBody } from "../request/body";
import { RULES_SIGNAL_NAME } from "../rules/signal";
import { expireRulesCache, parseRules } from "../rules/store";

const SignalSchema = z.strictObject({ seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), text: z.string() });

export async function signalRules(c: Context<AppEnv>): Promise<Response> {
  const { seq, text } = validateBody(SignalSchema, parseJsonObject(decodeUtf8(c.get("rawBody")))) as z.infer<typeof SignalSchema>;
  const state = await parseRules(text, "signal");
  if (state === undefined) throw new GatewayError("invalid_parameter", { param: "text", message: "The rules document is invalid (npm run rules -- validate shows why).", detail: "rules signal: invalid document" });
  const ns = c.env.RULES_SIGNAL;
  const result = await ns.get(ns.idFromName(RULES_SIGNAL_NAME)).put(seq, text, state.hash);
  // This isolate refreshes on its next request; the others within RULES_TTL_MS.
  if (result.stored) {
    expireRulesCache();
    recordAudit(c.env, c.executionCtx, [
      { at: Date.now(), kind: "rules", client: "", tenant: "", rule: "", rulesVersion: `${state.version}@${state.hash}`, action: "pushed", promptMac: null, detail: { seq, actor: c.get("identity").clientId } },
    ]);
  }
  return c.json({ stored: result.stored, seq: result.seq, version: state.version, hash: state.hash });
}
