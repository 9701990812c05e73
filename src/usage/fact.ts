/**
 * @module A finished exchange's fact → its UsageRecord (docs/architecture.md §8, §11). The fact holds the numbers and
 * strings the record is made of; `recordOf` is the one derivation of the rest (ULID, ISO time, generated request id,
 * decimal USD, redaction). The store worker runs it for the records it writes, the main thread for every other
 * store and for what a failed worker leaves behind: never two derivations. Light imports only: the worker loads it.
 */
import { requestId, ulid } from "../ids.ts";
import { usd } from "../pricing/money.ts";
import { redact } from "../redact.ts";
import type { UsageRecord } from "./record.ts";

/** A store that takes facts (the SQLite store's worker makes their records itself), or any store, given records. */
export interface FactSink {
  add(record: UsageRecord): void;
  addFact?(fact: Fact): void;
}

/**
 * Every record field the main thread knows under the record's own name (settle, metrics, the log line read them
 * as they would a record's), and in place of the derived ones: `startedAt` (ms), the pico breakdown, the problems
 * text before redaction, and `id` / `ts` / `request_id` when the main thread already made them (the log line
 * shows them; null: `recordOf` makes them).
 */
export interface Fact extends Omit<UsageRecord, "id" | "ts" | "request_id" | "cost_usd" | "cost_breakdown" | "usage_error"> {
  startedAt: number;
  id: string | null;
  ts: string | null;
  /** The upstream's request id header, or one generated here; null: `recordOf` generates it. */
  request_id: string | null;
  /** Pico-USD per cost class, or null when unpriced. */
  breakdown: Readonly<Record<string, number>> | null;
  /** What went wrong, `; `-joined, not yet redacted; or null. */
  problems: string | null;
}

/** Makes what the log line or a span shows before the record exists, so the stored record says the same. */
export function pinRequestId(fact: Fact): string {
  return fact.request_id ??= requestId(fact.startedAt);
}

/** The record, with its id and time fixed in the fact first: a record made again from it is the same, byte for byte. */
export function pinnedRecord(fact: Fact): UsageRecord {
  fact.id ??= ulid(fact.startedAt);
  fact.ts ??= new Date(fact.startedAt).toISOString();
  pinRequestId(fact);
  return recordOf(fact);
}

/** Hands a fact to a store: as it is where the store takes facts, else as its record, made here. */
export function addFact(store: FactSink, fact: Fact): void {
  if (store.addFact) store.addFact(fact);
  else store.add(recordOf(fact));
}

export function recordOf(f: Fact): UsageRecord {
  const b = f.breakdown;
  let breakdown: Record<string, string> | null = null;
  if (b !== null) {
    breakdown = {};
    for (const k in b) breakdown[k] = usd(b[k]!);
  }
  return {
    id: f.id ?? ulid(f.startedAt),
    ts: f.ts ?? new Date(f.startedAt).toISOString(),
    request_id: f.request_id ?? requestId(f.startedAt),
    provider: f.provider,
    model: f.model,
    requested_model: f.requested_model,
    method: f.method,
    path: f.path,
    status: f.status,
    outcome: f.outcome,
    streaming: f.streaming,
    duration_ms: f.duration_ms,
    ttfb_ms: f.ttfb_ms,
    input_tokens: f.input_tokens,
    output_tokens: f.output_tokens,
    total_tokens: f.total_tokens,
    cache_read_tokens: f.cache_read_tokens,
    cache_write_tokens: f.cache_write_tokens,
    cache_write_1h_tokens: f.cache_write_1h_tokens,
    reasoning_tokens: f.reasoning_tokens,
    audio_input_tokens: f.audio_input_tokens,
    audio_output_tokens: f.audio_output_tokens,
    web_search_requests: f.web_search_requests,
    characters: f.characters,
    audio_ms: f.audio_ms,
    images: f.images,
    search_queries: f.search_queries,
    request_fees: f.request_fees,
    compute_ms: f.compute_ms,
    usage_source: f.usage_source,
    usage_native: f.usage_native,
    cost_usd: f.cost_pico === null ? null : usd(f.cost_pico),
    cost_pico: f.cost_pico,
    cost_breakdown: breakdown,
    priced: f.priced,
    price_version: f.price_version,
    key_id: f.key_id,
    user: f.user,
    project: f.project,
    tags: f.tags,
    // Error texts can quote the upstream URL (`?key=`) or an upstream's echo of a header: stored only redacted.
    usage_error: f.problems === null ? null : redact(f.problems),
    session_id: f.session_id,
    response_id: f.response_id,
    close_code: f.close_code,
    bytes_up: f.bytes_up,
    bytes_down: f.bytes_down,
    frames_up: f.frames_up,
    frames_down: f.frames_down,
  };
}
