/**
 * Policies on their way to a client object, as JSON text. Every admission call carries the
 * plan's limits and probing policy: about a kilobyte of nested objects, identical for every
 * request under one rules document. An RPC argument is serialised field by field on the
 * Worker's side and rebuilt on the object's, which made the admission call's arguments the
 * largest single item of the gateway's own CPU profile; a string is copied flat.
 *
 * So the Worker turns each policy object into text once (`policyText`, cached per object,
 * and the rules document's objects live as long as it is cached), and the object parses
 * each distinct text once (`readPolicy`, cached per text). Both sides are this module, so
 * the encoding cannot drift between them.
 */

/** JSON text of a `T`, made by `policyText`. The brand keeps texts of different policies apart. */
export type PolicyText<T> = string & { readonly __policyOf?: T };

const texts = new WeakMap<object, string>();

/**
 * The policy as text, the same string object for the same policy object.
 * @example stub.admit({ ..., quota: { limits: policyText(plan.limits), ... } })
 */
export function policyText<T extends object>(policy: T): PolicyText<T> {
  let text = texts.get(policy);
  if (text === undefined) texts.set(policy, (text = JSON.stringify(policy)));
  return text as PolicyText<T>;
}

/** Parsed texts per object instance. Few distinct texts exist (plans x rules versions). */
const parsed = new Map<string, unknown>();
const PARSED_KEPT = 64;

/**
 * The policy a text encodes; parsed once per distinct text. The value is shared: read only.
 * The text comes from this gateway's own `policyText`, never from a client.
 */
export function readPolicy<T>(text: PolicyText<T>): T {
  let policy = parsed.get(text);
  if (policy === undefined) {
    policy = JSON.parse(text) as unknown;
    if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, policy);
  }
  return policy as T;
}
