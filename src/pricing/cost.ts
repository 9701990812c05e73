/**
 * @module Usage × price → exact cost in integer pico-USD per token class. Pure.
 *
 * Token classes (Usage fields are the normalized ones of docs/architecture.md §4):
 *   input          = input − cache_read − cache_write − uncached audio_input, at the input rate
 *   cache_read     = text cache reads at the cache-read rate + cached audio (Gemini reports it apart) at the
 *                    audio cache-read rate
 *   cache_write_5m = (cache_write − cache_write_1h) at the 5-minute write rate
 *   cache_write_1h = cache_write_1h_tokens at the 1-hour write rate
 *   output         = output − audio_output, reasoning included (at the reasoning rate where one differs)
 *   audio_input (uncached audio) / audio_output at the audio rates; image_input (uncached images, OpenAI
 *   Realtime) at the image rate, else the input rate; web_search = requests × per-call price
 *
 * Rate selection, field by field:
 *   service tier (flex | priority | batch) → that set's rate, else the standard rate of the same class. A row
 *   with NO rate set for the response's tier throws PriceGap: the tier's price is unknown (flex costs half,
 *   priority up to twice the standard rate), and billing it at the standard rate would be silently wrong;
 *   long context: when the request's input (cached tokens included) crosses a tier's threshold (> above; ≥ for
 *   xAI) the WHOLE request uses that tier's rates, the service tier's own tier rate first.
 * A class whose rate the row lacks is billed at the rate it is a kind of, never at 0: cache writes and audio
 * input at the input rate, reasoning and audio output at the output rate, a 1-hour write at the 5-minute rate.
 * Cache reads without a rate are billed at the input rate too (an upper bound: a provider that reports cached
 * tokens usually discounts them), and `note` says so, so the record is marked rather than silently high.
 * Cached audio without its own rate: the text cache-read rate when the row prices audio like text, else the
 * audio input rate (upper bound, noted). Claude and Gemini rows get their cache rates from corrections.ts.
 * Web search without a per-call price throws (the caller reports unpriced).
 * Units that are not tokens (docs/architecture.md §21): characters, images, search queries and request fees ×
 * their per-unit rate; audio_ms × the per-second rate / 1000 (rates are multiples of 1000 pico-USD per second, so
 * exact); compute_ms (Replicate) likewise, except on a row that prices the tokens the prediction reported. A unit
 * counted without a rate throws (unpriced with the reason), as do tokens on a row priced per unit only (`tts-1`,
 * `dall-e-3`): never billed at 0. Multipliers do not apply to units. Request fees on a row priced by search context
 * size (Perplexity Sonar, OpenAI search-preview) are billed at `ctx.searchContext`'s price.
 * Multipliers (Anthropic `inference_geo` and fast mode, OpenAI data residency) scale every token rate.
 */
import { toSafeNumber } from "./decimal.ts";
import { type ModelPrice, type RateSet, type Rates, SEARCH_CONTEXT_SIZES, type SearchContextSize, type TierRates } from "./types.ts";
import type { Usage } from "../usage/types.ts";

export interface CostContext {
  /** Service tier the response reports: `flex`, `priority`, `fast`, `batch`, `default`, … or null. */
  serviceTier: string | null;
  /** Anthropic `inference_geo`, OpenAI data-residency region (`us`, `eu`), or null. */
  geo: string | null;
  /**
   * The search context size a request fee is billed at (`low`, `medium`, `high`), where the row prices request
   * fees by size (docs/architecture.md §21); absent or null otherwise.
   */
  searchContext?: string | null;
}

export const COST_CLASSES = [
  "input",
  "cache_read",
  "cache_write_5m",
  "cache_write_1h",
  "output",
  "audio_input",
  "audio_output",
  "image_input",
  "image_output",
  "citation",
  "web_search",
  "characters",
  "audio_ms",
  "images",
  "search_queries",
  "request_fees",
  "compute_ms",
] as const;
export type CostClass = (typeof COST_CLASSES)[number];

export type Cost = Record<CostClass | "total", number> & {
  /** Service tier whose rates were used, or null for standard. */
  tier: "flex" | "priority" | "batch" | null;
  /** Long-context threshold crossed, or null. */
  above: number | null;
  /** Why part of the cost is an upper bound (a cache-read rate the row lacks), or null. */
  note: string | null;
  /** The search context size the request fees were billed at, or null (no fee, or a flat one). */
  searchContext: SearchContextSize | null;
};

/** The row has no rates for the service tier the response reports: the cost is unknown, not standard. */
export class PriceGap extends Error {}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

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

function count(usage: Usage, field: keyof Usage): number {
  const n = usage[field] as number;
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`Usage "${field}" must be a non-negative integer`);
  return n;
}

/** A count that only some providers report (absent: 0). */
function optional(usage: Usage, field: "citation_tokens" | "research_reasoning_tokens" | "grounded_prompts"): number {
  return usage[field] === undefined ? 0 : count(usage, field);
}

/** tokens × rate, exact: Number while provably below 2^53, BigInt otherwise. */
function times(tokens: number, rate: number): bigint | number {
  return tokens === 0 || rate <= Math.floor(Number.MAX_SAFE_INTEGER / tokens) ? tokens * rate : BigInt(tokens) * BigInt(rate);
}

export function cost(usage: Usage, price: ModelPrice, ctx: CostContext): Cost {
  const input = count(usage, "input_tokens");
  const cacheRead = count(usage, "cache_read_tokens");
  const cacheWrite = count(usage, "cache_write_tokens");
  const write1h = Math.min(count(usage, "cache_write_1h_tokens"), cacheWrite);
  const audioIn = count(usage, "audio_input_tokens");
  const cachedAudio = usage.cache_read_audio_tokens === undefined
    ? 0
    : Math.min(count(usage, "cache_read_audio_tokens"), cacheRead, audioIn);
  const image = usage.image_input_tokens === undefined
    ? 0
    : Math.min(count(usage, "image_input_tokens"), Math.max(0, input - cacheRead - cacheWrite - (audioIn - cachedAudio)));
  const output = count(usage, "output_tokens");
  const audioOut = Math.min(count(usage, "audio_output_tokens"), output);
  // Gemini 2.5 and older bill grounding per grounded prompt, Gemini 3 per search query (src/providers/grounding.ts).
  const queries = count(usage, "web_search_requests");
  const searches = usage.grounded_prompts === undefined || price.web_search_per_query
    ? queries
    : Math.min(queries, count(usage, "grounded_prompts"));
  const imageOut = Math.min(usage.image_output_tokens === undefined ? 0 : count(usage, "image_output_tokens"), output - audioOut);
  const textOut = output - audioOut - imageOut;
  if ((input > 0 && price.input === undefined) || (textOut > 0 && price.output === undefined) ||
    (imageOut > 0 && price.image_output === undefined && price.output === undefined)) {
    throw new PriceGap("no token rates (it is priced per unit)");
  }

  const { set, fast } = serviceOf(ctx.serviceTier, price);
  const service: RateSet | undefined = set ? price[set] : undefined;
  if (set !== null && service === undefined) throw new PriceGap(`no ${set} rates for this model`);
  const crossed = (t: { above: number }) => (price.tier_inclusive ? input >= t.above : input > t.above);
  // The highest threshold crossed wins (tiers are ascending).
  let tier: TierRates | undefined;
  for (const t of price.tiers ?? []) if (crossed(t)) tier = t;
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
  const audioReadRate = rate("cache_read_audio");
  let note: string | null = null;
  if (readRate === undefined && cacheRead > cachedAudio) {
    note = "cache reads billed at the input rate (upper bound): no cache-read rate known for this model";
  }
  if (audioReadRate === undefined && audioRate !== undefined && cachedAudio > 0) {
    note = "cached audio billed at the audio input rate (upper bound): no audio cache-read rate known for this model";
  }
  const rates: Record<TokenClass, number> & { reasoning: number; cache_read_audio: number } = {
    input: inRate,
    cache_read: readRate ?? inRate,
    cache_read_audio: audioReadRate ?? audioRate ?? readRate ?? inRate,
    cache_write_5m: write5m,
    cache_write_1h: rate("cache_write_1h") ?? write5m,
    output: outRate,
    reasoning: rate("reasoning") ?? outRate,
    audio_input: rate("audio_input") ?? inRate,
    audio_output: rate("audio_output") ?? outRate,
    image_input: rate("image_input") ?? inRate,
    image_output: rate("image_output") ?? outRate,
    // Perplexity bills citation tokens and research reasoning on Deep Research only (its pricing page): a row
    // without the rate does not bill them.
    citation: rate("citation") ?? 0,
  };
  // Multipliers in thousandths; the generator checked every table rate × multiplier is whole.
  const mult = (ctx.geo ? (price.geo?.[ctx.geo.toLowerCase()] ?? 1000) : 1000) * (fast ? (price.fast ?? 1000) : 1000);
  if (mult !== 1_000_000) {
    for (const k of Object.keys(rates) as (keyof typeof rates)[]) rates[k] = scale(rates[k], mult);
  }

  const reasoning = Math.min(count(usage, "reasoning_tokens"), output - audioOut - imageOut);
  const billedReasoning = rates.reasoning === rates.output ? 0 : reasoning;
  const research = rate("reasoning") === undefined ? 0 : optional(usage, "research_reasoning_tokens");
  if (searches > 0 && price.web_search === undefined) throw new RangeError("No per-call web search price");
  const fee = requestFees(count(usage, "request_fees"), price, ctx.searchContext ?? null);
  const parts: Record<CostClass, bigint | number> = {
    input: times(Math.max(0, input - cacheRead - cacheWrite - (audioIn - cachedAudio) - image), rates.input),
    cache_read: add(times(cacheRead - cachedAudio, rates.cache_read), times(cachedAudio, rates.cache_read_audio)),
    cache_write_5m: times(cacheWrite - write1h, rates.cache_write_5m),
    cache_write_1h: times(write1h, rates.cache_write_1h),
    output: add(
      times(output - audioOut - imageOut - billedReasoning, rates.output),
      times(billedReasoning + research, rates.reasoning),
    ),
    audio_input: times(audioIn - cachedAudio, rates.audio_input),
    audio_output: times(audioOut, rates.audio_output),
    image_input: times(image, rates.image_input),
    image_output: times(imageOut, rates.image_output),
    citation: times(optional(usage, "citation_tokens"), rates.citation),
    web_search: times(searches, price.web_search ?? 0),
    characters: perUnit(usage, "characters", price.character, "character"),
    audio_ms: audioCost(count(usage, "audio_ms"), price.second),
    // Images billed as image tokens (`gpt-image-1`) carry no per-image price on top.
    images: imageOut > 0 && price.image === undefined ? 0 : perUnit(usage, "images", price.image, "image"),
    search_queries: perUnit(usage, "search_queries", price.query, "search query"),
    request_fees: fee.cost,
    compute_ms: computeCost(usage, price, input + output),
  };
  const result = { tier: service ? set : null, above: tier?.above ?? null, note, searchContext: fee.size } as Cost;
  // Hot path: plain numbers while every part and the running total stay exact; BigInt otherwise.
  let total = 0;
  let exact = true;
  for (const k of COST_CLASSES) {
    const v = parts[k];
    if (typeof v !== "number" || !Number.isSafeInteger(total + v)) exact = false;
    result[k] = typeof v === "number" ? v : toSafeNumber(v);
    if (exact) total += v as number;
  }
  result.total = exact ? total : toSafeNumber(sum(Object.values(parts)));
  return result;
}

type TokenClass = Exclude<CostClass, "web_search" | UnitField>;
type UnitField = "characters" | "audio_ms" | "images" | "search_queries" | "request_fees" | "compute_ms";

/** count × per-unit rate; a count without a rate is unpriced, never 0. */
function perUnit(usage: Usage, field: UnitField, rate: number | undefined, what: string): bigint | number {
  const n = count(usage, field);
  if (n === 0) return 0;
  if (rate === undefined) throw new RangeError(`no per-${what} price`);
  return times(n, rate);
}

/**
 * Request fees: on a row priced by search context size, at the size the request was served with (a size the row
 * has no price for, or none known, is unpriced with the reason); else at the flat per-request rate.
 */
function requestFees(n: number, price: ModelPrice, size: string | null): { cost: bigint | number; size: SearchContextSize | null } {
  if (n === 0) return { cost: 0, size: null };
  const bySize = price.search_context;
  if (bySize === undefined) {
    if (price.request === undefined) throw new RangeError("no per-request price");
    return { cost: times(n, price.request), size: null };
  }
  const known = SEARCH_CONTEXT_SIZES.find((s) => s === size);
  if (known === undefined) throw new RangeError(`no request fee for search context ${size === null ? "(unknown)" : `"${size}"`}`);
  return { cost: times(n, bySize[known]), size: known };
}

/**
 * Compute milliseconds (Replicate `predict_time`) at the row's per-second rate. A row without one that prices the
 * tokens the prediction reported bills those instead: Replicate sells its language models per token, and their
 * running time is not billed on top (replicate.com/docs/billing). Otherwise a time without a rate is unpriced.
 */
function computeCost(usage: Usage, price: ModelPrice, tokens: number): bigint | number {
  const ms = count(usage, "compute_ms");
  if (ms === 0 || (price.second === undefined && tokens > 0 && price.input !== undefined)) return 0;
  return millisCost(ms, price.second, "compute");
}

/** Milliseconds × pico-USD per second / 1000, exact or unpriced. */
function audioCost(ms: number, perSecond: number | undefined): bigint | number {
  return millisCost(ms, perSecond, "audio");
}

function millisCost(ms: number, perSecond: number | undefined, what: string): bigint | number {
  if (ms === 0) return 0;
  if (perSecond === undefined) throw new RangeError(`no per-second ${what} price`);
  const v = BigInt(ms) * BigInt(perSecond);
  if (v % 1000n !== 0n) throw new RangeError(`per-second rate ${perSecond} is not exact per millisecond`);
  return toSafeNumber(v / 1000n);
}

function add(a: bigint | number, b: bigint | number): bigint | number {
  return typeof a === "number" && typeof b === "number" && Number.isSafeInteger(a + b) ? a + b : BigInt(a) + BigInt(b);
}

/** rate × mult / 1e6, exact when divisible (always, for the embedded table), else rounded half up. */
function scale(rate: number, mult: number): number {
  const v = BigInt(rate) * BigInt(mult);
  return toSafeNumber((v + 500_000n) / 1_000_000n);
}

function sum(values: (bigint | number)[]): bigint {
  let total = 0n;
  for (const v of values) total += BigInt(v);
  if (total > MAX) throw new RangeError(`cost "${total}" pico-USD exceeds the exact integer range (2^53, about $9,007 in pico-USD)`);
  return total;
}
