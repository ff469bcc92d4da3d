/**
 * Stage 6b: object ids in request bodies (OWASP API Security Top 10 2023, API1: Broken
 * Object Level Authorization). The files routes check the id in the path; here the ids a
 * chat or Responses body names (files, `previous_response_id`, `item_reference`,
 * `conversation`: src/policy/objects.ts) must be the caller's, or the request is answered
 * exactly as if the object did not exist. After authorise, so the plan's parameter policy
 * has run, and before admission, so a refused request is never charged or forwarded.
 *
 * A body without ids costs no Durable Object call. With ids, one call asks the caller's
 * object about all of them; an object that cannot answer is 503 `ownership_unavailable`,
 * never "owned". In the plan's policy shadow mode a refusal is recorded, not applied.
 *
 * After the response, a stored Responses answer (`store` not false) is recorded as the
 * caller's, response id and output item ids, from `waitUntil`: never on the client's time.
 */
import type { Context, MiddlewareHandler } from "hono";
import { GatewayError, type ErrorCode } from "../errors";
import type { AppEnv } from "../env";
import { isObjectId, scopeForPurpose } from "../files/objects";
import { owners } from "../files/ownership";
import { bodyObjectRefs, isProviderId, MAX_BODY_OBJECT_REFS, type BodyObjectKind, type BodyObjectRef } from "../policy/objects";
import { planFor } from "../rules/schema";
import { assertScope } from "./authorise";

/** A foreign id gets the answer of a missing one. No route creates a conversation, so none is anybody's. */
const REFUSAL: Record<BodyObjectKind, ErrorCode> = {
  file: "file_not_found",
  response: "response_not_found",
  item: "item_not_found",
  conversation: "conversation_not_supported",
};

type Lookup = BodyObjectRef & { kind: "file" | "response" | "item" };

/** Ids of a shape the provider never writes cannot have been recorded: not owned, no lookup. */
function needsLookup(r: BodyObjectRef): r is Lookup {
  if (r.kind === "conversation") return false;
  return r.kind === "file" ? isObjectId("file", r.id) : isProviderId(r.id);
}

/** The body's ids, each once (the first place it appears names it), at most MAX_BODY_OBJECT_REFS. */
function distinctRefs(refs: readonly BodyObjectRef[]): BodyObjectRef[] {
  const seen = new Map<string, BodyObjectRef>();
  for (const r of refs) {
    const key = `${r.kind}:${r.id}`;
    if (seen.has(key)) continue;
    if (seen.size === MAX_BODY_OBJECT_REFS) {
      throw new GatewayError("invalid_parameter", { param: r.param, message: `A request may refer to at most ${MAX_BODY_OBJECT_REFS} stored objects.`, detail: "too many object ids in body" });
    }
    seen.set(key, r);
  }
  return [...seen.values()];
}

async function checkRefs(c: Context<AppEnv>, refs: readonly BodyObjectRef[]): Promise<void> {
  const distinct = distinctRefs(refs);
  const lookups = distinct.filter(needsLookup);
  const answers = lookups.length === 0 ? [] : await owners(c, (s) => s.ownedRefs(lookups.map((r) => ({ kind: r.kind, id: r.id })), Date.now()));
  const owned = new Map<BodyObjectRef, string | null>();
  lookups.forEach((r, i) => owned.set(r, answers[i] ?? null));

  const shadow = planFor(c.get("rules").doc, c.get("identity").plan).mode.policy === "shadow";
  for (const r of distinct) {
    const purpose = owned.get(r) ?? null;
    if (purpose === null) {
      const err = new GatewayError(REFUSAL[r.kind], { param: r.param, detail: `${r.kind} not owned by caller` });
      if (!shadow) throw err;
      c.get("log").decision = "shadow";
      c.get("log").ruleIds.push(`shadow.${err.code}:${r.param}`);
      continue;
    }
    // As on the files routes: the caller owns the file, so naming the scope it lacks reveals
    // nothing; scopes belong to the credential and are never shadowed.
    if (r.kind === "file") assertScope(c.get("identity"), scopeForPurpose(purpose));
  }
}

/** Records a stored response as the caller's once the answer (or the stream) is complete. */
function recordCreated(c: Context<AppEnv>): void {
  if (c.get("body").store === false || c.res.status !== 200) return;
  const streamDone = c.get("streamDone");
  const clientId = c.get("identity").clientId;
  const ns = c.env.CLIENT_STATE;
  const work = async (): Promise<void> => {
    if (streamDone !== undefined) await streamDone.catch(() => {});
    const created = c.get("createdResponse");
    if (created === undefined) return;
    await ns.get(ns.idFromName(clientId)).recordResponse(created, Date.now());
  };
  c.executionCtx.waitUntil(
    work().catch(() => {
      // Fails closed by itself: an unrecorded response is nobody's, so continuing it is 404.
      console.error(`aigis: recording the response of ${c.get("requestId")} failed; it cannot be continued through the gateway`);
    }),
  );
}

/**
 * @example app.use("/v1/*", bodyObjects()) // right after authorise()
 */
export function bodyObjects(): MiddlewareHandler<AppEnv> {
  return async function bodyObjectsStage(c, next) {
    const route = c.get("route");
    if (route !== "chat" && route !== "responses") return next();
    const refs = bodyObjectRefs(route, c.get("body"));
    if (refs.length > 0) await checkRefs(c, refs);
    await next();
    if (route === "responses") recordCreated(c);
  };
}
