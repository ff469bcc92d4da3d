// @ts-check
/**
 * mulberry32: a small deterministic PRNG, so the mock model's weights, benchmarks, the
 * simulator and training runs see the same numbers on every run (Math.random cannot be
 * seeded). Plain JS so the mock runs under bare Node; TypeScript reads rng.d.mts.
 * @param {number} seed
 * @returns {() => number} numbers in [0, 1)
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
