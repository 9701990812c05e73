/**
 * @module Metrics micro-benchmark: ns per `observe()` (what the sink adds per finished exchange) over a realistic
 * mix of records (3 providers, 20 models, mostly `ok`), and ms per scrape (`render()`) once the model labels are
 * full (200 models × 3 providers). Run: `node_modules/.bin/bun bench/metrics-micro.ts` (or `deno run -A`).
 */
import { createMetrics, MAX_MODELS, type ScrapeSources } from "../src/metrics/metrics.ts";
import type { Exchange } from "../src/routes/proxy.ts";
import type { Outcome, UsageRecord } from "../src/usage/record.ts";

const N = 2_000_000;
const ROUNDS = 7;
const PROVIDERS = ["openai", "anthropic", "google"];
const OUTCOMES: Outcome[] = ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "upstream_error", "client_aborted", "ok"];

function record(i: number, models: number): UsageRecord {
  return {
    provider: PROVIDERS[i % PROVIDERS.length]!,
    model: `model-${i % models}`,
    outcome: OUTCOMES[i % OUTCOMES.length]!,
    usage_source: "reported",
    input_tokens: 1200 + i,
    output_tokens: 300,
    cache_read_tokens: i % 2 ? 1000 : 0,
    cache_write_tokens: null,
    reasoning_tokens: i % 3 ? 100 : null,
    audio_input_tokens: null,
    audio_output_tokens: null,
    cost_pico: 1_234_567_890 + i,
    priced: true,
  } as UsageRecord;
}

const exchanges = Array.from({ length: 1024 }, (_, i) => ({ durationMs: 100 + i, ttfbMs: 50 + i / 2, addedMs: 0.03 }) as Exchange);
const records = Array.from({ length: 1024 }, (_, i) => record(i, 20));
const info = { version: "bench", commit: "bench", runtime: "bench", priceVersion: "bench" };
const sources: ScrapeSources = {
  inFlight: () => 3,
  store: { stats: () => ({ queued: 0, written: 0, dropped: 0, write_errors: 0 }) },
  control: null,
  alerts: null,
  spans: null,
  now: Date.now,
};

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const observeNs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const m = createMetrics(info);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) m.observe(exchanges[i & 1023]!, records[i & 1023]!);
  observeNs.push(((performance.now() - t0) * 1e6) / N);
}
console.log(`observe(): ${median(observeNs).toFixed(1)} ns per exchange (median of ${ROUNDS} × ${N.toLocaleString("en-US")})`);

const full = createMetrics(info);
for (let i = 0; i < MAX_MODELS * PROVIDERS.length * 4; i++) full.observe(exchanges[i & 1023]!, record(i, MAX_MODELS));
const renderMs: number[] = [];
let bytes = 0;
for (let r = 0; r < ROUNDS; r++) {
  const t0 = performance.now();
  bytes = full.render(sources).length;
  renderMs.push(performance.now() - t0);
}
console.log(`render(): ${median(renderMs).toFixed(2)} ms per scrape with ${MAX_MODELS} models × ${PROVIDERS.length} providers (${(bytes / 1024).toFixed(0)} KiB)`);
