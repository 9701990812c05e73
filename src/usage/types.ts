/** @module Normalized usage (docs/architecture.md §4): numbers that add up across providers. */

/** Normalized token counts. Every subset field is contained in its parent (see docs/architecture.md §4). */
export interface Usage {
  /** Every input token billed in any way: uncached + cache read + cache write. */
  input_tokens: number;
  /** Every output token billed, reasoning included. */
  output_tokens: number;
  /** input_tokens + output_tokens. */
  total_tokens: number;
  /** Subset of input read from cache. */
  cache_read_tokens: number;
  /** Subset of input written to cache, all TTLs. */
  cache_write_tokens: number;
  /** Subset of cache_write_tokens with a 1-hour TTL. */
  cache_write_1h_tokens: number;
  /** Subset of output spent on reasoning / thinking. */
  reasoning_tokens: number;
  /** Subset of input that is audio. */
  audio_input_tokens: number;
  /** Subset of output that is audio. */
  audio_output_tokens: number;
  /** Server-side tool calls billed per call (web search). */
  web_search_requests: number;
  /**
   * Subset of both cache_read_tokens and audio_input_tokens: audio read from a context cache. Only Gemini reports
   * it (`cacheTokensDetails`), and only there is it set; it is priced, not stored as a column.
   */
  cache_read_audio_tokens?: number;
  /**
   * Subset of input_tokens: image input not read from a cache. Only OpenAI Realtime reports it
   * (`input_token_details.image_tokens` less the cached ones); like cached audio it is priced, not a column.
   */
  image_input_tokens?: number;
  /** Subset of output_tokens that is image (the `gpt-image-1` family); priced, not a column. */
  image_output_tokens?: number;
  /**
   * Perplexity: tokens of the search results read (`citation_tokens`), outside input_tokens. Billed only where the
   * row has a citation rate (Deep Research); priced, not a column (docs/architecture.md §21).
   */
  citation_tokens?: number;
  /**
   * Perplexity Deep Research: reasoning over the research material (`reasoning_tokens`), reported outside
   * `completion_tokens`. Billed only where the row prices reasoning apart; priced, not a column.
   */
  research_reasoning_tokens?: number;
  /**
   * Gemini: prompts grounded with Google Search (1 when `web_search_requests`, the unique queries, is not 0). Rows
   * billed per grounded prompt (Gemini 2.5 and older) bill these instead of the queries; priced, not a column.
   */
  grounded_prompts?: number;
  /** Characters of text turned into speech (docs/architecture.md §21). */
  characters: number;
  /** Audio transcribed or translated, in whole MILLISECONDS (exact: per-second rates are multiples of 1000 pico-USD). */
  audio_ms: number;
  /** Images made. */
  images: number;
  /** Search queries or rerank search units billed per query (Cohere `search_units`, a search API's queries). */
  search_queries: number;
  /** Flat per-request fees (Perplexity's request fee by search context size, a table's `input_cost_per_request`). */
  request_fees: number;
  /**
   * Compute time billed per second (Replicate `metrics.predict_time`), in whole MILLISECONDS. Not `audio_ms`: a
   * GPU's seconds and a recording's seconds are different quantities, and sums and `/metrics` must not add them.
   */
  compute_ms: number;
}

/**
 * Where the numbers of a record come from: the provider's response (`reported`), the client's request (`request`:
 * characters to speak, images asked for, when the response says nothing), an estimate (`estimated`), or nowhere.
 */
export type UsageSource = "reported" | "request" | "estimated" | "none";

/** The token counts (what `limit_tokens` budgets count), and the columns the rollup had at its creation. */
export const TOKEN_FIELDS = [
  "input_tokens",
  "output_tokens",
  "total_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cache_write_1h_tokens",
  "reasoning_tokens",
  "audio_input_tokens",
  "audio_output_tokens",
  "web_search_requests",
] as const satisfies readonly (keyof Usage)[];

/** Counts of units that are not tokens (docs/architecture.md §21). */
export const UNIT_FIELDS = ["characters", "audio_ms", "images", "search_queries", "request_fees", "compute_ms"] as const satisfies readonly (keyof Usage)[];

/** Every stored count: record columns, exports, rollup sums, /api/usage sums. */
export const USAGE_FIELDS = [...TOKEN_FIELDS, ...UNIT_FIELDS] as const;

/** A usage with every count at zero; fill in what the provider reported. */
export function emptyUsage(): Usage {
  return {
    input_tokens: 0,
    output_tokens: 0,
    total_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cache_write_1h_tokens: 0,
    reasoning_tokens: 0,
    audio_input_tokens: 0,
    audio_output_tokens: 0,
    web_search_requests: 0,
    characters: 0,
    audio_ms: 0,
    images: 0,
    search_queries: 0,
    request_fees: 0,
    compute_ms: 0,
  };
}

export type UsageField = (typeof USAGE_FIELDS)[number];

/**
 * A record's count columns from a usage: every one null when the usage is unknown (unknown is not zero). Written
 * out, in USAGE_FIELDS order (test/usage/counts.test.ts): a loop of computed-key stores costs twice as much, once
 * per record.
 */
export function usageCounts(usage: Usage | null): Record<UsageField, number | null> {
  if (usage === null) {
    return {
      input_tokens: null, output_tokens: null, total_tokens: null, cache_read_tokens: null, cache_write_tokens: null,
      cache_write_1h_tokens: null, reasoning_tokens: null, audio_input_tokens: null, audio_output_tokens: null,
      web_search_requests: null, characters: null, audio_ms: null, images: null, search_queries: null, request_fees: null,
      compute_ms: null,
    };
  }
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    total_tokens: usage.total_tokens,
    cache_read_tokens: usage.cache_read_tokens,
    cache_write_tokens: usage.cache_write_tokens,
    cache_write_1h_tokens: usage.cache_write_1h_tokens,
    reasoning_tokens: usage.reasoning_tokens,
    audio_input_tokens: usage.audio_input_tokens,
    audio_output_tokens: usage.audio_output_tokens,
    web_search_requests: usage.web_search_requests,
    characters: usage.characters,
    audio_ms: usage.audio_ms,
    images: usage.images,
    search_queries: usage.search_queries,
    request_fees: usage.request_fees,
    compute_ms: usage.compute_ms,
  };
}
