/**
 * One Durable Object per client (`idFromName(clientId)`), SQLite-backed: the strongly
 * consistent place for everything about a client that must be exact. The admission stage
 * makes exactly one RPC call to it per request (`admit`), which checks revocation and every
 * rate limit and budget at once; `settle` runs after the response, through waitUntil.
 *
 * The object is a thin shell: the arithmetic is the pure engine in src/quota, and the state
 * it keeps is bounded (a few KB) and written to SQLite on every change, so an evicted or
 * restarted object continues exactly where it stopped (in-memory state alone would be lost).
 */
import { DurableObject } from "cloudflare:workers";
import { admit, emptyState, settle, usageReport, type ActualUsage, type AdmitRefusal, type AdmitRequest as QuotaRequest, type PolicyStatus, type QuotaState, type Released, type Reservation, type UsageReport } from "../quota/engine";
import type { Limits, PriceTable } from "../quota/limits";

export interface AdmitRequest {
  /** SHA-256 hex of the API key used, or "" for credentials that are not revocable here. */
  keyHash: string;
  now: number;
  /** Absent for requests that consume no quota (GET /v1/models). */
  quota?: { limits: Limits; prices: PriceTable; request: QuotaRequest };
}

export type AdmitResult =
  | { ok: true; reservation?: Reservation; policies?: PolicyStatus[] }
  | { ok: false; reason: "revoked" }
  | { ok: false; reason: AdmitRefusal; policy: string; retryAfterMs: number; policies: PolicyStatus[] };

/** Longest time a quota change waits to be written to SQLite. */
export const FLUSH_MS = 100;

export class ClientState extends DurableObject<Env> {
  private revoked = new Set<string>();
  private quota: QuotaState = emptyState();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Load before any RPC runs, so no call ever sees a half-loaded state.
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec("CREATE TABLE IF NOT EXISTS revoked_keys (hash TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL)");
      sql.exec("CREATE TABLE IF NOT EXISTS quota_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)");
      for (const row of sql.exec<{ hash: string }>("SELECT hash FROM revoked_keys")) this.revoked.add(row.hash);
      const saved = sql.exec<{ state: string }>("SELECT state FROM quota_state WHERE id = 1").toArray()[0];
      if (saved !== undefined) this.quota = JSON.parse(saved.state) as QuotaState;
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
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO quota_state (id, state) VALUES (1, ?)", JSON.stringify(this.quota));
    }, FLUSH_MS);
  }

  /** The one call on the request path. A refusal changes nothing. */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    if (req.keyHash !== "" && this.revoked.has(req.keyHash)) return { ok: false, reason: "revoked" };
    if (req.quota === undefined) return { ok: true };
    const result = admit(this.quota, req.quota.limits, req.quota.prices, req.quota.request, req.now);
    if (!result.ok) return result;
    this.quota = result.state;
    this.save();
    return { ok: true, reservation: result.reservation, policies: result.policies };
  }

  /** Replaces a reservation by what was used (or releases it). Idempotent. */
  async settle(id: string, outcome: ActualUsage | Released, limits: Limits, now: number): Promise<{ settled: boolean; charged: { tokens: number; costUsd: number } }> {
    const result = settle(this.quota, id, outcome, limits, now);
    if (result.settled) {
      this.quota = result.state;
      this.save();
    }
    return { settled: result.settled, charged: result.charged };
  }

  async usage(limits: Limits, now: number): Promise<UsageReport> {
    return usageReport(this.quota, limits, now);
  }

  async revokeKey(hash: string, at: number): Promise<void> {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO revoked_keys (hash, revoked_at) VALUES (?, ?)", hash, at);
    this.revoked.add(hash);
  }

  async revokedCount(): Promise<number> {
    return this.revoked.size;
  }

  /** Size of the persisted quota state in bytes (reported, and bounded by tests). */
  async stateBytes(): Promise<number> {
    return JSON.stringify(this.quota).length;
  }
}
