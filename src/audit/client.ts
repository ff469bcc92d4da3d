/**
 * The isolate's side of the audit trail: hands events to the one writer (src/audit/writer.ts)
 * without ever delaying or failing a request. Events of the same isolate within `BATCH_MS`
 * travel in one call, sent from the first request's `waitUntil`, so a burst of refusals
 * costs the writer one call per isolate and batch, not one per request.
 */
import { auditKey } from "./chain";
import { auditLog, AUDIT_KEY_SECRET, type AuditEvent } from "./writer";
import { secretOf } from "../env";

const BATCH_MS = 50;
const BATCH_MAX = 200;

let queued: AuditEvent[] = [];
let flushing: Promise<void> | undefined;

/** Queues `events` for the writer; the send runs in `ctx.waitUntil`. */
export function recordAudit(env: Env, ctx: { waitUntil(promise: Promise<unknown>): void }, events: readonly AuditEvent[]): void {
  if (events.length === 0) return;
  queued.push(...events);
  if (flushing !== undefined) return;
  flushing = new Promise<void>((resolve) => setTimeout(resolve, BATCH_MS)).then(() => flush(env));
  ctx.waitUntil(flushing);
}

async function flush(env: Env): Promise<void> {
  try {
    while (queued.length > 0) {
      const batch = queued.splice(0, BATCH_MAX);
      await send(env, batch);
    }
  } finally {
    flushing = undefined;
  }
}

/** One retry, then the loss is logged (with a count, never the events' content). */
async function send(env: Env, batch: AuditEvent[]): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await auditLog(env).append(batch);
      return;
    } catch (err) {
      last = err;
    }
  }
  console.error(`aigis: ${batch.length} audit events lost, the writer did not answer: ${last instanceof Error ? last.message : String(last)}`);
}

/** Events queued in this isolate and not yet handed over (tests, and the writer-unreachable log). */
export function queuedAuditEvents(): number {
  return queued.length;
}

let keyCache: { secret: string; key: Promise<CryptoKey> } | undefined;

/** The audit key from the Worker secret, imported once per isolate; undefined when the secret is missing or shorter than 16 characters. */
export function auditKeyOf(env: Env): Promise<CryptoKey> | undefined {
  const secret = secretOf(env, AUDIT_KEY_SECRET);
  if (secret === undefined || secret.length < 16) return undefined;
  if (keyCache === undefined || keyCache.secret !== secret) keyCache = { secret, key: auditKey(secret) };
  return keyCache.key;
}
