/**
 * @module The provider's usage priced with Kestrel's own table (src/pricing/pricer.ts), class by class.
 * A provider reports a day's tokens as one sum; priced as one request, that sum would cross every long-context
 * threshold. Each class's rate is instead read off the pricer as the cost one more token of that class adds (exact:
 * rates are integer pico-USD per token), then multiplied by the day's count. Usage the provider reports in a long
 * context window (Anthropic `200k-1M`) is priced at the rates above the threshold.
 */
import { COST_CLASSES, type CostClass } from "../pricing/cost.ts";
import type { Pricer } from "../pricing/pricer.ts";
import { emptyUsage, type Usage } from "../usage/types.ts";
import type { ProviderUsage } from "./types.ts";

/** Pico-USD per class; null where a class with usage has no price. */
export type Priced = Record<CostClass, bigint | null>;

/** One more token of each class on top of the base usage. */
const PROBES: Record<CostClass, Partial<Usage>> = {
  input: { input_tokens: 1 },
  cache_read: { input_tokens: 1, cache_read_tokens: 1 },
  cache_write_5m: { input_tokens: 1, cache_write_tokens: 1 },
  cache_write_1h: { input_tokens: 1, cache_write_tokens: 1, cache_write_1h_tokens: 1 },
  output: { output_tokens: 1 },
  audio_input: { input_tokens: 1, audio_input_tokens: 1 },
  audio_output: { output_tokens: 1, audio_output_tokens: 1 },
  image_input: { input_tokens: 1, image_input_tokens: 1 },
  image_output: { output_tokens: 1, image_output_tokens: 1 },
  citation: { citation_tokens: 1 },
  web_search: { web_search_requests: 1 },
  characters: { characters: 1 },
  audio_ms: { audio_ms: 1000 },
  images: { images: 1 },
  search_queries: { search_queries: 1 },
  request_fees: { request_fees: 1 },
  compute_ms: { compute_ms: 1000 },
};
/** Input above every long-context threshold in the table (the highest is 1M tokens). */
const LONG_INPUT = 1_000_001;

function usage(base: number, extra: Partial<Usage>): Usage {
  const u = { ...emptyUsage(), ...extra };
  u.input_tokens += base;
  u.total_tokens = u.input_tokens + u.output_tokens;
  return u;
}

/** A Kestrel token count split into the classes the pricer bills (src/pricing/cost.ts). */
export function classCounts(t: ProviderUsage): Record<CostClass, number> {
  return {
    input: Math.max(0, t.input_tokens - t.cache_read_tokens - t.cache_write_tokens - t.audio_input_tokens),
    cache_read: t.cache_read_tokens,
    cache_write_5m: t.cache_write_tokens - t.cache_write_1h_tokens,
    cache_write_1h: t.cache_write_1h_tokens,
    output: t.output_tokens - t.audio_output_tokens,
    audio_input: t.audio_input_tokens,
    audio_output: t.audio_output_tokens,
    // The admin APIs report no image tokens apart: they are in the input count.
    image_input: 0,
    web_search: t.web_search_requests,
    // The admin APIs' token lines carry no other unit (docs/architecture.md §21).
    image_output: 0,
    citation: 0,
    characters: 0,
    audio_ms: 0,
    images: 0,
    search_queries: 0,
    request_fees: 0,
    compute_ms: 0,
  };
}

/** Prices one usage line; every class null when the table does not know the model. */
export type UsagePricer = (u: ProviderUsage) => Priced;

/**
 * For one provider: each (model, tier, window, class) rate is read once, and only for a class with usage (a probe
 * for a class the table cannot price, web search on most models, would be reported as an unpriced model).
 */
export function createUsagePricer(pricer: Pricer, provider: string): UsagePricer {
  const memo = new Map<string, number | null>();
  const cost = (model: string, tier: string | null, u: Usage) =>
    pricer.price(u, { provider, model, serviceTier: tier, geo: null, reportedCostPico: null }).cost_pico;
  /** The cost `extra` adds to the base usage (null: unpriced), read once per key. */
  const added = (model: string, tier: string | null, long: boolean, cls: CostClass | "base"): number | null => {
    const id = `${model}\u0000${tier ?? ""}\u0000${long}\u0000${cls}`;
    if (memo.has(id)) return memo.get(id) as number | null;
    const base = long ? LONG_INPUT : 0;
    let value = cost(model, tier, usage(base, {}));
    if (cls !== "base" && value !== null) {
      const one = cost(model, tier, usage(base, PROBES[cls]));
      value = one === null ? null : one - value;
    }
    memo.set(id, value);
    return value;
  };
  return (u) => {
    const long = u.context_window !== null && !/^0-/.test(u.context_window);
    const known = added(u.model, u.service_tier, long, "base") !== null;
    const counts = classCounts(u);
    const out = {} as Priced;
    for (const cls of COST_CLASSES) {
      if (!known) out[cls] = null;
      else if (counts[cls] === 0) out[cls] = 0n;
      else {
        const rate = added(u.model, u.service_tier, long, cls);
        out[cls] = rate === null ? null : BigInt(counts[cls]) * BigInt(rate);
      }
    }
    return out;
  };
}
