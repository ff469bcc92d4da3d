/**
 * Money as integers. Spend is counted in nano-dollars (1e-9 USD) and prices in pico-dollars
 * per token, so sums of many small costs never drift the way 0.1 + 0.2 does, and "room left
 * in the budget" is an exact comparison. A price in USD per million tokens becomes pico-USD
 * per token by multiplying by 1e6 (exact for prices with up to six decimals).
 *
 * Each request's cost is rounded UP to the nano-dollar: at most 1e-9 USD too much per
 * request, never too little (fail closed). Products of tokens and prices can pass 2^53,
 * so they are computed with BigInt; every stored value stays a safe integer (budgets are
 * capped at 1e6 USD = 1e15 nano-dollars by the schema).
 */
import type { ModelPrice } from "./limits";

/** Pico-dollars per token. */
export interface UnitPrice {
  readonly input: number;
  readonly output: number;
}

export const FREE: UnitPrice = { input: 0, output: 0 };

export function unitPrice(p: ModelPrice): UnitPrice {
  return { input: Math.round(p.input_per_mtok * 1e6), output: Math.round(p.output_per_mtok * 1e6) };
}

export const usdToNano = (usd: number): number => Math.round(usd * 1e9);
export const nanoToUsd = (nano: number): number => nano / 1e9;

const big = (n: number): bigint => BigInt(n);

/**
 * Nano-dollars for `input` and `output` tokens, rounded up.
 *
 * @example costNano({ input: 2_500_000, output: 10_000_000 }, 1000, 500) // 7_500_000 nano-USD = $0.0075 (gpt-4o prices)
 */
export function costNano(price: UnitPrice, input: number, output: number): number {
  const pico = big(input) * big(price.input) + big(output) * big(price.output);
  return Number((pico + 999n) / 1000n);
}

/**
 * The most output tokens a budget with `roomNano` left can pay for after `input` tokens:
 * the largest `out` with costNano(price, input, out) ≤ roomNano. -1 when even the input
 * does not fit, Infinity when output is free and the input fits.
 */
export function maxOutputWithin(price: UnitPrice, input: number, roomNano: number): number {
  // ceil(x / 1000) ≤ room  ⇔  x ≤ 1000 × room, for integers x and room.
  const left = big(roomNano) * 1000n - big(input) * big(price.input);
  if (left < 0n) return -1;
  if (price.output === 0) return Infinity;
  return Number(left / big(price.output));
}
