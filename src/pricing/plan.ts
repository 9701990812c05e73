/**
 * @module A row's rates for one (service tier, geo), resolved once: which rate set bills the response, every
 * class's fallback, the long-context tiers and the multipliers (the rules in cost.ts's header). What is left per
 * request is picking the tier its input crossed and integer math (cost.ts `costWith`). The pricer caches plans per
 * (provider, model, geo, service tier); `cost()` builds one per call, so both paths share this one derivation.
 */
import { toSafeNumber } from "./decimal.ts";
import type { ModelPrice, RateSet, Rates, TierRates } from "./types.ts";

/** Effective rates in pico-USD per token, multipliers applied. */
export interface ResolvedRates {
  input: number;
  cache_read: number;
  cache_read_audio: number;
  cache_write_5m: number;
  cache_write_1h: number;
  output: number;
  reasoning: number;
  audio_input: number;
  audio_output: number;
  image_input: number;
  image_output: number;
  citation: number;
  /**
   * A rate × multiplier beyond the exact range (only a price file can make one): thrown as RangeError when these
   * rates bill a request, where cost() always threw it, so the note is the same with or without the cache.
   */
  overflow: string | null;
}

export interface RatePlan {
  price: ModelPrice;
  /** Thrown as PriceGap when the plan is used: the row has no rate set for the response's service tier. */
  gap: string | null;
  /** Service tier whose rates are used, or null for standard (Cost.tier). */
  tier: "flex" | "priority" | "batch" | null;
  /** Below every long-context threshold. */
  base: ResolvedRates;
  /** Ascending by `above`; the highest one the input crosses bills the whole request. */
  tiers: { above: number; rates: ResolvedRates }[];
  inclusive: boolean;
  /** Whether the row (or the service set) has these rates at all: notes and research reasoning depend on it. */
  hasRead: boolean;
  hasAudio: boolean;
  hasAudioRead: boolean;
  hasReasoning: boolean;
}

/** Maps a response's service tier to the rate set that bills it (`fast` without a fast multiplier = priority). */
export function serviceOf(tier: string | null, price: ModelPrice): { set: "flex" | "priority" | "batch" | null; fast: boolean } {
  switch (tier?.toLowerCase()) {
    case "flex":
      return { set: "flex", fast: false };
    case "priority":
    case "on_demand_priority":
      return { set: "priority", fast: false };
    case "fast":
      return price.fast ? { set: null, fast: true } : { set: "priority", fast: false };
    case "batch":
    case "batches":
      return { set: "batch", fast: false };
    default:
      return { set: null, fast: false }; // default, standard, auto, scale, on_demand, null: standard rates
  }
}

export function planOf(price: ModelPrice, serviceTier: string | null, geo: string | null): RatePlan {
  const { set, fast } = serviceOf(serviceTier, price);
  const service: RateSet | undefined = set ? price[set] : undefined;
  const gap = set !== null && service === undefined ? `no ${set} rates for this model` : null;
  // Multipliers in thousandths; the generator checked every table rate × multiplier is whole.
  const mult = (geo ? (price.geo?.[geo.toLowerCase()] ?? 1000) : 1000) * (fast ? (price.fast ?? 1000) : 1000);
  const has = (cls: keyof Rates) => (service?.[cls] ?? price[cls]) !== undefined;
  const resolve = (tier: TierRates | undefined) => resolved(price, service, tier, mult);
  return {
    price,
    gap,
    tier: service ? set : null,
    base: resolve(undefined),
    tiers: (price.tiers ?? []).map((t) => ({ above: t.above, rates: resolve(t) })),
    inclusive: price.tier_inclusive === true,
    hasRead: has("cache_read"),
    hasAudio: has("audio_input"),
    hasAudioRead: has("cache_read_audio"),
    hasReasoning: has("reasoning"),
  };
}

const RATE_KEYS = [
  "input", "cache_read", "cache_read_audio", "cache_write_5m", "cache_write_1h", "output", "reasoning", "audio_input",
  "audio_output", "image_input", "image_output", "citation",
] as const satisfies readonly (keyof ResolvedRates)[];

function resolved(price: ModelPrice, service: RateSet | undefined, tier: TierRates | undefined, mult: number): ResolvedRates {
  const serviceTier = tier && service?.tiers?.find((t) => t.above === tier.above);
  // A tier rate counts only for a class the standard rates price too: a class priced only above the threshold
  // (LiteLLM gives some Gemini Pro rows a long-context cache-write rate and no standard one) would otherwise fall
  // back to the input rate below it and to a far lower rate above it, and crossing the threshold would lower the
  // cost. Unpriced at both, it falls back the same way at both: to that side's input rate.
  const rate = (cls: keyof Rates): number | undefined => {
    const standard = service?.[cls] ?? price[cls];
    return standard === undefined ? undefined : (tier ? (serviceTier?.[cls] ?? tier[cls]) : undefined) ?? standard;
  };
  const inRate = rate("input") ?? price.input ?? 0;
  const outRate = rate("output") ?? price.output ?? 0;
  const write5m = rate("cache_write_5m") ?? inRate;
  const readRate = rate("cache_read");
  const audioRate = rate("audio_input");
  const rates: ResolvedRates = {
    input: inRate,
    cache_read: readRate ?? inRate,
    cache_read_audio: rate("cache_read_audio") ?? audioRate ?? readRate ?? inRate,
    cache_write_5m: write5m,
    cache_write_1h: rate("cache_write_1h") ?? write5m,
    output: outRate,
    reasoning: rate("reasoning") ?? outRate,
    audio_input: audioRate ?? inRate,
    audio_output: rate("audio_output") ?? outRate,
    image_input: rate("image_input") ?? inRate,
    image_output: rate("image_output") ?? outRate,
    // Perplexity bills citation tokens and research reasoning on Deep Research only (its pricing page): a row
    // without the rate does not bill them.
    citation: rate("citation") ?? 0,
    overflow: null,
  };
  if (mult !== 1_000_000) {
    try {
      for (const k of RATE_KEYS) rates[k] = scale(rates[k], mult);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      rates.overflow = err.message;
    }
  }
  return rates;
}

/** rate × mult / 1e6, exact when divisible (always, for the embedded table), else rounded half up. */
function scale(rate: number, mult: number): number {
  const v = BigInt(rate) * BigInt(mult);
  return toSafeNumber((v + 500_000n) / 1_000_000n);
}
