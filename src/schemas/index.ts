/**
 * The request schemas of the four proxied routes, one per (route, unknown-field policy).
 * Each is built on first use and cached at module scope, so no request pays for schema
 * construction and every request on a route shares one schema instance per policy.
 */
import type { z } from "zod";
import type { ApiRoute } from "../routes";
import { chatRequest } from "./chat";
import type { UnknownFieldPolicy } from "./common";
import { completionsRequest } from "./completions";
import { embeddingsRequest } from "./embeddings";
import { responsesRequest } from "./responses";

export { UNKNOWN_FIELD_POLICIES, type UnknownFieldPolicy } from "./common";

const BUILDERS = {
  chat: chatRequest,
  responses: responsesRequest,
  embeddings: embeddingsRequest,
  completions: completionsRequest,
} satisfies Record<ApiRoute, (policy: UnknownFieldPolicy) => z.ZodType<Record<string, unknown>>>;

/**
 * Built once per (route, policy) at module scope and cached.
 *
 * @example
 * const result = requestSchema("chat", "reject").safeParse(json);
 * if (!result.success) result.error.issues[0]; // e.g. { code: "unrecognized_keys", keys: ["foo"], path: ["messages", 0] }
 */
export function requestSchema(route: ApiRoute, policy: UnknownFieldPolicy): z.ZodType<Record<string, unknown>> {
  return BUILDERS[route](policy);
}
