/**
 * @module The end-of-response decision every accumulator shares: reported, estimated or none.
 *
 * - The final usage arrived: `reported`, even when the stream was cut afterwards.
 * - An upstream error inside the response: usage stays unknown (null, `none`) unless the provider had already
 *   reported some (e.g. Anthropic `message_start`), which is then completed like a cut stream.
 * - Cut (`complete` false) or ended without its final usage, on a 2xx response: what was reported so far plus
 *   an estimate for the rest (src/usage/estimate.ts), `estimated`. Nothing to go on: null, `none`.
 * - Error statuses are never estimated: providers do not bill them.
 */
import type { MeterResult } from "./types.ts";
import { buildUsage } from "../usage/build.ts";
import { estimatedUsage, estimateInputTokens } from "../usage/estimate.ts";
import type { Usage } from "../usage/types.ts";

export interface Settle {
  complete: boolean;
  /** The upstream status when known (onResponse), else null. */
  status: number | null;
  model: string | null;
  native: unknown;
  /** The final usage, normalized, when it arrived. */
  reported: Usage | null;
  /** Usage reported before the final one (Anthropic `message_start`, a running Gemini total), or null. */
  partial?: Usage | null;
  /** Output tokens estimated from the content seen (each family's rule, src/usage/estimate.ts). */
  outputEstimate?: number;
  /** The parsed request body, for the input estimate. */
  body: unknown;
  serviceTier?: string | null;
  geo?: string | null;
  reportedCostPico?: number | null;
  upstreamError?: string | null;
  responseId?: string | null;
}

export function settle(s: Settle): MeterResult {
  const base = {
    model: s.model,
    native: s.native ?? null,
    serviceTier: s.serviceTier ?? null,
    geo: s.geo ?? null,
    reportedCostPico: s.reportedCostPico ?? null,
    upstreamError: s.upstreamError ?? null,
    responseId: s.responseId ?? null,
  };
  if (s.reported !== null) return { ...base, usage: s.reported, source: "reported" };
  const partial = s.partial ?? null;
  const estimate = s.outputEstimate ?? 0;
  if (partial !== null) {
    const usage = estimate > partial.output_tokens ? withOutput(partial, estimate) : partial;
    return { ...base, usage, source: "estimated" };
  }
  const ok = s.status === null || (s.status >= 200 && s.status < 300);
  if (!s.complete && ok && base.upstreamError === null) {
    const usage = estimatedUsage(estimateInputTokens(s.body), estimate);
    if (usage !== null) return { ...base, usage, source: "estimated" };
  }
  return { ...base, usage: null, source: "none" };
}

/** `u` with a larger output count (the subsets of the output side stay as reported). */
function withOutput(u: Usage, output: number): Usage {
  return buildUsage({
    input: u.input_tokens,
    output,
    cacheRead: u.cache_read_tokens,
    cacheWrite: u.cache_write_tokens,
    cacheWrite1h: u.cache_write_1h_tokens,
    reasoning: u.reasoning_tokens,
    audioIn: u.audio_input_tokens,
    audioOut: u.audio_output_tokens,
    webSearch: u.web_search_requests,
    characters: u.characters,
    audioMs: u.audio_ms,
    images: u.images,
    searchQueries: u.search_queries,
    requestFees: u.request_fees,
    computeMs: u.compute_ms,
  });
}
