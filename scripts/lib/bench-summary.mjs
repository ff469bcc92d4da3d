// @ts-check
/**
 * The pure part of `npm run bench`'s report: per-target statistics in, the ratios, the
 * target checks and the JSON summary out. Apart from scripts/bench.mjs (which runs a
 * benchmark when imported) so that test-node/bench-peer.test.mjs can check it.
 */

/** Above this share of failed requests a target's numbers are suspect: warn, and say so in the JSON. */
export const ERROR_BUDGET = 0.001;

/**
 * Issue 9's throughput targets for the plain scenario: gateway rps / the target's rps must
 * reach these. Checked only for targets that ran (`peer` only with `--peer`).
 */
export const RATIO_TARGETS = { bare_do: 0.8, peer: 1.5 };

/**
 * One target's figures, combined over the rounds.
 * @typedef {object} Stats
 * @property {number} rps correct 2xx responses per second
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} requests completed responses, any status
 * @property {number} non2xx
 * @property {number} errors
 * @property {number | undefined} otherCpu % of all cores other processes used meanwhile (the worst round)
 * @property {number | undefined} [serverCpuUs] CPU the server under test used per completed request, in µs (median of the rounds)
 *
 * @typedef {{ connections: number, duration: number, rounds: number, limits: string, profile?: string | undefined }} RunSettings
 * @typedef {{ raw: number, gzip: number }} BundleSize
 */

/** @param {number} value @param {number} digits */
export const round = (value, digits) => Number(value.toFixed(digits));

/** @param {Stats} s */
export const failureShare = (s) => (s.requests + s.errors === 0 ? 1 : (s.non2xx + s.errors) / (s.requests + s.errors));

/**
 * gateway rps / each other target's rps, 3 decimals, in the order the targets ran. A target
 * that served nothing gives null (JSON has no Infinity), as does a run without a gateway.
 * @param {Map<string, Stats>} stats
 * @returns {Array<[id: string, ratio: number | null]>}
 */
export function ratios(stats) {
  const gateway = stats.get("gateway");
  return [...stats]
    .filter(([id]) => id !== "gateway")
    .map(([id, s]) => [id, gateway === undefined || !(s.rps > 0) ? null : round(gateway.rps / s.rps, 3)]);
}

/**
 * Each ratio that has a target: whether this run met it.
 * @param {Map<string, Stats>} stats
 * @returns {Array<{ id: string, ratio: number | null, target: number, met: boolean }>}
 */
export function ratioChecks(stats) {
  /** @type {Record<string, number>} */
  const targets = RATIO_TARGETS;
  return ratios(stats)
    .filter(([id]) => Object.hasOwn(targets, id))
    .map(([id, ratio]) => {
      const target = /** @type {number} */ (targets[id]);
      return { id, ratio, target, met: ratio !== null && ratio >= target };
    });
}

/**
 * The keys both scenarios end their JSON with: the run's settings and its health.
 * @param {Map<string, Stats>} stats
 * @param {BundleSize} bundle
 * @param {RunSettings} options
 */
export function runFacts(stats, bundle, options) {
  /** @type {Record<string, unknown>} */
  const out = {};
  out.bundle_bytes = bundle.raw;
  out.bundle_gzip_bytes = bundle.gzip;
  out.connections = options.connections;
  out.duration_s = options.duration;
  out.rounds = options.rounds;
  out.limits = options.limits;
  // An attached profiler slows the gateways: such figures are not comparable with others.
  if (options.profile !== undefined) out.profiled = true;
  const other = [...stats.values()].map((s) => s.otherCpu);
  if (other.every((v) => v !== undefined)) out.other_cpu_pct = round(Math.max(...other), 1);
  // What one request costs each server, robust to a busy machine where the ratios are not.
  if ([...stats.values()].every((s) => s.serverCpuUs !== undefined)) {
    out.server_cpu_us_per_req = Object.fromEntries([...stats].map(([id, s]) => [id, Math.round(/** @type {number} */ (s.serverCpuUs))]));
  }
  const failing = [...stats].filter(([, s]) => failureShare(s) > ERROR_BUDGET);
  if (failing.length > 0) {
    out.errors = Object.fromEntries(failing.map(([id, s]) => [id, { requests: s.requests, non2xx: s.non2xx, errors: s.errors }]));
  }
  return out;
}

/**
 * The plain scenario's machine-readable summary: `<id>_rps` per target, `ratio_vs_<id>` for
 * every target but the gateway, then `p50_ms` / `p99_ms` keyed by target, then the run's
 * facts. Keys are only ever added (a peer, more baselines), never renamed.
 * @param {Map<string, Stats>} stats in the order the targets ran
 * @param {BundleSize} bundle
 * @param {RunSettings} options
 */
export function summarise(stats, bundle, options) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [id, s] of stats) out[`${id}_rps`] = Math.round(s.rps);
  for (const [id, ratio] of ratios(stats)) out[`ratio_vs_${id}`] = ratio;
  out.p50_ms = Object.fromEntries([...stats].map(([id, s]) => [id, round(s.p50, 1)]));
  out.p99_ms = Object.fromEntries([...stats].map(([id, s]) => [id, round(s.p99, 1)]));
  return { ...out, ...runFacts(stats, bundle, options) };
}
