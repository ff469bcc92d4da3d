/**
 * `AuditLog`: the audit trail's single writer, one SQLite-backed Durable Object for the
 * deployment (`idFromName("main")`). Isolates hand it events (src/audit/client.ts); it gives
 * each the next seq and its HMAC link (src/audit/chain.ts) at once, keeps it in its own
 * storage, and appends to D1 (`AUDIT_DB`) from an alarm, in batches. One writer is what keeps
 * concurrent isolates from forking the chain.
 *
 * - D1 down: records stay in the object's storage (up to `MAX_PENDING`, newer events beyond it
 *   are counted and recorded as one `audit/dropped` record once there is room) and the alarm
 *   retries with backoff up to 5 minutes. Requests never wait for any of this.
 * - Retention: once a day the records older than `audit.retention_days` are deleted from D1
 *   behind a sealed anchor, after the dropped range is verified against the current anchor;
 *   a range that does not verify is kept and an `audit/verify_failed` record is written.
 * - The newest 1000 records stay readable here too (`recent`), for `GET /admin/v1/audit` and
 *   the dashboard, whether D1 is reachable or not.
 */
import { DurableObject } from "cloudflare:workers";
import { anchorAfter, auditKey, canonicalJson, chain, GENESIS, sealHead, verifyChain, type AuditRecord, type ChainAnchor, type ChainedRecord } from "./chain";
import { AUDIT_SCHEMA, recordOfRow, rowOf, type AuditRow } from "./d1";
import { getConfig, secretOf } from "../env";

/** An event as isolates report it: the writer adds `seq` and the link. */
export type AuditEvent = Omit<AuditRecord, "seq">;

export const AUDIT_LOG_NAME = "main";
/** Records kept readable in the object after they reached D1. */
export const RECENT_ROWS = 1000;
/** Records the object holds for D1 at most (about 40 MB); beyond it events are counted, not kept. */
export const MAX_PENDING = 100_000;
/** Records per D1 append: one statement over a JSON array, so D1's bound-parameter limit does not apply. */
export const FLUSH_BATCH = 500;
/** Records read from D1 per step when retention verifies the range it drops. */
const PRUNE_BATCH = 2000;
const FLUSH_DELAY_MS = 1000;
const MAX_BACKOFF_MS = 300_000;
const DAY_MS = 86_400_000;

/** The Worker secret the chain is keyed with (`wrangler secret put AIGIS_AUDIT_KEY`). */
export const AUDIT_KEY_SECRET = "AIGIS_AUDIT_KEY";

export interface AuditStatus {
  /** The newest record written (in the object). */
  head: { seq: number; mac: string };
  /** The newest record in D1. */
  flushed: { seq: number; mac: string };
  pending: number;
  /** Events not kept because the buffer was full, not yet recorded as a `dropped` record. */
  dropped: number;
  /** Failed D1 appends in a row. */
  failures: number;
}

type StateRow = {
  head_seq: number;
  head_mac: string;
  flushed_seq: number;
  flushed_mac: string;
  dropped: number;
  failures: number;
  next_prune: number;
  last_rules: string;
};

const INSERT_FROM_JSON = `INSERT OR IGNORE INTO audit_records (seq, at, kind, client, tenant, rule, rules_version, action, prompt_mac, detail, mac)
  SELECT json_extract(value, '$.seq'), json_extract(value, '$.at'), json_extract(value, '$.kind'), json_extract(value, '$.client'),
         json_extract(value, '$.tenant'), json_extract(value, '$.rule'), json_extract(value, '$.rules_version'), json_extract(value, '$.action'),
         json_extract(value, '$.prompt_mac'), json_extract(value, '$.detail'), json_extract(value, '$.mac')
  FROM json_each(?1)`;

export class AuditLog extends DurableObject<Env> {
  private keyPromise: Promise<CryptoKey> | undefined;
  private schemaReady = false;
  /** `MAX_PENDING`; tests lower it to reach a full buffer. */
  maxPending = MAX_PENDING;
  /** Retention's clock; tests move it forward. */
  clock: () => number = Date.now;
  /** Appends run one at a time: seq and links are computed across awaits. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, row TEXT NOT NULL, flushed INTEGER NOT NULL DEFAULT 0)");
      sql.exec(`CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), head_seq INTEGER NOT NULL, head_mac TEXT NOT NULL,
        flushed_seq INTEGER NOT NULL, flushed_mac TEXT NOT NULL, dropped INTEGER NOT NULL, failures INTEGER NOT NULL, next_prune INTEGER NOT NULL, last_rules TEXT NOT NULL)`);
      sql.exec("INSERT OR IGNORE INTO state VALUES (1, 0, ?, 0, ?, 0, 0, 0, '')", GENESIS.mac, GENESIS.mac);
    });
  }

  private key(): Promise<CryptoKey> {
    const secret = secretOf(this.env, AUDIT_KEY_SECRET);
    if (secret === undefined) return Promise.reject(new Error(`secret ${AUDIT_KEY_SECRET} missing: audit records cannot be chained`));
    this.keyPromise ??= auditKey(secret);
    return this.keyPromise;
  }

  private state(): StateRow {
    return this.ctx.storage.sql.exec<StateRow>("SELECT * FROM state WHERE id = 1").one();
  }

  private pendingCount(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log WHERE flushed = 0").one().n;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Chains and stores `events`; they reach D1 within about a second (later while D1 is down). */
  async append(events: AuditEvent[]): Promise<{ head: number; accepted: number }> {
    return this.serial(async () => {
      const key = await this.key();
      const sql = this.ctx.storage.sql;
      const st = this.state();
      let room = this.maxPending - this.pendingCount();
      const kept: AuditEvent[] = [];
      let dropped = st.dropped;
      let lastRules = st.last_rules;
      for (const e of events) {
        // Every isolate reports the rules version it loads; the trail needs it once.
        if (e.kind === "rules" && e.action === "loaded") {
          if (e.rulesVersion === lastRules) continue;
          lastRules = e.rulesVersion;
        }
        if (room <= (dropped > 0 ? 1 : 0)) {
          dropped++;
          continue;
        }
        if (dropped > 0) {
          kept.push({ at: e.at, kind: "audit", client: "", tenant: "", rule: "", rulesVersion: "", action: "dropped", promptMac: null, detail: { count: dropped, reason: "buffer full while D1 was unavailable" } });
          dropped = 0;
          room--;
        }
        kept.push(e);
        room--;
      }
      sql.exec("UPDATE state SET dropped = ?, last_rules = ? WHERE id = 1", dropped, lastRules);
      const head = await this.write(key, kept);
      return { head, accepted: kept.length };
    });
  }

  /** The newest records, newest first (flushed or not), and where the chain stands. */
  async recent(limit: number): Promise<AuditStatus & { records: ChainedRecord[] }> {
    const n = Math.max(0, Math.min(RECENT_ROWS, Math.trunc(limit)));
    const rows = this.ctx.storage.sql.exec<{ row: string }>("SELECT row FROM log ORDER BY seq DESC LIMIT ?", n).toArray();
    return { ...this.snapshot(), records: rows.map((r) => recordOfRow(JSON.parse(r.row) as AuditRow)) };
  }

  async status(): Promise<AuditStatus> {
    return this.snapshot();
  }

  private snapshot(): AuditStatus {
    const st = this.state();
    return { head: { seq: st.head_seq, mac: st.head_mac }, flushed: { seq: st.flushed_seq, mac: st.flushed_mac }, pending: this.pendingCount(), dropped: st.dropped, failures: st.failures };
  }

  /** Flushes to D1, then prunes when due. A failure keeps everything and retries with backoff. */
  override async alarm(): Promise<void> {
    await this.serial(async () => {
      const db = this.env.AUDIT_DB;
      try {
        const key = await this.key();
        await this.ensureSchema(db);
        const more = await this.flush(db, key);
        if (more) {
          await this.ctx.storage.setAlarm(Date.now());
          return;
        }
        await this.pruneIfDue(db, key);
      } catch (err) {
        const failures = this.state().failures + 1;
        this.ctx.storage.sql.exec("UPDATE state SET failures = ? WHERE id = 1", failures);
        console.error(`aigis: audit append to D1 failed (${failures} in a row, ${this.pendingCount()} records waiting): ${err instanceof Error ? err.message : String(err)}`);
        await this.ctx.storage.setAlarm(Date.now() + Math.min(MAX_BACKOFF_MS, FLUSH_DELAY_MS * 2 ** Math.min(failures, 20)));
      }
    });
  }

  private async ensureSchema(db: D1Database): Promise<void> {
    if (this.schemaReady) return;
    await db.batch([
      ...AUDIT_SCHEMA.map((s) => db.prepare(s)),
      db.prepare("INSERT OR IGNORE INTO audit_meta (name, seq, mac, seal) VALUES ('anchor', 0, ?, '')").bind(GENESIS.mac),
      db.prepare("INSERT OR IGNORE INTO audit_meta (name, seq, mac, seal) VALUES ('head', 0, ?, '')").bind(GENESIS.mac),
    ]);
    this.schemaReady = true;
  }

  /** Appends one batch; whether more are waiting. */
  private async flush(db: D1Database, key: CryptoKey): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    const rows = sql.exec<{ seq: number; row: string }>("SELECT seq, row FROM log WHERE flushed = 0 ORDER BY seq LIMIT ?", FLUSH_BATCH).toArray();
    if (rows.length === 0) return false;
    const last = JSON.parse(rows.at(-1)!.row) as AuditRow;
    const head = await sealHead(key, { seq: last.seq, mac: last.mac });
    await db.batch([
      db.prepare(INSERT_FROM_JSON).bind(`[${rows.map((r) => r.row).join(",")}]`),
      db.prepare("INSERT OR REPLACE INTO audit_meta (name, seq, mac, seal) VALUES ('head', ?, ?, ?)").bind(head.seq, head.mac, head.seal),
    ]);
    sql.exec("UPDATE log SET flushed = 1 WHERE flushed = 0 AND seq <= ?", last.seq);
    sql.exec("UPDATE state SET flushed_seq = ?, flushed_mac = ?, failures = 0 WHERE id = 1", last.seq, last.mac);
    sql.exec("DELETE FROM log WHERE flushed = 1 AND seq <= ?", this.state().head_seq - RECENT_ROWS);
    return this.pendingCount() > 0;
  }

  /**
   * Retention: deletes from D1 the records older than the configured days (always keeping the
   * newest one), behind a sealed anchor. The range is verified from the current anchor first,
   * so a tampered record is never sealed into an anchor.
   */
  private async pruneIfDue(db: D1Database, key: CryptoKey): Promise<void> {
    const now = this.clock();
    const st = this.state();
    if (now < st.next_prune) return;
    const cutoff = now - getConfig(this.env).audit.retention_days * DAY_MS;
    const meta = await db.prepare("SELECT seq, mac, seal FROM audit_meta WHERE name = 'anchor'").first<ChainAnchor>();
    const anchor: ChainAnchor = meta ?? GENESIS;
    // Only a prefix of the chain can go: the oldest records in seq order, while they are past
    // retention, and never the last one read (so never the newest record).
    const { results } = await db.prepare("SELECT * FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?").bind(anchor.seq, PRUNE_BATCH + 1).all<AuditRow>();
    const rows = results.map(recordOfRow);
    let n = 0;
    while (n < rows.length - 1 && n < PRUNE_BATCH && rows[n]!.at < cutoff) n++;
    const doomed = rows.slice(0, n);
    if (doomed.length === 0) {
      this.ctx.storage.sql.exec("UPDATE state SET next_prune = ? WHERE id = 1", now + DAY_MS);
      return;
    }
    const verdict = await verifyChain(key, anchor, doomed);
    if (!verdict.ok) {
      // Kept for investigation; retried tomorrow (and recorded once a day until resolved).
      this.ctx.storage.sql.exec("UPDATE state SET next_prune = ? WHERE id = 1", now + DAY_MS);
      await this.write(key, [{ at: Date.now(), kind: "audit", client: "", tenant: "", rule: "", rulesVersion: "", action: "verify_failed", promptMac: null, detail: { seq: verdict.seq, reason: verdict.reason } }]);
      return;
    }
    const last = doomed.at(-1)!;
    const next = await anchorAfter(key, { seq: last.seq, mac: last.mac });
    await db.batch([
      db.prepare("DELETE FROM audit_records WHERE seq <= ?").bind(next.seq),
      db.prepare("INSERT OR REPLACE INTO audit_meta (name, seq, mac, seal) VALUES ('anchor', ?, ?, ?)").bind(next.seq, next.mac, next.seal),
    ]);
    if (doomed.length === PRUNE_BATCH) {
      await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    this.ctx.storage.sql.exec("UPDATE state SET next_prune = ? WHERE id = 1", now + DAY_MS);
    await this.write(key, [{ at: Date.now(), kind: "audit", client: "", tenant: "", rule: "", rulesVersion: "", action: "pruned", promptMac: null, detail: { through_seq: next.seq, before: cutoff } }]);
  }

  /** Chains `events` after the head, stores them, and makes sure an alarm will flush them; the new head seq. */
  private async write(key: CryptoKey, events: readonly AuditEvent[]): Promise<number> {
    const st = this.state();
    if (events.length === 0) return st.head_seq;
    const chained = await chain(key, { seq: st.head_seq, mac: st.head_mac }, events.map((e, i) => ({ ...e, seq: st.head_seq + 1 + i })));
    const sql = this.ctx.storage.sql;
    for (const r of chained) sql.exec("INSERT INTO log (seq, row) VALUES (?, ?)", r.seq, JSON.stringify(rowOf(r, canonicalJson(r.detail))));
    const head = chained.at(-1)!;
    sql.exec("UPDATE state SET head_seq = ?, head_mac = ? WHERE id = 1", head.seq, head.mac);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + FLUSH_DELAY_MS);
    return head.seq;
  }
}

/** The one writer's stub. */
export function auditLog(env: Env): DurableObjectStub<AuditLog> {
  return env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(AUDIT_LOG_NAME));
}
