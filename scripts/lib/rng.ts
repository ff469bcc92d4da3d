/** The project's one seeded PRNG lives with the mock model, which needs it without TypeScript. */
export { mulberry32 } from "../../mock/rng.mjs";
