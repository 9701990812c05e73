/** @module One stored record + the current pricer → its new cost fields, or why it keeps the old ones. */
import { usd } from "../pricing/money.ts";
import type { Pricer } from "../pricing/pricer.ts";
import { getProvider } from "../providers/registry.ts";
import { cachedAudio } from "../usage/normalize-gemini.ts";
import { pricedOnlyParts } from "../usage/normalize-openai.ts";
import type { CostUpdate } from "../store/store.ts";
import type { UsageRecord } from "../usage/record.ts";
import type { Usage } from "../usage/types.ts";

export type RepriceOutcome =
  /** New cost fields differ from the stored ones (cost, breakdown or version). */
  | { kind: "update"; update: CostUpdate; costChanged: boolean; newlyPriced: boolean }
  /** Nothing to change. */
  | { kind: "same" }
  /** No usage on the record: nothing to price. */
  | { kind: "no_usage" }
  /** The provider reported the cost itself; a table price must not replace it. */
  | { kind: "reported" }
  /** Priced before but the current table has no price: the old cost is kept rather than erased. */
  | { kind: "no_price" };

type Json = Record<string, unknown>;
const objectOf = (
  v: unknown,
): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);
const textOf = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * Whether the stored native usage carries a provider-reported cost (xAI `cost_in_usd_ticks`, OpenRouter
 * `cost`, `cost.total_cost`): such records were priced from the report, which the record does not say.
 */
function hasReportedCost(native: Json | null): boolean {
  if (native === null) return false;
  return typeof native.cost_in_usd_ticks === "number" || typeof native.cost === "number" ||
    typeof objectOf(native.cost)?.total_cost === "number";
}

const numberOf = (v: unknown): number => (typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : 0);

/**
 * The search context size a record's request fee was billed at: the breakdown names it (`request_fees_low`,
 * src/pricing/pricer.ts), else the size the provider reported in its usage (Perplexity). Null when neither says.
 */
function searchContextOf(r: UsageRecord, native: Json | null): string | null {
  for (const k of Object.keys(r.cost_breakdown ?? {})) if (k.startsWith("request_fees_")) return k.slice("request_fees_".length);
  return textOf(native?.search_context_size);
}

/** The record's token columns as a Usage (absent subsets are zero; total defaults to input + output). */
export function usageOfRecord(r: UsageRecord): Usage | null {
  if (r.input_tokens === null && r.output_tokens === null && r.characters == null && r.audio_ms == null && r.images == null && r.compute_ms == null) return null;
  const input = r.input_tokens ?? 0;
  const output = r.output_tokens ?? 0;
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: r.total_tokens ?? input + output,
    cache_read_tokens: r.cache_read_tokens ?? 0,
    cache_write_tokens: r.cache_write_tokens ?? 0,
    cache_write_1h_tokens: r.cache_write_1h_tokens ?? 0,
    reasoning_tokens: r.reasoning_tokens ?? 0,
    audio_input_tokens: r.audio_input_tokens ?? 0,
    audio_output_tokens: r.audio_output_tokens ?? 0,
    web_search_requests: r.web_search_requests ?? 0,
    characters: r.characters ?? 0,
    audio_ms: r.audio_ms ?? 0,
    images: r.images ?? 0,
    search_queries: r.search_queries ?? 0,
    request_fees: r.request_fees ?? 0,
    compute_ms: r.compute_ms ?? 0,
  };
}

const sameBreakdown = (a: Record<string, string> | null, b: Record<string, string> | null) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * Service tier and geography are read from the native usage where the provider puts them there (Anthropic
 * `service_tier`, `inference_geo`). The record has no column for a tier reported outside the usage object
 * (OpenAI's response-level `service_tier`), so such records are priced at standard rates. Where the path says
 * what is billed (Bedrock: model id and region), it is read from the stored path, as when the record was made.
 */
export function repriceRecord(r: UsageRecord, pricer: Pricer): RepriceOutcome {
  const usage = usageOfRecord(r);
  if (usage === null) return { kind: "no_usage" };
  const native = objectOf(r.usage_native);
  if (hasReportedCost(native)) return { kind: "reported" };
  // Cached audio and images have no column; Gemini's and OpenAI Realtime's usage_native say how much there was.
  const parts = native === null ? { cacheReadAudio: 0, imageIn: 0 } : pricedOnlyParts(native);
  const audio = native === null ? 0 : Math.min(cachedAudio(native) || parts.cacheReadAudio, usage.cache_read_tokens, usage.audio_input_tokens);
  if (audio > 0) usage.cache_read_audio_tokens = audio;
  if (parts.imageIn > 0) usage.image_input_tokens = parts.imageIn;
  if (r.provider === "perplexity-ai" && native !== null) {
    const citation = numberOf(native.citation_tokens);
    const research = numberOf(native.reasoning_tokens);
    if (citation > 0) usage.citation_tokens = citation;
    if (research > 0) usage.research_reasoning_tokens = research;
  }
  // Gemini searches are stored as unique queries; rows billed per grounded prompt bill the one prompt.
  if (r.provider.startsWith("google-") && usage.web_search_requests > 0) usage.grounded_prompts = 1;
  const billed = getProvider(r.provider)?.billedBy?.(r.path);
  const searchContext = searchContextOf(r, native);
  const result = pricer.price(usage, {
    provider: r.provider,
    model: billed?.model || r.model,
    serviceTier: textOf(native?.service_tier),
    geo: billed?.geo ?? textOf(native?.inference_geo),
    reportedCostPico: null,
    ...(searchContext === null ? {} : { searchContext }),
  });
  if (!result.priced && r.priced) return { kind: "no_price" };
  const cost_pico = result.priced ? result.cost_pico : null;
  const update: CostUpdate = {
    id: r.id,
    cost_pico,
    cost_usd: cost_pico === null ? null : usd(cost_pico),
    cost_breakdown: result.breakdown === null
      ? null
      : Object.fromEntries(Object.entries(result.breakdown).map(([k, v]) => [k, usd(v)])),
    priced: result.priced,
    price_version: result.price_version,
  };
  const costChanged = update.cost_pico !== r.cost_pico || !sameBreakdown(update.cost_breakdown, r.cost_breakdown);
  if (!costChanged && update.price_version === r.price_version && update.cost_usd === r.cost_usd) {
    return { kind: "same" };
  }
  return { kind: "update", update, costChanged, newlyPriced: update.priced && !r.priced };
}
