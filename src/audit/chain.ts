/**
 * The audit trail's tamper evidence (issue 8), pure: records are hash-chained with HMAC-SHA256
 * under a deployment secret, so that changing, deleting, reordering or inserting a record is
 * detected by `verifyChain`, and someone who can write the store but does not hold the
 * secret cannot recompute a consistent chain. The single writer (an audit
 * Durable Object that buffers and appends to D1, src/audit/writer.ts) and `npm run audit`
 * share it.
 *
 * - Link: `mac_n = HMAC(key, mac_{n−1} ‖ "\n" ‖ canonical(record_n))`, with `mac_0` of the
 *   first record taken over the chain's anchor (64 zeros for a new chain).
 * - Pruning (retention) drops the oldest records and keeps an anchor `{ seq, mac }` of the
 *   last dropped one, itself MACed: the rest stays verifiable, and a forged anchor is not.
 * - Truncating the newest records cannot be seen from the records alone: the writer keeps the
 *   head `{ seq, mac }` and `verifyChain` compares with it when given.
 *
 * Prompt text never enters a record: `promptMac` is a keyed hash of it (proves "this prompt"
 * to someone who holds the prompt and the key, reveals nothing to anyone else).
 */

export type AuditValue = string | number | boolean | null;

export interface AuditRecord {
  /** Position in the chain, from 1, without gaps. */
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  /** decision (block, redact, throttle, deny, auth failure ...), key (created, revoked), rules (pushed, loaded), audit (the trail itself: dropped, pruned), data (training files and jobs: provenance). */
  kind: "decision" | "key" | "rules" | "audit" | "data";
  client: string;
  tenant: string;
  rule: string;
  rulesVersion: string;
  action: string;
  /** HMAC of the prompt text (hex), or null where there is no prompt. */
  promptMac: string | null;
  detail: Record<string, AuditValue>;
}

export interface ChainedRecord extends AuditRecord {
  /** This record's link (hex HMAC-SHA256). */
  mac: string;
}

/** Where a chain (or what is left of it after pruning) starts. */
export interface ChainAnchor {
  /** The seq of the last record before the chain's first one (0 for a new chain). */
  seq: number;
  mac: string;
  /** HMAC of `seq:mac`, so an anchor cannot be made up without the key (empty for the genesis anchor). */
  seal: string;
}

export const GENESIS: ChainAnchor = { seq: 0, mac: "0".repeat(64), seal: "" };

const encoder = new TextEncoder();

/**
 * JSON with object keys sorted at every level and no whitespace: the same record always has
 * the same bytes, whatever order its fields were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError("audit values must be finite numbers");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(",")}}`;
}

/** The HMAC-SHA256 key for a deployment secret (`AIGIS_AUDIT_KEY`). */
export function auditKey(secret: string): Promise<CryptoKey> {
  if (secret.length < 16) throw new RangeError("the audit secret must be at least 16 characters");
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function mac(key: CryptoKey, text: string): Promise<string> {
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
  let hex = "";
  for (const b of sig) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Keyed hash of a prompt, recorded instead of the prompt. */
export function promptMac(key: CryptoKey, prompt: string): Promise<string> {
  return mac(key, `prompt\n${prompt}`);
}

/** Appends `records` (their seq must continue from `head`) and returns them with their links. */
export async function chain(key: CryptoKey, head: { seq: number; mac: string }, records: readonly AuditRecord[]): Promise<ChainedRecord[]> {
  const out: ChainedRecord[] = [];
  let prev = head;
  for (const r of records) {
    if (r.seq !== prev.seq + 1) throw new RangeError(`audit record seq ${r.seq} does not follow ${prev.seq}`);
    const link = await mac(key, `${prev.mac}\n${canonicalJson(r)}`);
    out.push({ ...r, mac: link });
    prev = { seq: r.seq, mac: link };
  }
  return out;
}

/** The anchor that replaces pruned records: the last dropped record's seq and link, sealed. */
export async function anchorAfter(key: CryptoKey, last: { seq: number; mac: string }): Promise<ChainAnchor> {
  return { seq: last.seq, mac: last.mac, seal: await mac(key, `anchor\n${last.seq}:${last.mac}`) };
}

/** The writer's newest flushed record, sealed like an anchor so the stored head cannot be edited without the key. */
export async function sealHead(key: CryptoKey, head: { seq: number; mac: string }): Promise<ChainAnchor> {
  return { seq: head.seq, mac: head.mac, seal: await mac(key, `head\n${head.seq}:${head.mac}`) };
}

/** Whether a stored head's seal is the key's (the empty chain's head, seq 0, needs none). */
export async function headIsSealed(key: CryptoKey, head: ChainAnchor): Promise<boolean> {
  if (head.seq === 0 && head.mac === GENESIS.mac) return true;
  return head.seal === (await mac(key, `head\n${head.seq}:${head.mac}`));
}

export type VerifyResult = { ok: true; count: number; head: { seq: number; mac: string } } | { ok: false; seq: number; reason: string };

/**
 * Checks that `records` (in seq order) form an unbroken chain from `anchor`, and, given the
 * writer's `head`, that nothing after it is missing. Reports the first record that fails.
 */
export async function verifyChain(key: CryptoKey, anchor: ChainAnchor, records: readonly ChainedRecord[], head?: { seq: number; mac: string }): Promise<VerifyResult> {
  const genesis = anchor.seq === 0 && anchor.mac === GENESIS.mac;
  if (!genesis && anchor.seal !== (await mac(key, `anchor\n${anchor.seq}:${anchor.mac}`))) return { ok: false, seq: anchor.seq, reason: "anchor seal does not match" };
  let prev = { seq: anchor.seq, mac: anchor.mac };
  for (const r of records) {
    if (r.seq !== prev.seq + 1) return { ok: false, seq: r.seq, reason: `expected seq ${prev.seq + 1}: a record is missing or out of order` };
    const { mac: link, ...record } = r;
    if (link !== (await mac(key, `${prev.mac}\n${canonicalJson(record)}`))) return { ok: false, seq: r.seq, reason: "link does not match: the record or one before it was changed" };
    prev = { seq: r.seq, mac: link };
  }
  if (head !== undefined && (head.seq !== prev.seq || head.mac !== prev.mac)) return { ok: false, seq: prev.seq + 1, reason: `the chain ends at ${prev.seq} but the writer's head is ${head.seq}: records were removed from the end` };
  return { ok: true, count: records.length, head: prev };
}

/**
 * Retention: drops records older than `before` (ms) from the start of the chain and returns
 * what is kept with the anchor that keeps it verifiable. The newest record is always kept.
 */
export async function prune(key: CryptoKey, anchor: ChainAnchor, records: readonly ChainedRecord[], before: number): Promise<{ anchor: ChainAnchor; records: ChainedRecord[] }> {
  let drop = 0;
  while (drop < records.length - 1 && records[drop]!.at < before) drop++;
  if (drop === 0) return { anchor, records: [...records] };
  const last = records[drop - 1]!;
  return { anchor: await anchorAfter(key, { seq: last.seq, mac: last.mac }), records: records.slice(drop) };
}
