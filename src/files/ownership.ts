/**
 * Object-level authorisation (OWASP API Security Top 10 2023, API1: Broken Object Level
 * Authorization): the provider sees one account for every client, so the gateway records
 * which files and jobs each client created, in that client's Durable Object, and answers an
 * id the caller does not own exactly as it answers an id that does not exist.
 *
 * Fails closed: an object that cannot answer is 503 `ownership_unavailable`, never "owned".
 */
import type { Context } from "hono";
import type { ClientState } from "../admission/client-state";
import { assertScope } from "../middleware/authorise";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import type { StoredIntakeReport } from "./intake-reports";
import { scopeForPurpose, type ObjectKind, type OwnedObject, type OwnedPage } from "./objects";

const NOT_FOUND = { file: "file_not_found", job: "job_not_found" } as const;

/**
 * Runs one call on the caller's Durable Object, or on `clientId`'s (an admin acting on a
 * client's held file, src/admin/quarantine.ts).
 */
export async function owners<T>(c: Context<AppEnv>, call: (stub: DurableObjectStub<ClientState>) => Promise<T>, clientId = c.get("identity").clientId): Promise<T> {
  const ns = c.env.CLIENT_STATE;
  try {
    return await call(ns.get(ns.idFromName(clientId)));
  } catch (err) {
    throw new GatewayError("ownership_unavailable", { detail: `client object: ${err instanceof Error ? err.name : "failed"}` });
  }
}

/**
 * The caller's object, or 404 whether it is missing or another client's. A file also needs
 * the scope of its purpose (`fine_tune` for training data and results); the caller owns it,
 * so saying 403 reveals nothing.
 */
export async function requireOwned(c: Context<AppEnv>, kind: ObjectKind, id: string, param: string | null = null): Promise<OwnedObject> {
  const row = await owners(c, (s) => s.ownedObject(kind, id));
  if (row === null) throw new GatewayError(NOT_FOUND[kind], { param, detail: `${kind} not owned by caller` });
  if (kind === "file") assertScope(c.get("identity"), scopeForPurpose(row.purpose));
  return row;
}

export function listOwned(c: Context<AppEnv>, kind: ObjectKind, page: OwnedPage): Promise<{ data: OwnedObject[]; hasMore: boolean }> {
  return owners(c, (s) => s.listOwned(kind, page));
}

/**
 * Records objects the provider has just created. If that fails the object would exist
 * unowned, reachable by nobody: `undo` removes it at the provider (best effort, before the
 * answer, while the request can still make calls) and the client gets 503, so a retry does
 * not leave a second copy behind. A training file's intake report is recorded with it.
 */
export async function recordOwned(c: Context<AppEnv>, objects: OwnedObject[], undo: () => Promise<unknown>, report?: StoredIntakeReport): Promise<void> {
  try {
    await owners(c, (s) => s.recordOwned(objects, report));
  } catch (err) {
    await undo().catch(() => console.error(`aigis: could not remove an unrecorded object at the provider (request ${c.get("requestId")})`));
    throw err;
  }
}
