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
import { planOf, type RatePlan } from "./plan.ts";
import { type ModelPrice, SEARCH_CONTEXT_SIZES, type SearchContextSize } from "./types.ts";
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

/** A usage count: a non-negative safe integer, else the usage is inconsistent (unpriced, not guessed). */
function nat(n: number, field: keyof Usage): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`Usage "${field}" must be a non-negative integer`);
  return n;
}

function count(usage: Usage, field: keyof Usage): number {
  return nat(usage[field] as number, field);
}

/** A count that only some providers report (absent: 0). */
function optional(usage: Usage, field: "citation_tokens" | "research_reasoning_tokens" | "grounded_prompts"): number {
  return usage[field] === undefined ? 0 : count(usage, field);
}

/**
 * tokens × rate, exact: the Number product while it is a safe integer, BigInt otherwise. A true product of 2^53 or
 * more rounds to 2^53 or more, so the test never takes an inexact product for an exact one.
 */
function times(tokens: number, rate: number): bigint | number {
  const v = tokens * rate;
  return Number.isSafeInteger(v) ? v : BigInt(tokens) * BigInt(rate);
}

/** Cost with the rates resolved per call (tools, tests); the proxy's pricer resolves them once per row and tier. */
export function cost(usage: Usage, price: ModelPrice, ctx: CostContext): Cost {
  return costWith(usage, planOf(price, ctx.serviceTier, ctx.geo), ctx.searchContext ?? null);
}

const NO_FEE: { cost: number; size: null } = { cost: 0, size: null };

/** Usage × a resolved plan → cost: counts, the long-context tier the input crossed, integer math. */
export function costWith(usage: Usage, plan: RatePlan, searchContext: string | null): Cost {
  const price = plan.price;
  const input = nat(usage.input_tokens, "input_tokens");
  const cacheRead = nat(usage.cache_read_tokens, "cache_read_tokens");
  const cacheWrite = nat(usage.cache_write_tokens, "cache_write_tokens");
  const write1h = Math.min(nat(usage.cache_write_1h_tokens, "cache_write_1h_tokens"), cacheWrite);
  const audioIn = nat(usage.audio_input_tokens, "audio_input_tokens");
  const cachedAudio = usage.cache_read_audio_tokens === undefined
    ? 0
    : Math.min(nat(usage.cache_read_audio_tokens, "cache_read_audio_tokens"), cacheRead, audioIn);
  const image = usage.image_input_tokens === undefined
    ? 0
    : Math.min(nat(usage.image_input_tokens, "image_input_tokens"), Math.max(0, input - cacheRead - cacheWrite - (audioIn - cachedAudio)));
  const output = nat(usage.output_tokens, "output_tokens");
  const audioOut = Math.min(nat(usage.audio_output_tokens, "audio_output_tokens"), output);
  // Gemini 2.5 and older bill grounding per grounded prompt, Gemini 3 per search query (src/providers/grounding.ts).
  const queries = nat(usage.web_search_requests, "web_search_requests");
  const searches = usage.grounded_prompts === undefined || price.web_search_per_query
    ? queries
    : Math.min(queries, count(usage, "grounded_prompts"));
  const imageOut = Math.min(usage.image_output_tokens === undefined ? 0 : count(usage, "image_output_tokens"), output - audioOut);
  const textOut = output - audioOut - imageOut;
  if ((input > 0 && price.input === undefined) || (textOut > 0 && price.output === undefined) ||
    (imageOut > 0 && price.image_output === undefined && price.output === undefined)) {
    throw new PriceGap("no token rates (it is priced per unit)");
  }
  if (plan.gap !== null) throw new PriceGap(plan.gap);
  // The last threshold crossed wins (tiers are ascending).
  let rates = plan.base;
  let above: number | null = null;
  for (const t of plan.tiers) {
    if (plan.inclusive ? input >= t.above : input > t.above) {
      rates = t.rates;
      above = t.above;
    }
  }
  let note: string | null = null;
  if (!plan.hasRead && cacheRead > cachedAudio) {
    note = "cache reads billed at the input rate (upper bound): no cache-read rate known for this model";
  }
  if (!plan.hasAudioRead && plan.hasAudio && cachedAudio > 0) {
    note = "cached audio billed at the audio input rate (upper bound): no audio cache-read rate known for this model";
  }
  if (rates.overflow !== null) throw new RangeError(rates.overflow);

  const reasoning = Math.min(nat(usage.reasoning_tokens, "reasoning_tokens"), output - audioOut - imageOut);
  const billedReasoning = rates.reasoning === rates.output ? 0 : reasoning;
  const research = plan.hasReasoning ? optional(usage, "research_reasoning_tokens") : 0;
  if (searches > 0 && price.web_search === undefined) throw new RangeError("No per-call web search price");
  const fees = nat(usage.request_fees, "request_fees");
  const fee = fees === 0 ? NO_FEE : requestFees(fees, price, searchContext);
  // In COST_CLASSES order: a part beyond the exact range throws where it always did.
  const parts: (bigint | number)[] = [
    times(Math.max(0, input - cacheRead - cacheWrite - (audioIn - cachedAudio) - image), rates.input),
    add(times(cacheRead - cachedAudio, rates.cache_read), times(cachedAudio, rates.cache_read_audio)),
    times(cacheWrite - write1h, rates.cache_write_5m),
    times(write1h, rates.cache_write_1h),
    add(times(output - audioOut - imageOut - billedReasoning, rates.output), times(billedReasoning + research, rates.reasoning)),
    times(audioIn - cachedAudio, rates.audio_input),
    times(audioOut, rates.audio_output),
    times(image, rates.image_input),
    times(imageOut, rates.image_output),
    times(optional(usage, "citation_tokens"), rates.citation),
    times(searches, price.web_search ?? 0),
    perUnit(usage, "characters", price.character, "character"),
    audioCost(nat(usage.audio_ms, "audio_ms"), price.second),
    // Images billed as image tokens (`gpt-image-1`) carry no per-image price on top.
    imageOut > 0 && price.image === undefined ? 0 : perUnit(usage, "images", price.image, "image"),
    perUnit(usage, "search_queries", price.query, "search query"),
    fee.cost,
    computeCost(usage, price, input + output),
  ];
  // Hot path: plain numbers while every part and the running total stay exact; BigInt otherwise.
  let total = 0;
  let exact = true;
  for (let i = 0; i < parts.length; i++) {
    const v = parts[i]!;
    if (typeof v !== "number") {
      parts[i] = toSafeNumber(v);
      exact = false;
    } else if (exact && Number.isSafeInteger(total + v)) total += v;
    else exact = false;
  }
  const n = parts as number[];
  return {
    input: n[0]!,
    cache_read: n[1]!,
    cache_write_5m: n[2]!,
    cache_write_1h: n[3]!,
    output: n[4]!,
    audio_input: n[5]!,
    audio_output: n[6]!,
    image_input: n[7]!,
    image_output: n[8]!,
    citation: n[9]!,
    web_search: n[10]!,
    characters: n[11]!,
    audio_ms: n[12]!,
    images: n[13]!,
    search_queries: n[14]!,
    request_fees: n[15]!,
    compute_ms: n[16]!,
    total: exact ? total : toSafeNumber(sum(n)),
    tier: plan.tier,
    above,
    note,
    searchContext: fee.size,
  };
}

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

function sum(values: (bigint | number)[]): bigint {
  let total = 0n;
  for (const v of values) total += BigInt(v);
  if (total > MAX) throw new RangeError(`cost "${total}" pico-USD exceeds the exact integer range (2^53, about $9,007 in pico-USD)`);
  return total;
}
