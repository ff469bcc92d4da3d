/**
 * Settlements wait briefly and ride along with the client's next admission call, or go
 * together in one call of their own (src/admission/settle-queue.ts); a failed carrier puts
 * them back. Driven against the real client object through a stub that counts the calls.
 */
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { AdmitRequest, AdmitResult } from "../src/admission/client-state";
import { policyText } from "../src/admission/policy-text";
import { MAX_SETTLEMENTS_PER_CALL, sendSettlements, settleLater, takeSettlements, type Settlement } from "../src/admission/settle-queue";
import { GatewayError } from "../src/errors";
import { admitWithRetry } from "../src/middleware/admission";
import { LimitsSchema } from "../src/quota/limits";
import { doError } from "./faults-helpers";

const LIMITS = LimitsSchema.parse({ concurrent_streams: 1, daily_tokens: 1_000_000 });
const LIMITS_TEXT = policyText(LIMITS);

interface Calls {
  admits: AdmitRequest[];
  settleMany: Settlement[][];
}

/** env.CLIENT_STATE, recording what each admit and settleMany carried; `failAdmit` rejects admits as overloaded. */
function countingNs(failAdmit = false): { ns: Env["CLIENT_STATE"]; calls: Calls } {
  const real = env.CLIENT_STATE;
  const calls: Calls = { admits: [], settleMany: [] };
  const ns = {
    idFromName: (name: string) => real.idFromName(name),
    get(id: DurableObjectId) {
      const stub = real.get(id);
      return {
        admit(req: AdmitRequest): Promise<AdmitResult> {
          calls.admits.push(req);
          return failAdmit ? Promise.reject(doError.overloaded()) : (stub.admit(req) as Promise<AdmitResult>);
        },
        settleMany(batch: Settlement[]) {
          calls.settleMany.push(batch);
          return stub.settleMany(batch);
        },
        usage: (...a: Parameters<typeof stub.usage>) => stub.usage(...a),
      };
    },
  };
  return { ns: ns as unknown as Env["CLIENT_STATE"], calls };
}

let seq = 0;
const uniqueName = (): string => `settle-queue-${++seq}-${crypto.randomUUID()}`;

function streamRequest(id: string, stream = true): AdmitRequest {
  return { keyHash: "", now: Date.now(), quota: { limits: LIMITS_TEXT, prices: {}, request: { id, model: "m", inputTokens: 10, outputCap: 100, n: 1, stream } } };
}

const released = (id: string): Settlement => ({ id, outcome: { released: true }, limits: LIMITS_TEXT, now: Date.now() });
const used = (id: string, outputTokens: number): Settlement => ({ id, outcome: { inputTokens: 10, outputTokens }, limits: LIMITS_TEXT, now: Date.now() });

const waitUntils: Promise<unknown>[] = [];
const OPTIONS = { deadlineMs: 2000, waitUntil: (p: Promise<unknown>) => void waitUntils.push(p) };

describe("settlements ride along with the next admission", () => {
  it("the client's next admission carries a waiting settlement, and the slot it frees counts for that request", async () => {
    const { ns, calls } = countingNs();
    const name = uniqueName();
    expect((await admitWithRetry(ns, name, streamRequest("req_a"), OPTIONS)).ok).toBe(true);
    // One stream allowed: without the settlement the second stream is refused.
    const refused = await admitWithRetry(ns, name, streamRequest("req_b"), OPTIONS);
    expect(refused).toMatchObject({ ok: false, reason: "too_many_streams" });

    const queued = settleLater(ns, name, used("req_a", 40));
    const admitted = await admitWithRetry(ns, name, streamRequest("req_c"), OPTIONS);
    expect(admitted.ok).toBe(true);
    expect(calls.admits.at(-1)!.settles?.map((s) => s.id)).toEqual(["req_a"]);
    await queued;
    // Carried, so never sent on its own.
    expect(calls.settleMany).toEqual([]);
    const usage = await ns.get(ns.idFromName(name)).usage(LIMITS, Date.now());
    expect(usage.day.tokens.used).toBe(50);
  });

  it("with no admission in time, the waiting settlements go together in one call", async () => {
    const { ns, calls } = countingNs();
    const name = uniqueName();
    const a = await admitWithRetry(ns, name, streamRequest("req_a", false), OPTIONS);
    const b = await admitWithRetry(ns, name, streamRequest("req_b", false), OPTIONS);
    expect(a.ok && b.ok).toBe(true);
    await Promise.all([settleLater(ns, name, used("req_a", 5)), settleLater(ns, name, released("req_b"))]);
    expect(calls.settleMany.map((batch) => batch.map((s) => s.id))).toEqual([["req_a", "req_b"]]);
    const usage = await ns.get(ns.idFromName(name)).usage(LIMITS, Date.now());
    expect(usage.day.tokens).toMatchObject({ used: 15, reserved: 0 });
    expect(takeSettlements(ns, name)).toEqual([]);
  });

  it("a failed admission call puts its settlements back and sends them on their own", async () => {
    const good = countingNs();
    const name = uniqueName();
    expect((await admitWithRetry(good.ns, name, streamRequest("req_a"), OPTIONS)).ok).toBe(true);
    const failing = countingNs(true);
    const queued = settleLater(failing.ns, name, used("req_a", 7));
    waitUntils.length = 0;
    await expect(admitWithRetry(failing.ns, name, streamRequest("req_b"), OPTIONS)).rejects.toThrow(GatewayError);
    expect(failing.calls.admits[0]!.settles?.map((s) => s.id)).toEqual(["req_a"]);
    await Promise.all(waitUntils);
    await queued;
    expect(failing.calls.settleMany.map((batch) => batch.map((s) => s.id))).toEqual([["req_a"]]);
    const usage = await good.ns.get(good.ns.idFromName(name)).usage(LIMITS, Date.now());
    expect(usage.day.tokens).toMatchObject({ used: 17, reserved: 0 });
  });

  it("a settlement sent twice (a carrier failed after the object applied it) is charged once", async () => {
    const { ns } = countingNs();
    const name = uniqueName();
    expect((await admitWithRetry(ns, name, streamRequest("req_a"), OPTIONS)).ok).toBe(true);
    const stub = ns.get(ns.idFromName(name));
    await stub.settleMany([used("req_a", 3)]);
    await stub.admit({ ...streamRequest("req_b"), settles: [used("req_a", 3)] });
    await stub.settleMany([used("req_a", 3)]);
    const usage = await stub.usage(LIMITS, Date.now());
    expect(usage.day.tokens).toMatchObject({ used: 13, reserved: 110 });
  });

  it(`a call carries at most ${MAX_SETTLEMENTS_PER_CALL} settlements; the rest follow in the next`, async () => {
    const { ns, calls } = countingNs();
    const name = uniqueName();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const pending = Array.from({ length: MAX_SETTLEMENTS_PER_CALL + 6 }, (_, i) => settleLater(ns, name, released(`req_${i}`)));
    await sendSettlements(ns, name);
    expect(calls.settleMany.map((b) => b.length)).toEqual([MAX_SETTLEMENTS_PER_CALL, 6]);
    await Promise.all(pending);
    // Nothing was left for the queued calls themselves to send.
    expect(calls.settleMany).toHaveLength(2);
    expect(errors).not.toHaveBeenCalled();
  });
});
