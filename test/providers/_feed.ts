/** @module Test helpers: run an accumulator through the real meter, build facts, write expected usages. */
import { fileURLToPath } from "node:url";
import { createMeter, type Framing, type MeterOutcome } from "../../src/meter/meter.ts";
import { getProvider } from "../../src/providers/registry.ts";
import type { RequestFacts, UsageAccumulator } from "../../src/providers/types.ts";
import type { Usage } from "../../src/usage/types.ts";

/** The fixtures copied next to these tests (MANIFEST.json, README.md, LICENSES/ travel with them). */
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

const encoder = new TextEncoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function facts(
  provider: string,
  path: string,
  options: { body?: unknown; query?: string; method?: string; headers?: HeadersInit } = {},
): RequestFacts {
  return {
    provider,
    method: options.method ?? "POST",
    path,
    query: options.query ?? "",
    body: options.body,
    headers: new Headers(options.headers),
  };
}

/** The accumulator the registry picks for these facts; fails the test when there is none. */
export function accumulatorFor(f: RequestFacts): UsageAccumulator {
  const spec = getProvider(f.provider);
  if (spec === undefined) throw new Error(`No provider "${f.provider}"`);
  const acc = spec.createAccumulator(f);
  if (acc === null) throw new Error(`No accumulator for "${f.provider}" "${f.path}"`);
  return acc;
}

/** The accumulator the registry picks, or null when the endpoint is not metered. */
export function accumulatorOrNull(f: RequestFacts): UsageAccumulator | null {
  return getProvider(f.provider)?.createAccumulator(f) ?? null;
}

export interface FeedOptions {
  complete?: boolean;
  status?: number;
  headers?: HeadersInit;
}

/** Feeds chunks through the real meter (scanner / JSON parse / event-stream decoder) and ends it. */
export function feed(
  acc: UsageAccumulator,
  framing: Framing,
  chunks: readonly Uint8Array[],
  options: FeedOptions = {},
): MeterOutcome {
  acc.onResponse?.(options.status ?? 200, new Headers(options.headers));
  const meter = createMeter(framing, acc);
  for (const chunk of chunks) meter.push(chunk);
  return meter.end(options.complete ?? true);
}

/** Meters one SSE text for a request. */
export function meterSse(f: RequestFacts, text: string, options: FeedOptions = {}): MeterOutcome {
  return feed(accumulatorFor(f), "sse", [bytes(text)], options);
}

/** Meters one JSON body for a request. */
export function meterJson(f: RequestFacts, body: unknown, options: FeedOptions = {}): MeterOutcome {
  return feed(accumulatorFor(f), "json", [bytes(JSON.stringify(body))], options);
}

/** SSE text from events: `[name, data]` pairs (name null for data-only), each ended by a blank line. */
export function sse(...events: ReadonlyArray<readonly [string | null, unknown]>): string {
  return events.map(([name, data]) => {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    return `${name === null ? "" : `event: ${name}\n`}data: ${text}\n\n`;
  }).join("");
}

/** Optional subsets of an expected Usage, by short name. */
export interface Extras {
  cr?: number;
  cw?: number;
  cw1h?: number;
  rs?: number;
  ai?: number;
  ao?: number;
  ws?: number;
}

/** An expected Usage written out by hand: input, output, total, and the subsets that are not 0. */
export function u(input: number, output: number, total: number, x: Extras = {}): Usage {
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: total,
    cache_read_tokens: x.cr ?? 0,
    cache_write_tokens: x.cw ?? 0,
    cache_write_1h_tokens: x.cw1h ?? 0,
    reasoning_tokens: x.rs ?? 0,
    audio_input_tokens: x.ai ?? 0,
    audio_output_tokens: x.ao ?? 0,
    web_search_requests: x.ws ?? 0,
    characters: 0,
    audio_ms: 0,
    images: 0,
    search_queries: 0,
    request_fees: 0,
    compute_ms: 0,
  };
}
