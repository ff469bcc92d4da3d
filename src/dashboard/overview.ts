/**
 * `GET /admin/api/overview` (session required): everything the dashboard shows, in one
 * answer. Each section is read on its own and reported as unavailable on its own, so an
 * audit writer that is down does not hide the usage figures, and the other way round.
 *
 * - Events and top rules: the newest `AUDIT_WINDOW` records of the audit trail (its writer
 *   keeps the newest 1000 readable whether D1 is up or not); the newest `EVENTS_SHOWN` are listed.
 * - Clients: the API key records in CONFIG_KV (`apikey:<hash>`), at most `KEY_READS` of them
 *   read, deduplicated by client id, at most `CLIENT_CAP` shown, each with its usage and
 *   remaining budgets from its Durable Object (as `GET /v1/usage` reports them). `capped` says
 *   when some were left out; `metered` is false for a client whose plan has no limit and whose
 *   tenant has no budget, since admission counts nothing for it.
 * - Rules: the version, hash and source of the active rules document.
 */
import type { Context } from "hono";
import { keyStorageName } from "../auth/api-keys";
import { auditLog } from "../audit/writer";
import { clientUsage } from "../admission/usage";
import type { AppEnv } from "../env";
import { loadRules } from "../middleware/authenticate";
import type { UsageReport } from "../quota/usage";
import { isMetered } from "../quota/limits";
import { planFor, tenantBudgetOf, type RulesDocument } from "../rules/schema";
import { clientsOf, eventRow, topRules, type ClientRow, type EventRow } from "./summary";

export const AUDIT_WINDOW = 500;
export const EVENTS_SHOWN = 50;
export const TOP_RULES_SHOWN = 10;
export const CLIENT_CAP = 50;
/** Key records read per overview at most (one KV read each). */
export const KEY_READS = 200;

type AuditSection =
  | { available: true; window: number; records_read: number; head_seq: number; pending: number; dropped: number; failures: number; events: EventRow[]; top_rules: { rule: string; count: number }[] }
  | { available: false };

type ClientsSection =
  | { available: true; cap: number; capped: boolean; keys_read: number; items: (ClientRow & { metered: boolean; usage: UsageReport | null })[] }
  | { available: false };

/** A section that could not be read is shown as unavailable; the reason goes to the log. */
function unavailable(section: string): (err: unknown) => { available: false } {
  return (err) => {
    console.error(`aigis: dashboard ${section} unavailable: ${err instanceof Error ? err.message : String(err)}`);
    return { available: false };
  };
}

async function auditSection(env: Env): Promise<AuditSection> {
  const recent = await auditLog(env).recent(AUDIT_WINDOW);
  const records = recent.records;
  return {
    available: true,
    window: AUDIT_WINDOW,
    records_read: records.length,
    head_seq: recent.head.seq,
    pending: recent.pending,
    dropped: recent.dropped,
    failures: recent.failures,
    events: records.slice(0, EVENTS_SHOWN).map(eventRow),
    top_rules: topRules(records, TOP_RULES_SHOWN),
  };
}

async function clientsSection(env: Env, rules: RulesDocument, now: number): Promise<ClientsSection> {
  const listed = await env.CONFIG_KV.list({ prefix: keyStorageName(""), limit: 1000 });
  const names = listed.keys.map((k) => k.name).slice(0, KEY_READS);
  const texts = await Promise.all(names.map((name) => env.CONFIG_KV.get(name, "text")));
  const clients = clientsOf(texts, now);
  const shown = clients.slice(0, CLIENT_CAP);
  const capped = !listed.list_complete || listed.keys.length > names.length || clients.length > shown.length;
  const items = await Promise.all(
    shown.map(async (client) => ({
      ...client,
      // Admission counts nothing for a client with no limit and no tenant budget: its zeros mean "not counted".
      metered: isMetered(planFor(rules, client.plan).limits, tenantBudgetOf(rules, client.tenant)),
      // One client whose object does not answer is shown without figures, not as a failed page.
      usage: await clientUsage(env.CLIENT_STATE, rules, client.client_id, client.plan, now).catch(() => null),
    })),
  );
  return { available: true, cap: CLIENT_CAP, capped, keys_read: names.length, items };
}

export async function overview(c: Context<AppEnv>): Promise<Response> {
  const now = Date.now();
  const rules = await loadRules(c, now);
  const { session } = c.get("dashboardSession");
  const [audit, clients] = await Promise.all([auditSection(c.env).catch(unavailable("audit")), clientsSection(c.env, rules.doc, now).catch(unavailable("clients"))]);
  return c.json({
    object: "dashboard.overview",
    generated_at: new Date(now).toISOString(),
    session: { client_id: session.clientId, expires_at: new Date(session.expiresAt).toISOString() },
    rules: { version: rules.version, hash: rules.hash, source: rules.source },
    audit,
    clients,
  });
}
