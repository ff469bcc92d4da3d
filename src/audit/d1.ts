/**
 * The audit trail's D1 layout, shared by the writer (src/audit/writer.ts) and `npm run audit`
 * (scripts/audit.ts), pure: the tables, and the mapping between a row and the chained record
 * whose canonical JSON the chain's links are computed over. The writer creates the tables
 * itself on its first flush (`AUDIT_SCHEMA`), so a new deployment needs no migration step.
 */
import type { AuditRecord, AuditValue, ChainAnchor, ChainedRecord } from "./chain";

export const AUDIT_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS audit_records (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    client TEXT NOT NULL,
    tenant TEXT NOT NULL,
    rule TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    action TEXT NOT NULL,
    prompt_mac TEXT,
    detail TEXT NOT NULL,
    mac TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS audit_records_at ON audit_records (at)",
  // name = 'anchor': where the kept chain starts (moves forward when retention prunes);
  // name = 'head': the newest record flushed to D1, sealed, so truncation shows.
  "CREATE TABLE IF NOT EXISTS audit_meta (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, mac TEXT NOT NULL, seal TEXT NOT NULL)",
];

/** One `audit_records` row as D1 returns it. */
export interface AuditRow {
  seq: number;
  at: number;
  kind: string;
  client: string;
  tenant: string;
  rule: string;
  rules_version: string;
  action: string;
  prompt_mac: string | null;
  /** Canonical JSON of the record's `detail`. */
  detail: string;
  mac: string;
}

/** The row's columns in insert order. */
export const AUDIT_COLUMNS = ["seq", "at", "kind", "client", "tenant", "rule", "rules_version", "action", "prompt_mac", "detail", "mac"] as const;

export function rowOf(r: ChainedRecord, canonicalDetail: string): AuditRow {
  return { seq: r.seq, at: r.at, kind: r.kind, client: r.client, tenant: r.tenant, rule: r.rule, rules_version: r.rulesVersion, action: r.action, prompt_mac: r.promptMac, detail: canonicalDetail, mac: r.mac };
}

/** The chained record a row holds. A row whose detail is not a JSON object is returned with it as `{ unparsable: text }`, which then fails verification instead of throwing. */
export function recordOfRow(row: AuditRow): ChainedRecord {
  let detail: Record<string, AuditValue>;
  try {
    const parsed: unknown = JSON.parse(row.detail);
    detail = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, AuditValue>) : { unparsable: row.detail };
  } catch {
    detail = { unparsable: row.detail };
  }
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    kind: row.kind as AuditRecord["kind"],
    client: row.client,
    tenant: row.tenant,
    rule: row.rule,
    rulesVersion: row.rules_version,
    action: row.action,
    promptMac: row.prompt_mac,
    detail,
    mac: row.mac,
  };
}

/** One `audit_meta` row. */
export interface AuditMetaRow {
  name: "anchor" | "head";
  seq: number;
  mac: string;
  seal: string;
}

export function anchorOfRow(row: AuditMetaRow | undefined): ChainAnchor | undefined {
  return row === undefined ? undefined : { seq: Number(row.seq), mac: row.mac, seal: row.seal };
}
