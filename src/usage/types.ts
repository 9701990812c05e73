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
}

/** Where the numbers of a record come from. */
export type UsageSource = "reported" | "estimated" | "none";

export const USAGE_FIELDS = [
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
  };
}
