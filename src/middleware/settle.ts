/**
 * Stage 11: settle usage. Registered before admission so that it wraps everything after
 * it, but its work runs after the response (for streams: after the stream has ended),
 * through waitUntil, so settling never delays the client.
 *
 * - The provider was reached: charge what it reported (`usage`); a stream it did not report
 *   on is charged its input estimate plus the output counted from the deltas sent; an
 *   aborted stream is charged for what was generated.
 * - The provider was never reached (a later stage blocked the request, the provider failed):
 *   the token and spend reservation is released; the request still counted as a request.
 * - Nothing known at all: the engine charges the full reservation (fail closed).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, ReservationRef, UpstreamOutcome } from "../env";
import type { ActualUsage, Released } from "../quota/engine";

/** What to settle a reservation with. Pure. */
export function settlement(ref: ReservationRef, upstream: UpstreamOutcome | undefined): ActualUsage | Released {
  if (ref.released || upstream === undefined || !upstream.reached) return { released: true };
  const outputTokens = upstream.outputTokens ?? upstream.countedOutputTokens ?? Number.NaN;
  const inputTokens = upstream.inputTokens ?? ref.inputEstimate;
  return { inputTokens, outputTokens, aborted: upstream.aborted };
}

/**
 * @example app.use("/v1/*", settleUsage()) // before admission()
 */
export function settleUsage(): MiddlewareHandler<AppEnv> {
  return async function settleStage(c, next) {
    await next();
    const ref = c.get("reservation");
    if (ref === undefined) return;
    const id = c.get("requestId");
    const ns = c.env.CLIENT_STATE;
    const streamDone = c.get("streamDone");
    const work = async (): Promise<void> => {
      if (streamDone !== undefined) await streamDone.catch(() => {});
      const outcome = settlement(ref, c.get("upstream"));
      const now = Date.now();
      await ns.get(ns.idFromName(ref.clientId)).settle(id, outcome, ref.limits, now);
      if (ref.tenantLimits !== undefined) await ns.get(ns.idFromName(`tenant:${ref.tenant}`)).settle(id, outcome, ref.tenantLimits, now);
    };
    c.executionCtx.waitUntil(
      work().catch(() => {
        // The object reclaims reservations that never settle after their maximum age,
        // charging them in full (src/quota/settle.ts): a lost settle fails closed.
        console.error(`aigis: settling ${id} failed; the reservation will expire as fully used`);
      }),
    );
  };
}
