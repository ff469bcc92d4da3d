/**
 * `RulesSignal`: one SQLite-backed Durable Object (`idFromName("rules")`) holding the newest
 * rules document pushed through the gateway (`POST /admin/v1/rules/signal`), with its push
 * sequence number. Isolates ask it on every rules refresh (`since`), so a push reaches them
 * within `RULES_TTL_MS` plus one round trip instead of waiting for KV's cache and
 * propagation. It keeps at most one row; KV stays the durable record (docs/rules.md).
 */
import { DurableObject } from "cloudflare:workers";

/** What `since` answers: the stored seq, and the document only when it is newer than the caller's. */
export type SignalSince = { seq: number; text?: undefined; hash?: undefined } | { seq: number; text: string; hash: string };

/** The one object's name. */
export const RULES_SIGNAL_NAME = "rules";

export class RulesSignal extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS signal (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, text TEXT NOT NULL, hash TEXT NOT NULL)");
    });
  }

  private row(): { seq: number; text: string; hash: string } | undefined {
    return this.ctx.storage.sql.exec<{ seq: number; text: string; hash: string }>("SELECT seq, text, hash FROM signal WHERE id = 1").toArray()[0];
  }

  /** Stores the document only when `seq` is newer than the stored one; whether it did, and the seq in force after the call. */
  async put(seq: number, text: string, hash: string): Promise<{ stored: boolean; seq: number }> {
    const current = this.row();
    if (current !== undefined && seq <= current.seq) return { stored: false, seq: current.seq };
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO signal (id, seq, text, hash) VALUES (1, ?, ?, ?)", seq, text, hash);
    return { stored: true, seq };
  }

  /** `{ seq: 0 }` when nothing was signalled; `{ seq }` when the caller already knows it; else the document. */
  async since(knownSeq: number): Promise<SignalSince> {
    const current = this.row();
    if (current === undefined) return { seq: 0 };
    if (current.seq <= knownSeq) return { seq: current.seq };
    return { seq: current.seq, text: current.text, hash: current.hash };
  }
}

/** The source `getRules` asks; a plain interface so tests can pass a stub. */
export interface RulesSignalSource {
  since(knownSeq: number): Promise<SignalSince>;
}

/** The signal source behind the binding; undefined when the binding is absent. */
export function signalSource(ns: DurableObjectNamespace<RulesSignal> | undefined): RulesSignalSource | undefined {
  if (ns === undefined) return undefined;
  return { since: async (knownSeq) => (await ns.get(ns.idFromName(RULES_SIGNAL_NAME)).since(knownSeq)) as SignalSince };
}
