/**
 * Worker entry. Durable Object classes are exported from here as later stages add them.
 */
import { app } from "./app";

export { ClientState } from "./admission/client-state";
export { RulesSignal } from "./rules/signal";
export { AuditLog } from "./audit/writer";

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
