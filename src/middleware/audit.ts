/**
 * Stage 3: the audit trail. Refuses to run without the chain's key (a deployment that cannot
 * audit fails closed), then, once the request is complete (when the stream ends, for
 * streams), records it if it was a security decision (src/audit/event.ts), and records each
 * rules version the first time this isolate runs it. The prompt is recorded as a keyed hash
 * of the request body. Everything after `next()` runs in `waitUntil`: it never delays or
 * fails the response.
 */
import type { Context, MiddlewareHandler } from "hono";
import { promptMac } from "../audit/chain";
import { auditKeyOf, recordAudit } from "../audit/client";
import { auditAction, decisionEvent } from "../audit/event";
import { AUDIT_KEY_SECRET, type AuditEvent } from "../audit/writer";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { isApiRoute } from "../routes";

/** The rules version this isolate last reported; the writer drops repeats from other isolates. */
let reportedRules = "";

const decoder = new TextDecoder();

/** The rules version of this request, `version@hash`; "" before rules were read. */
function rulesVersionOf(c: Context<AppEnv>): string {
  const rules = c.get("rules");
  return rules === undefined ? "" : `${rules.version}@${rules.hash}`;
}

async function eventsOf(c: Context<AppEnv>, key: Promise<CryptoKey>, status: number, now: number): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  const log = { ...c.get("log"), status };
  // Most requests are plain allows: the body is hashed only for the ones recorded.
  if (auditAction(log) !== undefined) {
    // Only API bodies are prompts: an admin body can hold a key (the dashboard's sign-in).
    const body = isApiRoute(c.get("route")) ? c.get("rawBody") : undefined;
    const mac = body !== undefined && body.byteLength > 0 ? await promptMac(await key, decoder.decode(body)) : null;
    const decision = decisionEvent(log, mac, now);
    if (decision !== undefined) events.push(decision);
  }
  const rules = c.get("rules");
  const version = rulesVersionOf(c);
  if (rules !== undefined && version !== reportedRules) {
    reportedRules = version;
    events.push({ at: now, kind: "rules", client: "", tenant: "", rule: "", rulesVersion: version, action: "loaded", promptMac: null, detail: { source: rules.source } });
  }
  return events;
}

/**
 * @example app.use("/v1/*", auditTrail())
 */
export function auditTrail(): MiddlewareHandler<AppEnv> {
  return async function auditStage(c, next) {
    const key = auditKeyOf(c.env);
    if (key === undefined) throw new GatewayError("config_invalid", { detail: `secret ${AUDIT_KEY_SECRET} missing or shorter than 16 characters: the audit trail cannot be kept` });
    await next();
    const status = c.res.status;
    const streamDone = c.get("streamDone");
    // A finished request that is no security decision, under rules this isolate already
    // reported, records nothing: decided here, without a promise or a waitUntil for it (most
    // requests). A stream's decision is only known when it ends.
    if (streamDone === undefined && auditAction({ ...c.get("log"), status }) === undefined && (c.get("rules") === undefined || rulesVersionOf(c) === reportedRules)) return;
    const record = (): Promise<void> =>
      eventsOf(c, key, status, Date.now()).then(
        (events) => recordAudit(c.env, c.executionCtx, events),
        (err) => console.error(`aigis: audit event not built: ${err instanceof Error ? err.message : String(err)}`),
      );
    c.executionCtx.waitUntil(streamDone === undefined ? record() : streamDone.then(record, record));
  };
}
