/**
 * The logit-bias sweep of Carlini et al. 2024, "Stealing Part of a Production Language Model"
 * (§4-§5): recovers the hidden size of a model behind an API that returns top-k logprobs and
 * accepts logit_bias. Pure: no I/O, the caller supplies `query`.
 *
 * For one prompt, each query biases the reference token and k−1 tokens whose logit is not yet
 * known by the same large B. With B bigger than the spread of the logits, those k tokens are the
 * top k, and as biasing all of them by B leaves their differences alone,
 *   logprob(t) − logprob(ref) = logit(t) − logit(ref).
 * ceil((V−1)/(k−1)) queries give the whole vector of relative logits r = z − z_ref·1 (one row).
 * Rows from different prompts are collected, and after each one the numerical rank of the row
 * matrix is estimated from the largest drop in its log singular values (Carlini fig. 2).
 *
 * Convention: the estimate is the hidden size H itself, not H+1. With logits z = W·h + b,
 *   r = (W − 1·w_refᵀ)·h + (b − b_ref·1),
 * an affine function of h, so uncentred rows span H+1 dimensions (the offset adds one). The
 * rows are centred across prompts (the mean row is subtracted), which removes the offset and
 * leaves rank exactly H once more than H prompts are in, whatever the bias b. N centred rows have
 * rank at most N−1, so "recovered" means: the largest drop exceeds `gapThreshold` nats and at
 * least `margin` more rows than needed (rows − 1 − rank ≥ margin) failed to raise the rank. That is
 * H + 1 + margin rows, exactly the `queriesNeeded` plan when no answer is lost.
 *
 * The spectrum comes from the Gram matrix G = R·Rᵀ (rows × rows, float64), centred as J·G·J
 * (J = I − 11ᵀ/N), and a cyclic Jacobi eigen solver: singular values = sqrt(eigenvalues).
 */

export interface TopLogprobs {
  top: Array<{ id: number; logprob: number }>;
}

/** One API call: the top logprobs of the first generated token, or null when refused or degraded. */
export type Query = (prompt: string, logitBias: Record<string, number>) => Promise<TopLogprobs | null>;

export interface SweepOptions {
  /** Vocabulary size V. */
  vocab: number;
  /** How many top logprobs an answer carries (k); each query learns k−1 logits. */
  topK: number;
  /** Budget: the sweep stops after this many calls of `query`, refused ones included. */
  maxQueries: number;
  /** Called after every query. */
  onProgress?: (queries: number, rows: number) => void;
  /** The i-th prompt; prompts must differ. Default: `Probe ${i}: continue the text.` */
  promptFor?: (i: number) => string;
  /** The bias B put on the reference and the swept tokens (default 100, OpenAI's maximum). */
  bias?: number;
  /** The reference token id (default 0). */
  reference?: number;
  /** Extra rows that must leave the rank unchanged before it counts as recovered (default 8). */
  margin?: number;
  /** The least drop in log singular values (nats) that separates signal from zero (default 3). */
  gapThreshold?: number;
  /** Consecutive refused or useless answers after which the sweep gives up (default 200). */
  giveUpAfterRefusals?: number;
}

export interface SweepResult {
  /** Calls of `query`, refused ones included. */
  queries: number;
  /** Complete rows (prompts whose whole relative-logit vector was recovered). */
  rows: number;
  /** The rank of the centred rows (the hidden size H), or null with fewer than 2 rows. */
  hiddenEstimate: number | null;
  recovered: boolean;
  /** Answers that were null or lacked the reference token. */
  refusals: number;
  /** Why the sweep ended. */
  stoppedBy: "recovered" | "budget" | "refusals";
  /** The centred rows' singular values, largest first (empty with fewer than 2 rows). */
  singularValues: number[];
  /** The largest drop in log singular values, in nats (0 with fewer than 2 rows). */
  gap: number;
}

/**
 * The planned cost of the sweep: (H + 1 + margin) rows of ceil((V−1)/(k−1)) queries each.
 * For V = 8192, H = 64, k = 5: 73 × 2048 = 149,504.
 */
export function queriesNeeded(vocab: number, hidden: number, topK: number, margin = 8): number {
  if (topK < 2) throw new RangeError("topK must be at least 2");
  return (hidden + 1 + margin) * Math.ceil((vocab - 1) / (topK - 1));
}

/**
 * Eigenvalues of a symmetric n×n matrix (row-major), largest first, by cyclic Jacobi rotations.
 * The input is not changed. Meant for small n (a few hundred at most).
 */
export function jacobiEigenvalues(matrix: ArrayLike<number>, n: number, maxSweeps = 100): Float64Array {
  if (matrix.length !== n * n) throw new RangeError(`expected ${n * n} entries, got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  const at = (i: number, j: number): number => a[i * n + j] as number;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += (a[i] as number) ** 2;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += at(p, q) ** 2;
    if (off <= scale * 1e-30 || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = at(k, p);
          const akq = at(k, q);
          const kp = c * akp - s * akq;
          const kq = s * akp + c * akq;
          a[k * n + p] = kp;
          a[p * n + k] = kp;
          a[k * n + q] = kq;
          a[q * n + k] = kq;
        }
        a[p * n + p] = at(p, p) - t * apq;
        a[q * n + q] = at(q, q) + t * apq;
        a[p * n + q] = 0;
        a[q * n + p] = 0;
      }
    }
  }
  const eig = new Float64Array(n);
  for (let i = 0; i < n; i++) eig[i] = at(i, i);
  return eig.sort().reverse();
}

/** J·G·J with J = I − 11ᵀ/n: the Gram matrix of the rows after subtracting their mean row. */
export function centreGram(gram: ArrayLike<number>, n: number): Float64Array {
  const rowMean = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += gram[i * n + j] as number;
    rowMean[i] = s / n;
    all += s;
  }
  all /= n * n;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = (gram[i * n + j] as number) - (rowMean[i] as number) - (rowMean[j] as number) + all;
  }
  return out;
}

/**
 * Below this fraction of the largest singular value, values from a float64 Gram matrix are noise:
 * forming R·Rᵀ squares the condition number, so eigenvalues are only good to about 1e-16 of the
 * largest, singular values to about 1e-8 of the largest. 1e-6 leaves a margin.
 */
export const GRAM_NOISE_FLOOR = 1e-6;

/**
 * The numerical rank of a spectrum (singular values, largest first): the number of values
 * before the largest drop in log value, and that drop in nats. Values below max × `floor` count
 * as max × `floor`, so the noise among (and the sign of) near-zero values cannot make a drop;
 * the drop is then at most −ln(floor) (13.8 nats by default). All zero: rank 0.
 */
export function rankByLargestGap(singular: ArrayLike<number>, floor = GRAM_NOISE_FLOOR): { rank: number; gap: number } {
  const top = singular.length > 0 ? (singular[0] as number) : 0;
  if (!(top > 0)) return { rank: 0, gap: 0 };
  const least = Math.log(top * floor);
  const logs = Array.from(singular, (s) => (s > 0 ? Math.max(Math.log(s), least) : least));
  let rank = singular.length;
  let gap = 0;
  for (let i = 0; i + 1 < logs.length; i++) {
    const drop = (logs[i] as number) - (logs[i + 1] as number);
    if (drop > gap) {
      gap = drop;
      rank = i + 1;
    }
  }
  return { rank, gap };
}

/**
 * Singular values (largest first) of the centred rows whose uncentred Gram matrix is given.
 * One of them is always (numerically) zero: centring makes the rows sum to zero. The noise floor
 * of `rankByLargestGap` keeps it from standing out from the other zeros.
 */
export function centredSingularValues(gram: ArrayLike<number>, n: number): number[] {
  return Array.from(jacobiEigenvalues(centreGram(gram, n), n), (e) => Math.sqrt(Math.max(e, 0)));
}

/**
 * Runs the sweep until the hidden size is recovered, the budget is spent or the API keeps
 * refusing. A row is only used once complete; tokens an answer lacks are asked again later.
 */
export async function logitBiasSweep(query: Query, opts: SweepOptions): Promise<SweepResult> {
  const { vocab, topK, maxQueries, onProgress } = opts;
  const promptFor = opts.promptFor ?? ((i: number) => `Probe ${i}: continue the text.`);
  const bias = opts.bias ?? 100;
  const reference = opts.reference ?? 0;
  const margin = opts.margin ?? 8;
  const gapThreshold = opts.gapThreshold ?? 3;
  const giveUp = opts.giveUpAfterRefusals ?? 200;
  if (!Number.isInteger(vocab) || vocab < 2) throw new RangeError("vocab must be an integer >= 2");
  if (!Number.isInteger(topK) || topK < 2) throw new RangeError("topK must be an integer >= 2");
  if (!Number.isInteger(reference) || reference < 0 || reference >= vocab) throw new RangeError("reference must be a token id");

  const rows: Float64Array[] = [];
  let gram = new Float64Array(0);
  let queries = 0;
  let refusals = 0;
  let consecutive = 0;
  let singularValues: number[] = [];
  let estimate: { rank: number; gap: number } | null = null;
  const result = (stoppedBy: SweepResult["stoppedBy"]): SweepResult => ({
    queries,
    rows: rows.length,
    hiddenEstimate: estimate?.rank ?? null,
    recovered: stoppedBy === "recovered",
    refusals,
    stoppedBy,
    singularValues,
    gap: estimate?.gap ?? 0,
  });

  for (let prompt = 0; ; prompt++) {
    const text = promptFor(prompt);
    const row = new Float64Array(vocab);
    // Ids still to learn, as a queue: a batch an answer lacks goes back to its end.
    const queue: number[] = [];
    for (let id = 0; id < vocab; id++) if (id !== reference) queue.push(id);
    let head = 0;
    while (head < queue.length) {
      if (queries >= maxQueries) return result("budget");
      const batch = queue.slice(head, head + topK - 1);
      const logitBias: Record<string, number> = { [reference]: bias };
      for (const id of batch) logitBias[id] = bias;
      queries++;
      const answer = await query(text, logitBias);
      onProgress?.(queries, rows.length);
      const seen = new Map(answer?.top.map((t) => [t.id, t.logprob]) ?? []);
      const ref = seen.get(reference);
      if (ref === undefined) {
        refusals++;
        if (++consecutive >= giveUp) return result("refusals");
        continue; // the same batch again
      }
      consecutive = 0;
      head += batch.length;
      for (const id of batch) {
        const lp = seen.get(id);
        if (lp === undefined) queue.push(id);
        else row[id] = lp - ref;
      }
    }

    // Grow the Gram matrix by the new row's dot products.
    const n = rows.length + 1;
    const next = new Float64Array(n * n);
    for (let i = 0; i < n - 1; i++) for (let j = 0; j < n - 1; j++) next[i * n + j] = gram[i * (n - 1) + j] as number;
    rows.push(row);
    for (let i = 0; i < n; i++) {
      const other = rows[i] as Float64Array;
      let dot = 0;
      for (let t = 0; t < vocab; t++) dot += (other[t] as number) * (row[t] as number);
      next[i * n + (n - 1)] = dot;
      next[(n - 1) * n + i] = dot;
    }
    gram = next;
    if (n < 2) continue;
    singularValues = centredSingularValues(gram, n);
    estimate = rankByLargestGap(singularValues);
    if (estimate.gap > gapThreshold && n - 1 - estimate.rank >= margin) return result("recovered");
  }
}
