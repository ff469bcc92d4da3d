// @ts-check
/**
 * The Carlini et al. 2024 logit-bias sweep (scripts/lib/carlini.ts) against the mock LLM's
 * low-rank `mock-logit` models, called in-process (no server): the sweep must recover the
 * hidden size exactly, and give up without a wrong "recovered" when the API stops answering.
 *
 * Run: node --import tsx --test test-node/carlini.test.mjs
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createMockLlm } from "../mock/llm.mjs";
import { LOGIT_HIDDEN, LOGIT_VOCAB } from "../mock/logits.mjs";
import {
  centredSingularValues,
  jacobiEigenvalues,
  logitBiasSweep,
  queriesNeeded,
  rankByLargestGap,
} from "../scripts/lib/carlini.ts";

const llm = createMockLlm();

/**
 * A sweep `query` that asks the mock's chat endpoint for the first token's top 5 logprobs.
 * @param {string} model
 * @returns {(prompt: string, logitBias: Record<string, number>) => Promise<{ top: Array<{ id: number, logprob: number }> } | null>}
 */
function mockQuery(model) {
  return async (prompt, logitBias) => {
    const res = await llm(
      new Request("http://mock/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model,
          messages: [{ role: "user", content: prompt }],
          max_tokens: 1,
          logprobs: true,
          top_logprobs: 5,
          logit_bias: logitBias,
        }),
      }),
    );
    if (res.status !== 200) {
      await res.body?.cancel();
      return null;
    }
    const body = await res.json();
    /** @type {Array<{ token: string, logprob: number }>} */
    const top = body.choices[0].logprobs.content[0].top_logprobs;
    return { top: top.map((t) => ({ id: Number(/t(\d+)$/.exec(t.token)?.[1]), logprob: t.logprob })) };
  };
}

/**
 * Q·diag(values)·Qᵀ for a rotation Q made of a few Givens rotations: a symmetric matrix with known eigenvalues.
 * @param {number[]} values
 */
function withEigenvalues(values) {
  const n = values.length;
  const a = new Float64Array(n * n);
  for (const [i, v] of values.entries()) a[i * n + i] = v;
  /** @type {Array<[number, number, number]>} planes (p, q) and angles */
  const rotations = [[0, 1, 0.3], [1, 2, 1.1], [0, 3, -0.7], [2, 4, 0.4], [3, 4, 2.0]];
  for (const [p, q, angle] of rotations) {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    // a ← G a Gᵀ with G the rotation in the (p, q) plane.
    for (let k = 0; k < n; k++) {
      const kp = /** @type {number} */ (a[p * n + k]);
      const kq = /** @type {number} */ (a[q * n + k]);
      a[p * n + k] = c * kp - s * kq;
      a[q * n + k] = s * kp + c * kq;
    }
    for (let k = 0; k < n; k++) {
      const kp = /** @type {number} */ (a[k * n + p]);
      const kq = /** @type {number} */ (a[k * n + q]);
      a[k * n + p] = c * kp - s * kq;
      a[k * n + q] = s * kp + c * kq;
    }
  }
  return a;
}

describe("linear algebra", () => {
  test("Jacobi eigenvalues of known matrices, largest first", () => {
    const tri = jacobiEigenvalues([2, 1, 0, 1, 2, 1, 0, 1, 2], 3);
    const want = [2 + Math.SQRT2, 2, 2 - Math.SQRT2];
    want.forEach((w, i) => assert.ok(Math.abs(/** @type {number} */ (tri[i]) - w) < 1e-12, `${tri[i]} ≈ ${w}`));

    const values = [7.5, -3, 2, 0, 1e-3];
    const rotated = withEigenvalues(values);
    const got = jacobiEigenvalues(rotated, 5);
    [...values].sort((x, y) => y - x).forEach((w, i) => assert.ok(Math.abs(/** @type {number} */ (got[i]) - w) < 1e-12, `${got[i]} ≈ ${w}`));
    assert.equal(rotated[1], withEigenvalues(values)[1], "the input is not changed");
  });

  test("rank by the largest log drop; centring removes the common offset", () => {
    assert.deepEqual(rankByLargestGap([10, 9, 8, 1e-9, 1e-10]).rank, 3);
    assert.deepEqual(rankByLargestGap([0, 0]), { rank: 0, gap: 0 });
    // Rows a + c·u: an offset a plus multiples of one direction u. Uncentred rank 2, centred rank 1.
    const a = [3, 1, 4, 1, 5];
    const u = [0, 1, 0, -1, 2];
    const rows = [0.5, -1, 2, 3.5].map((c) => a.map((x, i) => x + c * /** @type {number} */ (u[i])));
    const gram = rows.flatMap((r) => rows.map((s) => r.reduce((sum, x, i) => sum + x * /** @type {number} */ (s[i]), 0)));
    assert.equal(rankByLargestGap(Array.from(jacobiEigenvalues(gram, 4), (e) => Math.sqrt(Math.max(e, 0)))).rank, 2);
    assert.equal(rankByLargestGap(centredSingularValues(gram, 4)).rank, 1);
  });

  test("the planned cost: (H + 1 + 8) rows of ceil((V − 1)/4) queries", () => {
    assert.equal(queriesNeeded(8192, 64, 5), 73 * 2048);
    assert.ok(queriesNeeded(LOGIT_VOCAB, LOGIT_HIDDEN, 5) > 100_000);
    assert.equal(queriesNeeded(512, 8, 5, 0), 9 * 128);
  });
});

describe("the sweep against mock-logit", () => {
  test("recovers H = 8 of mock-logit-v512-h8 at the planned cost", async () => {
    const progress = [];
    const result = await logitBiasSweep(mockQuery("mock-logit-v512-h8"), {
      vocab: 512,
      topK: 5,
      maxQueries: 10_000,
      onProgress: (queries, rows) => progress.push([queries, rows]),
    });
    assert.equal(result.recovered, true);
    assert.equal(result.stoppedBy, "recovered");
    assert.equal(result.hiddenEstimate, 8);
    assert.equal(result.queries, queriesNeeded(512, 8, 5));
    assert.equal(result.rows, 8 + 1 + 8);
    assert.equal(result.refusals, 0);
    assert.ok(result.gap > 3);
    assert.equal(progress.length, result.queries);
  });

  test("answers lost on the way cost queries, not the result", async () => {
    const query = mockQuery("mock-logit-v512-h8");
    let calls = 0;
    const result = await logitBiasSweep((prompt, bias) => (++calls % 7 === 0 ? Promise.resolve(null) : query(prompt, bias)), {
      vocab: 512,
      topK: 5,
      maxQueries: 10_000,
    });
    assert.equal(result.recovered, true);
    assert.equal(result.hiddenEstimate, 8);
    assert.equal(result.queries, queriesNeeded(512, 8, 5) + result.refusals);
    assert.ok(result.refusals > 0);
  });

  test("a bias of 40 already puts the swept tokens on top (the logits span about 25)", async () => {
    const result = await logitBiasSweep(mockQuery("mock-logit-v512-h8"), { vocab: 512, topK: 5, maxQueries: 10_000, bias: 40 });
    assert.equal(result.hiddenEstimate, 8);
    assert.equal(result.refusals, 0);
    assert.equal(result.queries, queriesNeeded(512, 8, 5));
  });

  // The full-size sweep (V = 8192, H = 64: 149,504 queries, ~25 s) is the unthrottled
  // baseline of `npm run simulate:extraction`, which checks it recovers H exactly.

  test("an API that stops answering after 500 queries: no recovery, no false estimate", async () => {
    const query = mockQuery("mock-logit");
    let calls = 0;
    const result = await logitBiasSweep((prompt, bias) => (++calls > 500 ? Promise.resolve(null) : query(prompt, bias)), {
      vocab: LOGIT_VOCAB,
      topK: 5,
      maxQueries: 200_000,
    });
    assert.equal(result.recovered, false);
    assert.equal(result.stoppedBy, "refusals");
    assert.notEqual(result.hiddenEstimate, LOGIT_HIDDEN);
    assert.equal(result.hiddenEstimate, null);
    assert.equal(result.rows, 0);
    assert.equal(result.refusals, 200);
    assert.equal(result.queries, 700);
  });

  test("a spent budget ends the sweep unrecovered", async () => {
    const result = await logitBiasSweep(mockQuery("mock-logit-v512-h8"), { vocab: 512, topK: 5, maxQueries: 1_000 });
    assert.equal(result.recovered, false);
    assert.equal(result.stoppedBy, "budget");
    assert.equal(result.queries, 1_000);
    assert.equal(result.rows, 7);
    assert.equal(result.hiddenEstimate, 6, "7 centred rows have rank 6, short of H");
  });
});
