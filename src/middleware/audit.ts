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
import type { RequestLog } from "../analytics/record";
import { isApiRoute } from "../routes";

/** The rules version this isolate last reported; the writer drops repeats from other isolates. */
let reportedRules = "";

const decoder = new TextDecoder();

/** What a finished request leaves for the trail. */
interface ToRecord {
  /** Its log, when the request is a security decision. */
  decision: RequestLog | undefined;
  /** A rules version this isolate had not reported yet. */
  rules: { version: string; source: string } | undefined;
}

/**
 * Decided when the request is complete, without any I/O: most requests are plain allows
 * under rules already reported, and leave nothing (undefined).
 */
function toRecord(c: Context<AppEnv>, status: number): ToRecord | undefined {
  const log = { ...c.get("log"), status };
  const decision = auditAction(log) !== undefined ? log : undefined;
  const rules = c.get("rules");
  const version = rules === undefined ? "" : `${rules.version}@${rules.hash}`;
  const fresh = rules !== undefined && version !== reportedRules;
  if (decision === undefined && !fresh) return undefined;
  if (fresh) reportedRules = version;
  return { decision, rules: fresh ? { version, source: rules.source } : undefined };
}

async function eventsOf(c: Context<AppEnv>, key: Promise<CryptoKey>, what: ToRecord, now: number): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  if (what.decision !== undefined) {
    // Only API bodies are prompts: an admin body can hold a key (the dashboard's sign-in).
    // The body is hashed only for the requests recorded.
    const body = isApiRoute(c.get("route")) ? c.get("rawBody") : undefined;
    const mac = body !== undefined && body.byteLength > 0 ? await promptMac(await key, decoder.decode(body)) : null;
    const decision = decisionEvent(what.decision, mac, now);
    if (decision !== undefined) events.push(decision);
  }
  if (what.rules !== undefined) {
    events.push({ at: now, kind: "rules", client: "", tenant: "", rule: "", rulesVersion: what.rules.version, action: "loaded", promptMac: null, detail: { source: what.rules.source } });
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
    const write = (what: ToRecord): Promise<void> =>
      eventsOf(c, key, what, Date.now()).then(
        (events) => recordAudit(c.env, c.executionCtx, events),
        (err) => console.error(`aigis: audit event not built: ${err instanceof Error ? err.message : String(err)}`),
      );
    const streamDone = c.get("streamDone");
    if (streamDone === undefined) {
      // Decided now; a request that records nothing (most) schedules no waitUntil at all.
      const what = toRecord(c, status);
      if (what !== undefined) c.executionCtx.waitUntil(write(what));
      return;
    }
    // A stream's decision is only known when it ends.
    const atEnd = (): Promise<void> => {
      const what = toRecord(c, status);
      return what === undefined ? Promise.resolve() : write(what);
    };
    c.executionCtx.waitUntil(streamDone.then(atEnd, atEnd));
  };
}
