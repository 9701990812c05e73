/** @module Builds a normalized Usage from its parts and enforces the subset rules of docs/architecture.md §4. */
import type { Usage } from "./types.ts";

/** Counts a normalizer read; missing parts are 0. `input`/`output` are the billed totals (§4). */
export interface UsageParts {
  input: number;
  output: number;
  cacheRead?: number | undefined;
  cacheWrite?: number | undefined;
  cacheWrite1h?: number | undefined;
  reasoning?: number | undefined;
  audioIn?: number | undefined;
  audioOut?: number | undefined;
  /** Audio within the cache reads (Gemini `cacheTokensDetails`, OpenAI Realtime `cached_tokens_details`). */
  cacheReadAudio?: number | undefined;
  /** Image input not read from a cache (OpenAI Realtime). */
  imageIn?: number | undefined;
  webSearch?: number | undefined;
  /** Image output within output (the `gpt-image-1` family). */
  imageOut?: number | undefined;
  /** Units that are not tokens (docs/architecture.md §21). */
  characters?: number | undefined;
  audioMs?: number | undefined;
  images?: number | undefined;
  searchQueries?: number | undefined;
  requestFees?: number | undefined;
  computeMs?: number | undefined;
}

/**
 * A Usage with `total = input + output`. Subsets are clamped into their parents (cache read, then cache write,
 * within input; 1 h within cache write; reasoning and audio within their side) so the contract "every subset is
 * contained in its parent" holds even when a provider reports, say, more cached tokens than prompt tokens.
 */
export function buildUsage(p: UsageParts): Usage {
  const input = p.input;
  const output = p.output;
  const cacheRead = Math.min(p.cacheRead ?? 0, input);
  const cacheWrite = Math.min(p.cacheWrite ?? 0, input - cacheRead);
  const audioIn = Math.min(p.audioIn ?? 0, input);
  const usage: Usage = {
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    cache_write_1h_tokens: Math.min(p.cacheWrite1h ?? 0, cacheWrite),
    reasoning_tokens: Math.min(p.reasoning ?? 0, output),
    audio_input_tokens: audioIn,
    audio_output_tokens: Math.min(p.audioOut ?? 0, output),
    web_search_requests: p.webSearch ?? 0,
    characters: p.characters ?? 0,
    audio_ms: p.audioMs ?? 0,
    images: p.images ?? 0,
    search_queries: p.searchQueries ?? 0,
    request_fees: p.requestFees ?? 0,
    compute_ms: p.computeMs ?? 0,
  };
  // Set only when there is some, so every other provider's Usage keeps its stored fields only.
  const cachedAudio = Math.min(p.cacheReadAudio ?? 0, cacheRead, audioIn);
  if (cachedAudio > 0) usage.cache_read_audio_tokens = cachedAudio;
  // Uncached images are what remains of the input once the cache and the uncached audio are taken out.
  const image = Math.min(p.imageIn ?? 0, Math.max(0, input - cacheRead - cacheWrite - (audioIn - cachedAudio)));
  if (image > 0) usage.image_input_tokens = image;
  const imageOut = Math.min(p.imageOut ?? 0, output);
  if (imageOut > 0) usage.image_output_tokens = imageOut;
  return usage;
}
