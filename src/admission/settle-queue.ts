/**
 * Settlements on their way to client objects, per isolate. Settling is off the request path,
 * but as its own RPC per request it cost the isolate about as much as the admission call
 * itself (serialising, dispatching and answering a call; `npm run bench` measures one
 * Durable Object call per request as `bare_do` against `bare`). So a settlement waits here
 * for up to SETTLE_LINGER_MS:
 *
 * - the next admission call to the same object takes every waiting settlement along
 *   (`takeSettlements`); the object applies them before it admits, so the reservations they
 *   free count for that very request (a client's next stream finds its slot free);
 * - otherwise the request that queued it sends everything waiting in one `settleMany` call
 *   from its own waitUntil. Each request only ever sends from its own context, and nothing
 *   waits on a promise of another request (workerd ties I/O to the request that made it).
 *
 * Settling is idempotent (src/quota/settle.ts), so a settlement sent twice (an admission call
 * that failed or timed out after the object applied it, then resent) changes nothing. A
 * settlement that is never sent (the isolate died) is what src/quota/settle.ts already
 * handles: the reservation expires and is charged in full.
 */
import type { ActualUsage, Released } from "../quota/engine";
import type { Limits } from "../quota/limits";
import type { PolicyText } from "./policy-text";

/** One reservation's outcome, as the client object's `settleMany` and `admit` take it. */
export interface Settlement {
  id: string;
  outcome: ActualUsage | Released;
  /** The limits the reservation was made under, as text (./policy-text.ts). */
  limits: PolicyText<Limits>;
  now: number;
}

/** How long a settlement waits for an admission call to ride along with. */
export const SETTLE_LINGER_MS = 10;

/** Most settlements in one call: bounds the payload a busy client's admission carries. */
export const MAX_SETTLEMENTS_PER_CALL = 64;

type Namespace = Env["CLIENT_STATE"];

/** Waiting settlements per namespace and object name (tests bind other namespaces). */
const waiting = new WeakMap<Namespace, Map<string, Settlement[]>>();

function queueOf(ns: Namespace, name: string): Settlement[] {
  let byName = waiting.get(ns);
  if (byName === undefined) waiting.set(ns, (byName = new Map()));
  let queue = byName.get(name);
  if (queue === undefined) byName.set(name, (queue = []));
  return queue;
}

/**
 * Removes and returns up to MAX_SETTLEMENTS_PER_CALL waiting settlements for the object
 * `name`, oldest first, for a call that carries them. Empty when none wait.
 */
export function takeSettlements(ns: Namespace, name: string): Settlement[] {
  const byName = waiting.get(ns);
  const queue = byName?.get(name);
  if (queue === undefined || queue.length === 0) return [];
  const taken = queue.splice(0, MAX_SETTLEMENTS_PER_CALL);
  if (queue.length === 0) byName!.delete(name);
  return taken;
}

/** Puts settlements back at the front of the queue (a call that carried them failed). */
export function requeueSettlements(ns: Namespace, name: string, settlements: readonly Settlement[]): void {
  if (settlements.length > 0) queueOf(ns, name).unshift(...settlements);
}

/**
 * Sends whatever waits for `name` now, in as many calls as it takes. A failed call is logged
 * per settlement (the reservation stays held and expires as fully used: failing closed).
 */
export async function sendSettlements(ns: Namespace, name: string): Promise<void> {
  for (let batch = takeSettlements(ns, name); batch.length > 0; batch = takeSettlements(ns, name)) {
    try {
      await ns.get(ns.idFromName(name)).settleMany(batch);
    } catch {
      for (const s of batch) console.error(`aigis: settling ${s.id} failed; the reservation will expire as fully used`);
    }
  }
}

/**
 * Queues a settlement and resolves once it has been handed on: taken by an admission call
 * within SETTLE_LINGER_MS, or sent by this call. Run it inside waitUntil.
 *
 * @example ctx.waitUntil(settleLater(env.CLIENT_STATE, clientId, { id, outcome, limits: policyText(limits), now }));
 */
export async function settleLater(ns: Namespace, name: string, settlement: Settlement): Promise<void> {
  queueOf(ns, name).push(settlement);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_LINGER_MS));
  // Taken meanwhile (and not put back): its carrier is responsible for it now.
  if (waiting.get(ns)?.get(name)?.includes(settlement) !== true) return;
  await sendSettlements(ns, name);
}
