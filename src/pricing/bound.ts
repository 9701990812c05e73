/**
 * @module Upper bounds of a model's per-token rates, for reservations (src/control/estimate.ts): the highest rate
 * any input-side class and any output-side class can be billed at — every long-context tier, geo and fast-mode
 * multiplier included, and the service tier the request asks for (`service_tier`: priority costs more) — so that
 * tokens × these rates is never below what the request will cost. A project whose default tier is priority, without
 * asking in the request, is not covered (its requests then reserve the standard rates).
 */
import { RATE_CLASSES } from "./litellm-row.ts";
import type { ModelPrice, RateSet, Rates } from "./types.ts";

export interface RateBound {
  /** Pico-USD per input token, at most. */
  input: bigint;
  /** Pico-USD per output token, at most. */
  output: bigint;
  /** The model's output limit from the price data, or null. */
  maxOutput: number | null;
}

const INPUT_SIDE: readonly (keyof Rates)[] = ["input", "cache_read", "cache_write_5m", "cache_write_1h", "audio_input", "cache_read_audio"];

export function rateBound(price: ModelPrice, serviceTier: string | null): RateBound {
  const sets: Rates[] = [];
  const asked = serviceTier === "flex" || serviceTier === "priority" ? price[serviceTier] : undefined;
  for (const set of [price, asked] as (RateSet | undefined)[]) {
    if (set === undefined) continue;
    sets.push(set, ...(set.tiers ?? []));
  }
  let input = 0, output = 0;
  for (const set of sets) {
    for (const cls of RATE_CLASSES) {
      const rate = set[cls];
      if (rate === undefined) continue;
      if (INPUT_SIDE.includes(cls)) input = Math.max(input, rate);
      else output = Math.max(output, rate);
    }
  }
  const mult = Math.max(1000, ...Object.values(price.geo ?? {})) * Math.max(1000, price.fast ?? 1000);
  return {
    input: BigInt(input) * BigInt(mult) / 1_000_000n + 1n,
    output: BigInt(output) * BigInt(mult) / 1_000_000n + 1n,
    maxOutput: price.max_output ?? null,
  };
}
