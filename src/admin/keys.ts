/**
 * `POST /admin/v1/keys/revoke`: revokes an API key everywhere at once. The KV record is
 * marked revoked (eventually consistent), and the key's hash is written to its client's
 * Durable Object, which every request passes through (strongly consistent): the next
 * request with that key is refused, wherever it lands. `npm run keys -- revoke` calls this.
 * The revocation is recorded in the audit trail (`key/revoked`, with the admin client).
 */
import type { Context } from "hono";
import { z } from "zod";
import { KeyRecordSchema } from "../auth/identity";
import { keyStorageName, resetKeyCache } from "../auth/api-keys";
import { recordAudit } from "../audit/client";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import { decodeUtf8, parseJsonObject, validateBody } from "../request/body";

const RevokeSchema = z.strictObject({ key_hash: z.string().regex(/^[0-9a-f]{64}$/) });

export async function revokeKey(c: Context<AppEnv>): Promise<Response> {
  const { key_hash } = validateBody(RevokeSchema, parseJsonObject(decodeUtf8(c.get("rawBody")))) as z.infer<typeof RevokeSchema>;
  const name = keyStorageName(key_hash);
  const stored = await c.env.CONFIG_KV.get(name, "json");
  const record = KeyRecordSchema.safeParse(stored);
  if (!record.success) throw new GatewayError("not_found", { message: "No such key.", detail: "revoke: unknown key hash" });

  const at = Date.now();
  const ns = c.env.CLIENT_STATE;
  await ns.get(ns.idFromName(record.data.client_id)).revokeKey(key_hash, at);
  await c.env.CONFIG_KV.put(name, JSON.stringify({ ...(stored as Record<string, unknown>), revoked: true, revoked_at: new Date(at).toISOString() }));
  // This isolate forgets its cached record at once; others re-read within KEY_CACHE_MS, and
  // the client object refuses the key in the meantime.
  resetKeyCache();
  recordAudit(c.env, c.executionCtx, [
    { at, kind: "key", client: record.data.client_id, tenant: record.data.tenant, rule: "", rulesVersion: c.get("log").rulesVersion, action: "revoked", promptMac: null, detail: { key_id: key_hash.slice(0, 12), actor: c.get("identity").clientId } },
  ]);
  return c.json({ revoked: true, client_id: record.data.client_id, key_hash });
}
