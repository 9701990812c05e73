/** @module The usage record: one per proxied request. Field names are public API (HTTP, export, DB). */
import type { UsageSource } from "./types.ts";

/**
 * `client_timeout`: the client stopped sending its request body (answered 408); `timeout` is the upstream's.
 * `blocked`: refused by a budget or rate limit before anything was sent upstream (answered 429).
 */
export const OUTCOMES = [
  "ok",
  "upstream_error",
  "client_aborted",
  "upstream_aborted",
  "timeout",
  "client_timeout",
  "blocked",
  "error",
] as const;
export type Outcome = typeof OUTCOMES[number];

export interface UsageRecord {
  /** Sortable unique id (ULID). */
  id: string;
  /** Request start, ISO-8601 UTC with milliseconds. */
  ts: string;
  /** Upstream request id header, else a generated `req_…`. */
  request_id: string;
  provider: string;
  /** Model as the response reports it (fallback: the request's), or null: what is priced. */
  model: string | null;
  /**
   * The canonical model the request named (src/attributes/model.ts: lower case, the family of a dated alias), or —
   * when the request could not be read — of the model billed: what budgets and rate limits match on.
   */
  requested_model: string | null;
  method: string;
  /** Client path without query string. */
  path: string;
  /** Status sent to the client (0 when none was sent). */
  status: number;
  outcome: Outcome;
  streaming: boolean;
  duration_ms: number;
  /** Time to upstream response headers, or null. */
  ttfb_ms: number | null;
  /** Token counts: null when usage is unknown (unknown is not zero). */
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  cache_write_1h_tokens: number | null;
  reasoning_tokens: number | null;
  audio_input_tokens: number | null;
  audio_output_tokens: number | null;
  web_search_requests: number | null;
  /** Units that are not tokens (docs/architecture.md §21): null when usage is unknown. `audio_ms` is milliseconds. */
  characters: number | null;
  audio_ms: number | null;
  images: number | null;
  search_queries: number | null;
  request_fees: number | null;
  /** Compute seconds billed per second (Replicate), in milliseconds; null when usage is unknown. */
  compute_ms: number | null;
  usage_source: UsageSource;
  /** The provider's usage object, verbatim when small and shallow (src/usage/validate.ts), else a marker; or null. */
  usage_native: unknown;
  /** Exact decimal USD, or null when unpriced. */
  cost_usd: string | null;
  /** Exact integer cost in pico-USD (1e-12), the value sums are made of; null when unpriced. */
  cost_pico: number | null;
  /** Token class → exact decimal USD, or null when unpriced. */
  cost_breakdown: Record<string, string> | null;
  priced: boolean;
  price_version: string | null;
  /** Short fingerprint of the client's credential; never the key. */
  key_id: string | null;
  user: string | null;
  project: string | null;
  tags: string[];
  /** Why metering could not read this response fully, or null. */
  usage_error: string | null;
  /**
   * Realtime (WebSocket) sessions, null for HTTP requests. Every record of one session has its `session_id`:
   * one per metered response (with `response_id`: the response's id, a transcription's item id, or a Gemini Live
   * turn `turn-N`), and one session record written at close (no usage; `close_code` and the traffic both ways:
   * `up` is client → upstream, `down` upstream → client; frames count whole messages).
   */
  session_id: string | null;
  response_id: string | null;
  close_code: number | null;
  bytes_up: number | null;
  bytes_down: number | null;
  frames_up: number | null;
  frames_down: number | null;
}

/**
 * Unpriced: the request had usage (reported or estimated) and no price. A record without usage — blocked, an
 * upstream error, a body without usage — has nothing to price and is not unpriced. Every view asks this (the
 * SQL views through `UNPRICED_SQL`, src/store/queries.ts, which says the same thing in SQL).
 */
export function isUnpriced(r: Pick<UsageRecord, "priced" | "usage_source">): boolean {
  return !r.priced && r.usage_source !== "none";
}
