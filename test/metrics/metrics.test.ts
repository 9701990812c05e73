// Kestrel's metric set in process: what one finished exchange adds, the cap on model labels, and the values read
// at scrape time (in-flight requests, the store queue, alerts, budgets, build info).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BudgetState } from "../../src/control/types.ts";
import { createMetrics, MAX_MODEL_LENGTH, type ScrapeSources } from "../../src/metrics/metrics.ts";
import type { Exchange } from "../../src/exchange.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { parsePrometheusText, samplesOf, sumOf } from "../_helpers/prom-text.ts";

const INFO = { version: "1.2.3", commit: "unknown", runtime: "bun", priceVersion: 'litellm-x+k1' };

const exchange = (ms: Partial<Pick<Exchange, "durationMs" | "ttfbMs" | "addedMs">> = {}) =>
  ({ durationMs: 1500, ttfbMs: 200, addedMs: 0.05, ...ms }) as Exchange;

function record(fields: Partial<UsageRecord>): UsageRecord {
  return {
    provider: "openai",
    model: "gpt-4o",
    outcome: "ok",
    usage_source: "reported",
    input_tokens: null,
    output_tokens: null,
    cache_read_tokens: null,
    cache_write_tokens: null,
    reasoning_tokens: null,
    audio_input_tokens: null,
    audio_output_tokens: null,
    cost_pico: null,
    priced: true,
    ...fields,
  } as UsageRecord;
}

const sources = (over: Partial<ScrapeSources> = {}): ScrapeSources => ({
  inFlight: () => 0,
  store: { stats: () => ({ queued: 0, written: 0, dropped: 0, write_errors: 0 }) },
  control: null,
  alerts: null,
  spans: null,
  now: () => 0,
  ...over,
});

test("one exchange adds its request, tokens by kind, exact cost and its timings", () => {
  const m = createMetrics(INFO);
  m.observe(exchange(), record({ input_tokens: 100, output_tokens: 20, cache_read_tokens: 40, reasoning_tokens: 5, cost_pico: 1_350_000_001 }));
  m.observe(exchange({ ttfbMs: null, addedMs: null }), record({ outcome: "upstream_error", usage_source: "none", priced: false }));
  m.observe(exchange(), record({ model: "mystery", input_tokens: 7, output_tokens: 1, priced: false }));
  const f = parsePrometheusText(m.render(sources()));
  assert.equal(sumOf(f, "kestrel_requests_total", { provider: "openai", model: "gpt-4o", outcome: "ok" }), 1);
  assert.equal(sumOf(f, "kestrel_requests_total", { outcome: "upstream_error" }), 1);
  assert.equal(sumOf(f, "kestrel_requests_total"), 3);
  assert.equal(sumOf(f, "kestrel_tokens_total", { model: "gpt-4o", kind: "input" }), 100);
  assert.equal(sumOf(f, "kestrel_tokens_total", { model: "gpt-4o", kind: "cache_read" }), 40);
  assert.equal(sumOf(f, "kestrel_tokens_total", { model: "gpt-4o", kind: "reasoning" }), 5);
  assert.equal(sumOf(f, "kestrel_tokens_total", { kind: "output" }), 21);
  assert.equal(samplesOf(f, "kestrel_tokens_total").some((s) => s.labels.kind === "audio_input"), false, "no zero series");
  assert.deepEqual(samplesOf(f, "kestrel_cost_usd_total").map((s) => [s.labels.model, s.text]), [["gpt-4o", "0.001350000001"]]);
  // An error without usage has nothing to price: only the model that had usage and no price counts as unpriced.
  assert.deepEqual(samplesOf(f, "kestrel_unpriced_requests_total").map((s) => [s.labels, s.value]), [[{ model: "mystery" }, 1]]);
  assert.equal(sumOf(f, "kestrel_request_duration_seconds_count", { provider: "openai" }), 3);
  assert.equal(sumOf(f, "kestrel_request_duration_seconds_sum"), 4.5);
  assert.equal(sumOf(f, "kestrel_request_duration_seconds_bucket", { le: "1" }), 0);
  assert.equal(sumOf(f, "kestrel_request_duration_seconds_bucket", { le: "2.5" }), 3);
  assert.equal(sumOf(f, "kestrel_upstream_ttfb_seconds_count"), 2);
  assert.equal(sumOf(f, "kestrel_added_latency_seconds_count"), 2);
  assert.equal(sumOf(f, "kestrel_added_latency_seconds_bucket", { le: "0.00005" }), 2);
});

test("model labels are capped: the rest, and over-long names, count as `other`; no model is `unknown`", () => {
  const m = createMetrics(INFO, { maxModels: 3 });
  for (const model of ["a", "b", "c", "d", "e", "a", "x".repeat(MAX_MODEL_LENGTH + 1)]) {
    m.observe(exchange(), record({ model, cost_pico: 10 }));
  }
  m.observe(exchange(), record({ provider: "anthropic", model: "a" }));
  m.observe(exchange(), record({ model: null, usage_source: "none" }));
  const f = parsePrometheusText(m.render(sources()));
  const byModel = new Map(samplesOf(f, "kestrel_requests_total").map((s) => [`${s.labels.provider}/${s.labels.model}`, s.value]));
  assert.deepEqual(Object.fromEntries(byModel), {
    "openai/a": 2,
    "openai/b": 1,
    "openai/c": 1,
    "openai/other": 4,
    "anthropic/a": 1,
  });
  // The cap was reached before the null model came: it counts as other too, never as a new label.
  assert.equal(sumOf(f, "kestrel_cost_usd_total", { model: "other" }), 3e-11);
  const roomy = createMetrics(INFO);
  roomy.observe(exchange(), record({ model: null, usage_source: "none" }));
  assert.equal(sumOf(parsePrometheusText(roomy.render(sources())), "kestrel_requests_total", { model: "unknown" }), 1);
});

test("a flood of made-up models keeps the exposition bounded", () => {
  const m = createMetrics(INFO);
  for (let i = 0; i < 5000; i++) m.observe(exchange(), record({ model: `junk-${i}`, input_tokens: 1 }));
  const f = parsePrometheusText(m.render(sources()));
  assert.equal(samplesOf(f, "kestrel_requests_total").length, 201);
  assert.equal(sumOf(f, "kestrel_requests_total"), 5000);
  assert.equal(sumOf(f, "kestrel_requests_total", { model: "other" }), 4800);
});

// Issue 20 item 25: the client names the model, so first come first served let 200 invented names (each refused
// by the upstream) take every label and push the models actually served into `other`.
test("model labels go to models an upstream confirmed or the price table knows, not to names a client invents", () => {
  const priced = new Set(["gpt-4o", ...Array.from({ length: 150 }, (_, i) => `priced-${i}`)]);
  const m = createMetrics(INFO, { isPriced: (_provider, model) => priced.has(model) });
  const refused = (model: string) => record({ model, outcome: "upstream_error", usage_source: "none", priced: false });
  for (let i = 0; i < 500; i++) m.observe(exchange(), refused(`invented-${i}`));
  // Priced names without an upstream's word (refused, blocked) get labels, but at most half of them.
  for (let i = 0; i < 150; i++) m.observe(exchange(), refused(`priced-${i}`));
  m.observe(exchange(), refused("gpt-4o")); // priced, before its first answer: beyond the half, so `other`
  m.observe(exchange(), record({ model: "gpt-4o", input_tokens: 10, cost_pico: 5 })); // served: its own label
  // Unpriced, but the upstream reported usage for it, or named it in its answer.
  m.observe(exchange(), record({ model: "brand-new", input_tokens: 3, priced: false }));
  const named = { ...exchange(), meter: { model: "named-by-upstream" } } as unknown as Exchange;
  m.observe(named, refused("named-by-upstream"));
  m.observe(exchange(), refused("gpt-4o")); // now a label: counted under it
  const f = parsePrometheusText(m.render(sources()));
  const labels = new Set(samplesOf(f, "kestrel_requests_total").map((s) => s.labels.model));
  assert.equal([...labels].filter((l) => l?.startsWith("invented-")).length, 0);
  assert.equal([...labels].filter((l) => l?.startsWith("priced-")).length, 100);
  for (const l of ["gpt-4o", "brand-new", "named-by-upstream", "other"]) assert.ok(labels.has(l), l);
  assert.equal(sumOf(f, "kestrel_requests_total", { model: "gpt-4o" }), 2);
  assert.equal(sumOf(f, "kestrel_requests_total", { model: "other" }), 500 + 50 + 1);
  assert.equal(sumOf(f, "kestrel_unpriced_requests_total", { model: "brand-new" }), 1);
  assert.equal(sumOf(f, "kestrel_cost_usd_total", { model: "gpt-4o" }), 5e-12);
});

test("scrape-time values: in flight, queue depth, dropped records, alerts, budgets, build info", () => {
  const m = createMetrics(INFO);
  const budget = (id: string, limit_usd: string | null, spent_pico: number) =>
    ({ budget: { id, limit_usd }, spent_pico, spent_tokens: 0, window_start: null, resets_at: null }) as unknown as BudgetState;
  let states = [budget("team-a", "50", 12_500_000_000_000), budget("tokens-only", null, 3)];
  const counts = { raised: 2, sent: 1, failed: 1, retried: 4 };
  const src = sources({
    inFlight: () => 7,
    store: { stats: () => ({ queued: 12, written: 100, dropped: 3, write_errors: 0 }) },
    control: { budgetStates: () => states },
    alerts: { stats: () => ({ "budget.threshold": counts, "spend.spike": { raised: 0, sent: 0, failed: 0, retried: 0 } }) },
  });
  let f = parsePrometheusText(m.render(src));
  assert.equal(sumOf(f, "kestrel_inflight_requests"), 7);
  assert.equal(sumOf(f, "kestrel_store_queue_depth"), 12);
  assert.equal(sumOf(f, "kestrel_records_dropped_total"), 3);
  assert.equal(sumOf(f, "kestrel_alerts_total", { type: "budget.threshold", result: "retried" }), 4);
  assert.equal(sumOf(f, "kestrel_alerts_total", { type: "spend.spike" }), 0);
  assert.deepEqual(samplesOf(f, "kestrel_budget_spent_usd").map((s) => [s.labels.budget, s.text]), [["team-a", "12.5"], ["tokens-only", "0.000000000003"]]);
  assert.deepEqual(samplesOf(f, "kestrel_budget_limit_usd").map((s) => [s.labels.budget, s.text]), [["team-a", "50"]]);
  assert.deepEqual(samplesOf(f, "kestrel_build_info").map((s) => [s.labels, s.value]), [[
    { version: "1.2.3", commit: "unknown", runtime: "bun", price_version: "litellm-x+k1" },
    1,
  ]]);
  assert.equal(f.get("kestrel_requests_total")?.type, "counter");
  assert.equal(f.get("kestrel_inflight_requests")?.type, "gauge");
  // A deleted budget disappears at the next scrape.
  states = [];
  f = parsePrometheusText(m.render(src));
  assert.equal(samplesOf(f, "kestrel_budget_spent_usd").length, 0);
  assert.ok(f.has("kestrel_budget_spent_usd"), "the family is still declared");
});

test("the OTLP exporter's counts appear when spans are exported, and are absent otherwise", () => {
  const m = createMetrics(INFO);
  const without = m.render(sources());
  assert.doesNotMatch(without, /^kestrel_otlp_spans_dropped_total /m);
  const text = m.render(sources({ spans: { stats: () => ({ exported: 7, dropped: 2 }) } }));
  assert.match(text, /^kestrel_otlp_spans_exported_total 7$/m);
  assert.match(text, /^kestrel_otlp_spans_dropped_total 2$/m);
});
