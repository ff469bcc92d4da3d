/**
 * The dashboard's figures, pure: the clients behind a set of stored key records, top rules
 * from audit records, and the event rows it shows. All text here is attacker-influenced (client
 * ids, rule ids, model names): it goes out as JSON and the page sets it with `textContent` only.
 */
import { checkRecord } from "../auth/api-keys";
import { KeyRecordSchema } from "../auth/identity";
import type { AuditValue, ChainedRecord } from "../audit/chain";

export interface ClientRow {
  client_id: string;
  tenant: string;
  plan: string;
  /** Key records found for the client (of those read), and how many of them are usable now. */
  keys: number;
  active_keys: number;
}

/**
 * One row per client id among stored key record texts (corrupt ones are skipped), sorted by
 * client id. Tenant and plan come from a usable key when there is one.
 * @example clientsOf(['{"client_id":"a","tenant":"t","plan":"p"}'], Date.now())
 */
export function clientsOf(texts: readonly (string | null)[], now: number): ClientRow[] {
  const rows = new Map<string, ClientRow>();
  for (const text of texts) {
    if (text === null) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      continue;
    }
    const parsed = KeyRecordSchema.safeParse(raw);
    if (!parsed.success) continue;
    const rec = parsed.data;
    const active = typeof checkRecord(raw, now) !== "string";
    const row = rows.get(rec.client_id);
    if (row === undefined) {
      rows.set(rec.client_id, { client_id: rec.client_id, tenant: rec.tenant, plan: rec.plan, keys: 1, active_keys: active ? 1 : 0 });
      continue;
    }
    if (active && row.active_keys === 0) {
      row.tenant = rec.tenant;
      row.plan = rec.plan;
    }
    row.keys++;
    if (active) row.active_keys++;
  }
  return [...rows.values()].sort((a, b) => a.client_id.localeCompare(b.client_id));
}

/**
 * The `limit` rules that appear most often on `records` (ties by rule id), skipping records
 * without a rule.
 * @example topRules(records, 10) // [{ rule: "firewall.injection", count: 12 }, ...]
 */
export function topRules(records: readonly Pick<ChainedRecord, "rule">[], limit: number): { rule: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of records) if (r.rule !== "") counts.set(r.rule, (counts.get(r.rule) ?? 0) + 1);
  return [...counts]
    .map(([rule, count]) => ({ rule, count }))
    .sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule))
    .slice(0, limit);
}

export interface EventRow {
  seq: number;
  /** ISO 8601, UTC. */
  at: string;
  kind: string;
  action: string;
  rule: string;
  client: string;
  tenant: string;
  rules_version: string;
  detail: Record<string, AuditValue>;
}

/** An audit record as the events table shows it: no prompt hash and no link (they mean nothing on screen). */
export function eventRow(r: ChainedRecord): EventRow {
  return { seq: r.seq, at: new Date(r.at).toISOString(), kind: r.kind, action: r.action, rule: r.rule, client: r.client, tenant: r.tenant, rules_version: r.rulesVersion, detail: r.detail };
}
