/**
 * @module Price shapes. Every rate is an INTEGER number of pico-USD (1e-12 USD) per token (per call for
 * `web_search`, per unit for UnitRates); multipliers are integers in thousandths (1100 = ×1.1). The generated data file stores
 * exactly these shapes, so the embedded table needs no decoding.
 */

/** Per-token rates by token class. A missing rate falls back as documented in cost.ts. */
export interface Rates {
  input?: number;
  output?: number;
  cache_read?: number;
  cache_write_5m?: number;
  cache_write_1h?: number;
  /** Only where reasoning is priced differently from output. */
  reasoning?: number;
  audio_input?: number;
  audio_output?: number;
  /** Audio read from a context cache (Gemini prices it apart from text; derived in corrections.ts). */
  cache_read_audio?: number;
  /** Image input tokens (OpenAI Realtime prices them apart from text; set in corrections.ts). */
  image_input?: number;
  /** Image output tokens (the `gpt-image-1` family: LiteLLM `output_cost_per_image_token`). */
  image_output?: number;
  /** Citation tokens (Perplexity Deep Research: LiteLLM `citation_cost_per_token`); without it they are not billed. */
  citation?: number;
}

/**
 * Rates per unit that is not a token (docs/architecture.md §21), integer pico-USD per unit. `second` is per
 * second of audio and a multiple of 1000, so a duration in milliseconds prices exactly (ms × second / 1000).
 */
export interface UnitRates {
  /** Per character of text to speak (LiteLLM `input_cost_per_character`). */
  character?: number;
  /**
   * Per second of audio transcribed (LiteLLM `input_cost_per_second`), or of compute (`compute_ms`: Replicate's
   * `predict_time`, priced by an override at the model's hardware price).
   */
  second?: number;
  /** Per image made (LiteLLM `input_cost_per_image` / `output_cost_per_image`). */
  image?: number;
  /** Per search query or rerank search unit (LiteLLM `input_cost_per_query`). */
  query?: number;
  /** Per request, a flat fee (LiteLLM `input_cost_per_request`). */
  request?: number;
}

export const UNIT_RATES = ["character", "second", "image", "query", "request"] as const satisfies readonly (keyof UnitRates)[];

/** Search context sizes as the providers spell them (Perplexity and OpenAI `web_search_options.search_context_size`). */
export const SEARCH_CONTEXT_SIZES = ["low", "medium", "high"] as const;
export type SearchContextSize = (typeof SEARCH_CONTEXT_SIZES)[number];
export type SearchContextRates = Record<SearchContextSize, number>;

/** Rates that replace the base ones for the whole request when its input crosses `above` tokens. */
export interface TierRates extends Rates {
  above: number;
}

/** A set of rates with its own long-context tiers (the base set, or a service tier's). */
export interface RateSet extends Rates {
  /** Ascending by `above`. */
  tiers?: TierRates[];
}

export const PRICE_MODES = [
  "chat",
  "completion",
  "responses",
  "embedding",
  "realtime",
  "audio_transcription",
  "audio_speech",
  "image_generation",
  "rerank",
  "search",
] as const;
export type PriceMode = (typeof PRICE_MODES)[number];

/** A row priced per unit may have no token rates (`tts-1`, `dall-e-3`, `rerank-v3.5`): tokens then are unpriced. */
export interface ModelPrice extends RateSet, UnitRates {
  mode: PriceMode;
  /** LiteLLM `litellm_provider` of the row (what describe() shows; rules in corrections.ts key on it). */
  lp: string;
  flex?: RateSet;
  priority?: RateSet;
  batch?: RateSet;
  /** Per server-side web search call (LiteLLM `search_context_cost_per_query.search_context_size_medium`). */
  web_search?: number;
  /**
   * The request fee by search context size (docs/architecture.md §21), kept only where the three sizes differ
   * (Perplexity Sonar, OpenAI search-preview): LiteLLM `search_context_cost_per_query`, per request.
   */
  search_context?: SearchContextRates;
  /**
   * Gemini grounding is billed per search query (LiteLLM `web_search_billing_unit: "per_query"`, Gemini 3); without
   * it a Gemini response's searches are billed per grounded prompt (src/providers/grounding.ts).
   */
  web_search_per_query?: true;
  /** Geo → multiplier in thousandths on every token rate (Anthropic `inference_geo`, OpenAI data residency). */
  geo?: Record<string, number>;
  /** Anthropic fast mode multiplier in thousandths on every token rate. */
  fast?: number;
  /** Thresholds are inclusive (input ≥ above) rather than input > above (xAI). */
  tier_inclusive?: true;
  deprecated?: string;
  /** The most output tokens one request can produce (LiteLLM `max_output_tokens`): bounds reservations. */
  max_output?: number;
}

/** Where the price of a table entry comes from. */
export type PriceOrigin = "table" | "correction" | "override";

export interface PriceEntry {
  price: ModelPrice;
  origin: PriceOrigin;
  /** Why and from what source the entry differs from the upstream row (corrections), or the file (override). */
  notes: string[];
}

/** The generated data file. */
export interface PriceData {
  meta: PriceMeta;
  /** Kestrel provider id → LiteLLM key → price. */
  models: Record<string, Record<string, ModelPrice>>;
}

export interface PriceMeta {
  /** `litellm-2026-07-24`: the upstream state; Kestrel's corrections add `+kN` at runtime. */
  version: string;
  upstream: string;
  upstream_date: string;
  source_sha256: string;
  generated: string;
  unit: string;
  counts: Record<string, number>;
}

/** Parsed price override file(s): Kestrel provider → table key or model id → entry. */
export interface PriceOverrides {
  entries: Map<string, Map<string, PriceEntry>>;
  /** Short fingerprint of the override text, appended to the price version. */
  fingerprint: string;
  files: string[];
}

/**
 * The highest per-token rate a price file may set: $10,000 per million tokens (the embedded table's highest is
 * about $9,710). Below it a request's cost is an exact integer of pico-USD up to ~900,000 tokens at that rate, and
 * far more at real rates; beyond 2^53 pico-USD the request is recorded unpriced with the reason, never silently.
 */
export const MAX_TOKEN_RATE_PICO = 10_000_000_000;
