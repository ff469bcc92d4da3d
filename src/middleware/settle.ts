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
import { policyText } from "../admission/policy-text";
import { settleLater } from "../admission/settle-queue";

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
      // Queued: the client's next admission call takes it along, or it is sent on its own
      // shortly after (src/admission/settle-queue.ts). A failed send is logged there, and the
      // object reclaims reservations that never settle after their maximum age, charging
      // them in full (src/quota/settle.ts): a lost settle fails closed.
      const sends = [settleLater(ns, ref.clientId, { id, outcome, limits: policyText(ref.limits), now })];
      if (ref.tenantLimits !== undefined) sends.push(settleLater(ns, `tenant:${ref.tenant}`, { id, outcome, limits: policyText(ref.tenantLimits), now }));
      await Promise.all(sends);
    };
    c.executionCtx.waitUntil(work());
  };
}
