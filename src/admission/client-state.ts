/**
 * One Durable Object per client (`idFromName(clientId)`), SQLite-backed: the strongly
 * consistent place for everything about a client that must be exact. The admission stage
 * makes exactly one RPC call to it per request (`admit`); the quota, budget and probing
 * work add their checks to that same call, so the request path never pays two round trips.
 *
 * Today it holds the client's revoked API keys. KV, where key records live, is eventually
 * consistent (a write can take a minute or more to reach every location), so a revocation
 * is also written here, where the next request sees it at once.
 */
import { DurableObject } from "cloudflare:workers";

export interface AdmitRequest {
  /** SHA-256 hex of the API key used, or "" for credentials that are not revocable here. */
  keyHash: string;
  now: number;
}

export type AdmitResult = { ok: true } | { ok: false; reason: "revoked" };

export class ClientState extends DurableObject<Env> {
  private revoked = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Load before any RPC runs, so no call ever sees a half-loaded set.
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS revoked_keys (hash TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL)");
      for (const row of this.ctx.storage.sql.exec<{ hash: string }>("SELECT hash FROM revoked_keys")) this.revoked.add(row.hash);
    });
  }

  /** The one call on the request path. */
  async admit(req: AdmitRequest): Promise<AdmitResult> {
    if (req.keyHash !== "" && this.revoked.has(req.keyHash)) return { ok: false, reason: "revoked" };
    return { ok: true };
  }

  async revokeKey(hash: string, at: number): Promise<void> {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO revoked_keys (hash, revoked_at) VALUES (?, ?)", hash, at);
    this.revoked.add(hash);
  }

  async revokedCount(): Promise<number> {
    return this.revoked.size;
  }
}
