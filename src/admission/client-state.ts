/**
 * One Durable Object per client (`idFromName(clientId)`), SQLite-backed: the strongly
 * consistent place for everything about a client that must be exact. The admission stage
 * makes exactly one RPC call to it per request (`admit`), which checks revocation and every
 * rate limit and budget at once; settlements after the response ride along with a later
 * `admit` or arrive in `settleMany` (src/admission/settle-queue.ts).
 *
 * The object is a thin shell: the arithmetic is the pure engine in src/quota, and the state
 * it keeps is bounded (a few KB) and written to SQLite on every change, so an evicted or
 * restarted object continues exactly where it stopped (in-memory state alone would be lost).
 *
 * It also records which files and fine-tuning jobs are this client's (`owned_objects`): the
 * provider sees one account for every client, so ownership exists only here (src/files).
 * And it keeps the intake reports of its training uploads (`intake_reports`,
 * src/files/intake-reports.ts), the newest INTAKE_REPORTS_KEPT of them, with the state of
 * each quarantined file held for review (`held_files`, src/files/held.ts). And the stored
 * responses it created, with their output items (`owned_responses`, src/policy/objects.ts),
 * which only it may continue (`previous_response_id`, `item_reference`).
 */
import { DurableObject } from "cloudflare:workers";
import { admit, emptyState, restoreState, settle, usageReport, type AdmitRefusal, type AdmitRequest as QuotaRequest, type PolicyStatus, type QuotaState, type Reservation, type UsageReport } from "../quota/engine";
import type { Limits, PriceTable } from "../quota/limits";
import type { TemplateHint } from "../extraction/features";
import type { Settlement } from "./settle-queue";
import { readPolicy, type PolicyText } from "./policy-text";
import type { ProbePolicy } from "../extraction/score";
import { emptyProbeState, observe, probeStateSize, probeSummary, type ProbeAction, type ProbeObservation, type ProbeState, type ProbeSummary } from "../extraction/state";
import type { ObjectKind, OwnedObject, OwnedPage } from "../files/objects";
import { OWNED_RESPONSES_KEPT, OWNED_RESPONSE_TTL_MS, RESPONSE_ITEMS_KEPT, type CreatedResponse } from "../policy/objects";
import { INTAKE_REPORTS_KEPT, type IntakeReportListing, type StoredIntakeReport, type StoredIntakeReportWithHold } from "../files/intake-reports";
import { createHeldTable, heldOfReport, heldRow, insertHeld, writeDecision, type HeldDecision, type HeldRow, type HeldStatus } from "../files/held";

export interface AdmitRequest {
  /** SHA-256 hex of the API key used, or "" for credentials that are not revocable here. */
  keyHash: string;
  now: number;
  /** Absent for requests that consume no quota (GET /v1/models). */
  /** Limits as text (src/admission/policy-text.ts); `prices` holds the requested model's price only. */
  quota?: { limits: PolicyText<Limits>; prices: PriceTable; request: QuotaRequest };
  /** The request's probing features and the plan's policy as text (src/extraction); absent when probing is off. */
  probe?: { obs: ProbeObservation; policy: PolicyText<ProbePolicy>; requestId: string };
  /** Earlier requests' settlements riding along (src/admission/settle-queue.ts), applied first. */
  settles?: Settlement[];
}

/** What the probing score decided for one request; the Worker applies it (or only records it in shadow mode). */
export interface ProbeVerdict {
  action: ProbeAction;
  score: number;
  retryAfterS?: number;
  reasons: string[];
  template: TemplateHint | null;
}

export type AdmitResult =
  | { ok: true; reservation?: Reservation; policies?: PolicyStatus[]; probe?: ProbeVerdict }
  | { ok: false; reason: "revoked" }
  | { ok: false; reason: "probing"; probe: ProbeVerdict }
  | { ok: false; reason: AdmitRefusal; policy: string; retryAfterMs: number; policies: PolicyStatus[] };

/** Longest time a quota change waits to be written to SQLite. */
export const FLUSH_MS = 100;

/** Audit records of probing actions kept per client (the oldest are dropped). */
export const PROBE_AUDIT_ROWS = 1000;

export interface ProbeAuditRecord {
  at: number;
  requestId: string;
  action: ProbeAction;
  /** Whether the action was applied (false in shadow mode). */
  enforced: boolean;
  score: number;
  reasons: string;
  retryAfterS: number | null;
}

const OWNED_COLUMNS = "kind, id, created, purpose, bytes, sha256, filename, status";
type OwnedRow = OwnedObject & Record<string, SqlStorageValue>;
type ReportRow = { id: string; created: number; sha256: string; verdict: string; file_id: string | null; findings: string };

export class ClientState extends DurableObject<Env> {
  private revoked = new Set<string>();
  private quota: QuotaState = emptyState();
  private probe: ProbeState = emptyProbeState();
  private probeLevel = 0;
  private audit: ProbeAuditRecord[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Load before any RPC runs, so no call ever sees a half-loaded state.
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec("CREATE TABLE IF NOT EXISTS revoked_keys (hash TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS session_ends (hash TEXT PRIMARY KEY, ended_at INTEGER NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS quota_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS probe_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS probe_audit (at INTEGER NOT NULL, request_id TEXT NOT NULL, action TEXT NOT NULL, enforced INTEGER NOT NULL, score REAL NOT NULL, reasons TEXT NOT NULL, retry_after_s INTEGER)");
      sql.exec("CREATE TABLE IF NOT EXISTS intake_history (id INTEGER PRIMARY KEY CHECK (id = 1), summary TEXT NOT NULL)");
      sql.exec(
        "CREATE TABLE IF NOT EXISTS owned_objects (kind TEXT NOT NULL, id TEXT NOT NULL, created INTEGER NOT NULL, purpose TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, filename TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (kind, id))",
      );
      // `findings` is the per-rule counts of the full report, so a list reads no report.
      sql.exec(
        "CREATE TABLE IF NOT EXISTS intake_reports (id TEXT PRIMARY KEY, created INTEGER NOT NULL, sha256 TEXT NOT NULL, verdict TEXT NOT NULL, file_id TEXT NULL, findings TEXT NOT NULL, report TEXT NOT NULL)",
      );
      createHeldTable(sql);
      // `seq` numbers responses in the order recorded (an item shares its response's), so the
      // oldest are dropped together; `created` lets a record expire with the response.
      sql.exec("CREATE TABLE IF NOT EXISTS owned_responses (kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (kind, id))");
      sql.exec("CREATE INDEX IF NOT EXISTS owned_responses_seq ON owned_responses (seq)");
      sql.exec("CREATE INDEX IF NOT EXISTS owned_responses_created ON owned_responses (created)");
      for (const row of sql.exec<{ hash: string }>("SELECT hash FROM revoked_keys")) this.revoked.add(row.hash);
      const saved = sql.exec<{ state: string }>("SELECT state FROM quota_state WHERE id = 1").toArray()[0];
      if (saved !== undefined) this.quota = restoreState(JSON.parse(saved.state));
      const probe = sql.exec<{ state: string }>("SELECT state FROM probe_state WHERE id = 1").toArray()[0];
      if (probe !== undefined) this.probe = JSON.parse(probe.state) as ProbeState;
      this.probeLevel = this.probe.level;
    });
  }

  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Persists the quota state at most every FLUSH_MS. A SQLite write per change costs more
   * than the rest of admission together (measured with `npm run bench`: the object's
   * throughput halves), so changes within one interval share one write. While the object
   * runs, every decision is exact (the in-memory state is the truth); a graceful eviction
   * loses nothing (the object is idle for seconds before it is evicted, long after the
   * flush); an abrupt reset can lose at most the last FLUSH_MS of counts. docs/limits.md.
   */
  private save(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const sql = this.ctx.storage.sql;
      sql.exec("INSERT OR REPLACE INTO quota_state (id, state) VALUES (1, ?)", JSON.stringify(this.quota));
      sql.exec("INSERT OR REPLACE INTO probe_state (id, state) VALUES (1, ?)", JSON.stringify(this.probe));
      if (this.audit.length > 0) {
        for (const a of this.audit) {
          sql.exec("INSERT INTO probe_audit (at, request_id, action, enforced, score, reasons, retry_after_s) VALUES (?, ?, ?, ?, ?, ?, ?)", a.at, a.requestId, a.action, a.enforced ? 1 : 0, a.score, a.reasons, a.retryAfterS);
        }
        this.audit = [];
        sql.exec("DELETE FROM probe_audit WHERE rowid <= (SELECT MAX(rowid) FROM probe_audit) - ?", PROBE_AUDIT_ROWS);
      }
    }, FLUSH_MS);
  }

  /**
   * The one call on the request path. A quota refusal changes nothing; a probing refusal
   * (deny, enforced) reserves nothing but is recorded in the probing state, so a client
   * that keeps probing through its Retry-After stays denied.
   */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    if (req.settles !== undefined) this.applySettlements(req.settles);
    if (req.keyHash !== "" && this.revoked.has(req.keyHash)) return { ok: false, reason: "revoked" };
    let quota: Extract<ReturnType<typeof admit>, { ok: true }> | undefined;
    if (req.quota !== undefined) {
      const result = admit(this.quota, readPolicy(req.quota.limits), req.quota.prices, req.quota.request, req.now);
      if (!result.ok) return result;
      quota = result;
    }
    let verdict: ProbeVerdict | undefined;
    if (req.probe !== undefined) {
      const policy = readPolicy(req.probe.policy);
      verdict = this.observeProbe(req.probe, policy, req.now);
      if (verdict.action === "deny" && policy.mode === "enforce") {
        this.save();
        return { ok: false, reason: "probing", probe: verdict };
      }
    }
    if (quota !== undefined) this.quota = quota.state;
    if (quota !== undefined || verdict !== undefined) this.save();
    return { ok: true, ...(quota !== undefined ? { reservation: quota.reservation, policies: quota.policies } : {}), ...(verdict !== undefined ? { probe: verdict } : {}) };
  }

  private observeProbe(probe: NonNullable<AdmitRequest["probe"]>, policy: ProbePolicy, now: number): ProbeVerdict {
    const r = observe(this.probe, probe.obs, now, policy);
    this.probe = r.state;
    // Every action other than allow is audited, and so is the return to allow.
    if (r.action !== "allow" || this.probeLevel !== 0) {
      this.audit.push({ at: now, requestId: probe.requestId, action: r.action, enforced: policy.mode === "enforce", score: Math.round(r.score * 1000) / 1000, reasons: r.reasons.join(","), retryAfterS: r.retryAfterS ?? null });
      if (this.audit.length > PROBE_AUDIT_ROWS) this.audit.shift();
    }
    this.probeLevel = r.action === "allow" ? 0 : 1;
    return { action: r.action, score: r.score, ...(r.retryAfterS !== undefined ? { retryAfterS: r.retryAfterS } : {}), reasons: r.reasons, template: r.template };
  }

  /**
   * Replaces each reservation by what was used (or releases it), in order: settlements sent on
   * their own (src/admission/settle-queue.ts) or a late admission's release. Idempotent: an
   * unknown or already settled id changes nothing.
   */
  async settleMany(settlements: Settlement[]): Promise<void> {
    this.applySettlements(settlements);
  }

  /** Settlements on their own or carried by an admission call; one write for all. */
  private applySettlements(settlements: readonly Settlement[]): void {
    let changed = false;
    for (const s of settlements) {
      const result = settle(this.quota, s.id, s.outcome, readPolicy(s.limits), s.now);
      if (!result.settled) continue;
      this.quota = result.state;
      changed = true;
    }
    if (changed) this.save();
  }

  async usage(limits: Limits, now: number): Promise<UsageReport> {
    return usageReport(this.quota, limits, now);
  }

  async revokeKey(hash: string, at: number): Promise<void> {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO revoked_keys (hash, revoked_at) VALUES (?, ?)", hash, at);
    this.revoked.add(hash);
  }

  /**
   * For dashboard sessions (src/dashboard): whether the key is revoked here (strongly
   * consistent, unlike its KV record) and when its sessions were last ended by a sign-out.
   */
  async sessionStatus(hash: string): Promise<{ revoked: boolean; endedAt: number }> {
    const row = this.ctx.storage.sql.exec<{ ended_at: number }>("SELECT ended_at FROM session_ends WHERE hash = ?", hash).toArray()[0];
    return { revoked: this.revoked.has(hash), endedAt: row?.ended_at ?? 0 };
  }

  /** Ends every dashboard session of the key issued at or before `at` (sign-out). */
  async endSessions(hash: string, at: number): Promise<void> {
    this.ctx.storage.sql.exec("INSERT INTO session_ends (hash, ended_at) VALUES (?, ?) ON CONFLICT (hash) DO UPDATE SET ended_at = MAX(ended_at, excluded.ended_at)", hash, at);
  }

  async revokedCount(): Promise<number> {
    return this.revoked.size;
  }

  /** Size of the persisted quota state in bytes (reported, and bounded by tests). */
  async stateBytes(): Promise<number> {
    return JSON.stringify(this.quota).length;
  }

  /** The probing score as of `now`, the state's size, and the newest audit records (operators: GET /admin/v1/clients/:id/probing). */
  async probing(policy: ProbePolicy, now: number, limit: number): Promise<{ summary: ProbeSummary; stateBytes: number; audit: ProbeAuditRecord[] }> {
    const rows = this.ctx.storage.sql
      .exec<{ at: number; request_id: string; action: string; enforced: number; score: number; reasons: string; retry_after_s: number | null }>("SELECT at, request_id, action, enforced, score, reasons, retry_after_s FROM probe_audit ORDER BY rowid DESC LIMIT ?", limit)
      .toArray()
      .map((r) => ({ at: r.at, requestId: r.request_id, action: r.action as ProbeAction, enforced: r.enforced === 1, score: r.score, reasons: r.reasons, retryAfterS: r.retry_after_s }));
    // Not yet flushed records are the newest.
    const audit = [...this.audit].reverse().concat(rows).slice(0, limit);
    return { summary: probeSummary(this.probe, now, policy), stateBytes: probeStateSize(this.probe), audit };
  }
  /** The summary of this client's forwarded training files (src/intake/drift.ts), as JSON; null before the first. */
  async intakeHistory(): Promise<string | null> {
    return this.ctx.storage.sql.exec<{ summary: string }>("SELECT summary FROM intake_history WHERE id = 1").toArray()[0]?.summary ?? null;
  }

  /** Replaces the summary after a training file was forwarded (a refused file never moves the baseline). */
  async setIntakeHistory(summary: string): Promise<void> {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO intake_history (id, summary) VALUES (1, ?)", summary);
  }

  /**
   * Records objects the provider has accepted for this client; an id already recorded is kept
   * as it is. A training file's intake report is stored in the same call: writes with no
   * await between them are committed together, so a file is never owned without its report.
   */
  async recordOwned(objects: OwnedObject[], report?: StoredIntakeReport): Promise<void> {
    for (const o of objects) insertOwned(this.ctx.storage.sql, o);
    if (report !== undefined) this.insertReport(report);
  }

  /** Stores a refused upload's intake report, and the record of its file when the file is held for review (src/files/held.ts). */
  async storeIntakeReport(r: StoredIntakeReport, held?: { id: string; heldAt: number }): Promise<void> {
    this.insertReport(r);
    if (held !== undefined) insertHeld(this.ctx.storage.sql, { ...held, reportId: r.id });
  }

  /** A held file's record, or null. */
  async heldFile(id: string): Promise<HeldRow | null> {
    return heldRow(this.ctx.storage.sql, id);
  }

  /**
   * An admin's decision on a held file, or its expiry; returns the status it had (null: no
   * record). A release records the provider's file as this client's and names it on the
   * intake report in the same transaction, and only if no decision came first.
   */
  async decideHeld(d: HeldDecision): Promise<HeldStatus | null> {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const before = writeDecision(sql, d);
      if ((before === null || before === "held") && d.owned !== undefined) {
        insertOwned(sql, d.owned);
        sql.exec("UPDATE intake_reports SET file_id = ? WHERE id = ?", d.owned.id, d.reportId);
      }
      return before;
    });
  }

  /** Inserts a report and drops the oldest past INTAKE_REPORTS_KEPT. */
  private insertReport(r: StoredIntakeReport): void {
    const sql = this.ctx.storage.sql;
    sql.exec("INSERT INTO intake_reports (id, created, sha256, verdict, file_id, findings, report) VALUES (?, ?, ?, ?, ?, ?, ?)", r.id, r.created, r.sha256, r.verdict, r.fileId, r.findings, r.report);
    sql.exec("DELETE FROM intake_reports WHERE rowid <= (SELECT MAX(rowid) FROM intake_reports) - ?", INTAKE_REPORTS_KEPT);
  }

  /** One of this client's intake reports, or null (another client's id is simply not here). */
  async intakeReport(id: string): Promise<StoredIntakeReportWithHold | null> {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<ReportRow & { report: string }>("SELECT id, created, sha256, verdict, file_id, findings, report FROM intake_reports WHERE id = ?", id).toArray()[0];
    return row === undefined ? null : { ...listing(row), report: row.report, held: heldOfReport(sql, id) };
  }

  /** This client's newest intake reports, newest first, without the reports themselves. */
  async intakeReports(limit: number): Promise<IntakeReportListing[]> {
    return this.ctx.storage.sql.exec<ReportRow>("SELECT id, created, sha256, verdict, file_id, findings FROM intake_reports ORDER BY rowid DESC LIMIT ?", limit).toArray().map(listing);
  }

  /** The object if this client owns it, else null. */
  async ownedObject(kind: ObjectKind, id: string): Promise<OwnedObject | null> {
    return this.ctx.storage.sql.exec<OwnedRow>(`SELECT ${OWNED_COLUMNS} FROM owned_objects WHERE kind = ? AND id = ?`, kind, id).toArray()[0] ?? null;
  }

  /**
   * A page of this client's objects in the order they were recorded (newest first for
   * `desc`), after the object `page.after`; an `after` the client does not own gives an empty page.
   */
  async listOwned(kind: ObjectKind, page: OwnedPage): Promise<{ data: OwnedObject[]; hasMore: boolean }> {
    const desc = page.order === "desc";
    const where = ["kind = ?"];
    const args: (string | number)[] = [kind];
    if (page.purpose !== undefined) {
      where.push("purpose = ?");
      args.push(page.purpose);
    }
    if (page.hidden.length > 0) {
      where.push(`purpose NOT IN (${page.hidden.map(() => "?").join(", ")})`);
      args.push(...page.hidden);
    }
    if (page.after !== undefined) {
      where.push(`rowid ${desc ? "<" : ">"} (SELECT rowid FROM owned_objects WHERE kind = ? AND id = ?)`);
      args.push(kind, page.after);
    }
    const rows = this.ctx.storage.sql
      .exec<OwnedRow>(`SELECT ${OWNED_COLUMNS} FROM owned_objects WHERE ${where.join(" AND ")} ORDER BY rowid ${desc ? "DESC" : "ASC"} LIMIT ?`, ...args, page.limit + 1)
      .toArray();
    return { data: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
  }

  /**
   * Which of the ids a request body names are this client's, in one call: for each, a file's
   * purpose (its scope is checked by the caller), "" for a response or item, or null. A
   * response record older than OWNED_RESPONSE_TTL_MS owns nothing even before it is pruned.
   */
  async ownedRefs(refs: readonly { kind: "file" | "response" | "item"; id: string }[], now: number): Promise<(string | null)[]> {
    const sql = this.ctx.storage.sql;
    const since = now - OWNED_RESPONSE_TTL_MS;
    // One statement per id: a bound-parameter list would hit SQLite's limit on long lists.
    return refs.map((r) => {
      if (r.kind === "file") return sql.exec<{ purpose: string }>("SELECT purpose FROM owned_objects WHERE kind = 'file' AND id = ?", r.id).toArray()[0]?.purpose ?? null;
      return sql.exec("SELECT 1 FROM owned_responses WHERE kind = ? AND id = ? AND created >= ?", r.kind, r.id, since).toArray().length > 0 ? "" : null;
    });
  }

  /**
   * Records a stored response and its output items as this client's, then drops records past
   * OWNED_RESPONSES_KEPT responses or older than OWNED_RESPONSE_TTL_MS. Recording the same
   * response again keeps the first record.
   */
  async recordResponse(r: CreatedResponse, now: number): Promise<void> {
    const sql = this.ctx.storage.sql;
    const seq = sql.exec<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM owned_responses").one().seq;
    sql.exec("INSERT OR IGNORE INTO owned_responses (kind, id, seq, created) VALUES ('response', ?, ?, ?)", r.id, seq, now);
    for (const item of r.items.slice(0, RESPONSE_ITEMS_KEPT)) sql.exec("INSERT OR IGNORE INTO owned_responses (kind, id, seq, created) VALUES ('item', ?, ?, ?)", item, seq, now);
    sql.exec("DELETE FROM owned_responses WHERE seq <= ?", seq - OWNED_RESPONSES_KEPT);
    sql.exec("DELETE FROM owned_responses WHERE created < ?", now - OWNED_RESPONSE_TTL_MS);
  }

  /** Sets the status the gateway last saw (a job's progress). */
  async setOwnedStatus(kind: ObjectKind, id: string, status: string): Promise<void> {
    this.ctx.storage.sql.exec("UPDATE owned_objects SET status = ? WHERE kind = ? AND id = ?", status, kind, id);
  }

  /** Forgets an object (a deleted file); true when it was this client's. */
  async forgetOwned(kind: ObjectKind, id: string): Promise<boolean> {
    return this.ctx.storage.sql.exec("DELETE FROM owned_objects WHERE kind = ? AND id = ?", kind, id).rowsWritten > 0;
  }
}

function insertOwned(sql: SqlStorage, o: OwnedObject): void {
  sql.exec(
    "INSERT INTO owned_objects (kind, id, created, purpose, bytes, sha256, filename, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING",
    o.kind, o.id, o.created, o.purpose, o.bytes, o.sha256, o.filename, o.status,
  );
}

function listing(r: ReportRow): IntakeReportListing {
  return { id: r.id, created: r.created, sha256: r.sha256, verdict: r.verdict, fileId: r.file_id, findings: r.findings };
}
