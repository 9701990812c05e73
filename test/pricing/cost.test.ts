import { test } from "node:test";
import assert from "node:assert/strict";
import { createPricer } from "../../src/pricing/pricer.ts";
import { usd, usdFixed } from "../../src/pricing/money.ts";
import type { Usage } from "../../src/usage/types.ts";
import { ctx, usage } from "./_helpers.ts";

const pricer = createPricer();

interface Row {
  name: string;
  provider: string;
  model: string;
  u: Partial<Usage>;
  tier?: string;
  geo?: string;
  /** Expected breakdown in pico-USD (non-zero classes); the total is their sum. */
  want: Record<string, number>;
}

// Rates are the table's, in pico-USD per token (= USD per 1M tokens × 1e6). Each comment is the hand computation.
const ROWS: Row[] = [
  // Seed example: 15 × $3/M = $0.000045; 87 × $15/M = $0.001305; total $0.001350
  { name: "seed example", provider: "anthropic", model: "claude-3-5-sonnet-20241022", u: { input_tokens: 15, output_tokens: 87 }, want: { input: 45_000_000, output: 1_305_000_000 } },
  // Sonnet 4.5: 100 uncached × 3 = 300e6; 1000 read × 0.3 = 300e6; 300 5m × 3.75 = 1125e6; 200 1h × 6 = 1200e6; 50 out × 15 = 750e6 → $0.003675
  { name: "anthropic read + 5m + 1h", provider: "anthropic", model: "claude-sonnet-4-5-20250929", u: { input_tokens: 1600, cache_read_tokens: 1000, cache_write_tokens: 500, cache_write_1h_tokens: 200, output_tokens: 50 }, want: { input: 300_000_000, cache_read: 300_000_000, cache_write_5m: 1_125_000_000, cache_write_1h: 1_200_000_000, output: 750_000_000 } },
  // gpt-4o: 500 uncached × 2.5 = 1250e6; 1500 cached × 1.25 = 1875e6; 100 out × 10 = 1000e6 → $0.004125
  { name: "openai cached input", provider: "openai", model: "gpt-4o", u: { input_tokens: 2000, cache_read_tokens: 1500, output_tokens: 100 }, want: { input: 1_250_000_000, cache_read: 1_875_000_000, output: 1_000_000_000 } },
  // o3: 100 × 2 = 200e6; 1000 out (800 of them reasoning, billed once) × 8 = 8000e6 → $0.0082 (not 1800 × 8, not 200 × 8)
  { name: "reasoning billed once as output", provider: "openai", model: "o3", u: { input_tokens: 100, output_tokens: 1000, reasoning_tokens: 800 }, want: { input: 200_000_000, output: 8_000_000_000 } },
  // gemini-3-pro-preview: 9 × 2 = 18e6; (23 candidates + 185 thoughts) × 12 = 2496e6 → $0.002514
  { name: "gemini thoughts billed as output", provider: "google-ai-studio", model: "gemini-3-pro-preview", u: { input_tokens: 9, output_tokens: 208, reasoning_tokens: 185 }, want: { input: 18_000_000, output: 2_496_000_000 } },
  // gemini 2.5 pro ≤ 200k: 199,999 × 1.25 = 249,998.75e6; 1000 × 10 = 10,000e6 → $0.25999875
  { name: "gemini 2.5 pro 199,999", provider: "google-ai-studio", model: "gemini-2.5-pro", u: { input_tokens: 199_999, output_tokens: 1000 }, want: { input: 249_998_750_000, output: 10_000_000_000 } },
  // exactly 200,000 is not above: 200,000 × 1.25 = 250,000e6; 1000 × 10 = 10,000e6 → $0.26
  { name: "gemini 2.5 pro 200,000", provider: "google-ai-studio", model: "gemini-2.5-pro", u: { input_tokens: 200_000, output_tokens: 1000 }, want: { input: 250_000_000_000, output: 10_000_000_000 } },
  // > 200k: whole request at 2.5 / 15: 200,001 × 2.5 = 500,002.5e6; 1000 × 15 = 15,000e6 → $0.5150025
  { name: "gemini 2.5 pro 200,001", provider: "google-ai-studio", model: "gemini-2.5-pro", u: { input_tokens: 200_001, output_tokens: 1000 }, want: { input: 500_002_500_000, output: 15_000_000_000 } },
  // cached tokens count toward the threshold: 150,000 × 2.5 = 375,000e6; 60,000 × 0.25 = 15,000e6; 1000 × 15 = 15,000e6 → $0.405
  { name: "gemini 2.5 pro cached crosses", provider: "google-ai-studio", model: "gemini-2.5-pro", u: { input_tokens: 210_000, cache_read_tokens: 60_000, output_tokens: 1000 }, want: { input: 375_000_000_000, cache_read: 15_000_000_000, output: 15_000_000_000 } },
  // Sonnet 4.5 > 200k (210,000 in): 150,000 × 6 = 900,000e6; 40,000 × 0.6 = 24,000e6; 15,000 × 7.5 = 112,500e6; 5,000 × 12 = 60,000e6; 2,000 × 22.5 = 45,000e6 → $1.1415
  { name: "sonnet 4.5 above 200k", provider: "anthropic", model: "claude-sonnet-4-5", u: { input_tokens: 210_000, cache_read_tokens: 40_000, cache_write_tokens: 20_000, cache_write_1h_tokens: 5_000, output_tokens: 2_000 }, want: { input: 900_000_000_000, cache_read: 24_000_000_000, cache_write_5m: 112_500_000_000, cache_write_1h: 60_000_000_000, output: 45_000_000_000 } },
  // Sonnet 4 > 200k, 1h rate from the claude-1h-write rule (2 × 6 = 12): 200,000 × 6 = 1,200,000e6; 1000 × 12 = 12,000e6 → $1.212
  { name: "sonnet 4 above 200k 1h", provider: "anthropic", model: "claude-sonnet-4-20250514", u: { input_tokens: 201_000, cache_write_tokens: 1000, cache_write_1h_tokens: 1000 }, want: { input: 1_200_000_000_000, cache_write_1h: 12_000_000_000 } },
  // gpt-5.4 at 272,000 (not above): 272,000 × 2.5 = 680,000e6; 1000 × 15 = 15,000e6 → $0.695
  { name: "gpt-5.4 272,000", provider: "openai", model: "gpt-5.4", u: { input_tokens: 272_000, output_tokens: 1000 }, want: { input: 680_000_000_000, output: 15_000_000_000 } },
  // gpt-5.4 > 272k: 272,001 × 5 = 1,360,005e6; 1000 × 22.5 = 22,500e6 → $1.382505
  { name: "gpt-5.4 272,001", provider: "openai", model: "gpt-5.4", u: { input_tokens: 272_001, output_tokens: 1000 }, want: { input: 1_360_005_000_000, output: 22_500_000_000 } },
  // xAI thresholds are inclusive: grok-4-0709 at exactly 128,000 uses 6 / 30: 128,000 × 6 = 768,000e6; 10 × 30 = 300e6
  { name: "xai 128,000 inclusive", provider: "grok", model: "grok-4-0709", u: { input_tokens: 128_000, output_tokens: 10 }, want: { input: 768_000_000_000, output: 300_000_000 } },
  // 127,999 stays at 3 / 15: 127,999 × 3 = 383,997e6; 10 × 15 = 150e6
  { name: "xai 127,999", provider: "grok", model: "grok-4-0709", u: { input_tokens: 127_999, output_tokens: 10 }, want: { input: 383_997_000_000, output: 150_000_000 } },
  // DeepSeek: 400 miss × 0.28 = 112e6; 600 hit × 0.028 = 16.8e6; 200 × 0.42 = 84e6 → $0.0002128
  { name: "deepseek hit/miss", provider: "deepseek", model: "deepseek-chat", u: { input_tokens: 1000, cache_read_tokens: 600, output_tokens: 200 }, want: { input: 112_000_000, cache_read: 16_800_000, output: 84_000_000 } },
  // o3 flex (1 / 4 / cached 0.25): 800 × 1 = 800e6; 200 × 0.25 = 50e6; 500 × 4 = 2000e6 → $0.00285
  { name: "flex tier", provider: "openai", model: "o3", tier: "flex", u: { input_tokens: 1000, cache_read_tokens: 200, output_tokens: 500 }, want: { input: 800_000_000, cache_read: 50_000_000, output: 2_000_000_000 } },
  // o3 priority (3.5 / 14 / cached 0.875): 800 × 3.5 = 2800e6; 200 × 0.875 = 175e6; 500 × 14 = 7000e6 → $0.009975
  { name: "priority tier", provider: "openai", model: "o3", tier: "priority", u: { input_tokens: 1000, cache_read_tokens: 200, output_tokens: 500 }, want: { input: 2_800_000_000, cache_read: 175_000_000, output: 7_000_000_000 } },
  // "fast" on a model without a fast multiplier is priority (LiteLLM's mapping): same as the row above
  { name: "fast → priority", provider: "openai", model: "o3", tier: "fast", u: { input_tokens: 1000, cache_read_tokens: 200, output_tokens: 500 }, want: { input: 2_800_000_000, cache_read: 175_000_000, output: 7_000_000_000 } },
  // "default" is standard: same as base
  { name: "default tier", provider: "openai", model: "gpt-4o", tier: "default", u: { input_tokens: 1000, output_tokens: 100 }, want: { input: 2_500_000_000, output: 1_000_000_000 } },
  // gpt-4o batch (1.25 / 5): 1000 × 1.25 = 1250e6; 100 × 5 = 500e6
  { name: "openai batch", provider: "openai", model: "gpt-4o", tier: "batch", u: { input_tokens: 1000, output_tokens: 100 }, want: { input: 1_250_000_000, output: 500_000_000 } },
  // Anthropic service_tier "batch" = 50% (rule anthropic-batch): 1000 × 1.5 = 1500e6; 100 × 7.5 = 750e6
  { name: "anthropic batch", provider: "anthropic", model: "claude-sonnet-4-5", tier: "batch", u: { input_tokens: 1000, output_tokens: 100 }, want: { input: 1_500_000_000, output: 750_000_000 } },
  // Opus 4.6 inference_geo "us" ×1.1: 1000 × 5.5 = 5500e6; 100 × 27.5 = 2750e6
  { name: "anthropic geo us", provider: "anthropic", model: "claude-opus-4-6", geo: "us", u: { input_tokens: 1000, output_tokens: 100 }, want: { input: 5_500_000_000, output: 2_750_000_000 } },
  // Opus 4.6 fast ×6 and geo us ×1.1 = ×6.6: 1000 × 33 = 33,000e6; 100 × 165 = 16,500e6
  { name: "anthropic fast + geo", provider: "anthropic", model: "claude-opus-4-6", tier: "fast", geo: "us", u: { input_tokens: 1000, output_tokens: 100 }, want: { input: 33_000_000_000, output: 16_500_000_000 } },
  // "global" geo has no multiplier: 1000 × 5 = 5000e6; 100 × 25 = 2500e6
  { name: "anthropic geo global", provider: "anthropic", model: "claude-opus-4-6", geo: "global", u: { input_tokens: 1000, output_tokens: 100 }, want: { input: 5_000_000_000, output: 2_500_000_000 } },
  // text-embedding-3-small: 1000 × 0.02 = 20e6 → $0.00002
  { name: "openai embedding", provider: "openai", model: "text-embedding-3-small", u: { input_tokens: 1000 }, want: { input: 20_000_000 } },
  // mistral-embed (no output price upstream = 0 for embeddings): 1000 × 0.1 = 100e6
  { name: "mistral embedding", provider: "mistral", model: "mistral-embed", u: { input_tokens: 1000 }, want: { input: 100_000_000 } },
  // Claude 3 Opus 1h write corrected to $30/M: 1000 × 30 = 30,000e6 → $0.03 (upstream's $6 would give $0.006)
  { name: "claude 3 opus 1h", provider: "anthropic", model: "claude-3-opus-20240229", u: { input_tokens: 1000, cache_write_tokens: 1000, cache_write_1h_tokens: 1000 }, want: { cache_write_1h: 30_000_000_000 } },
  // Claude 3 Haiku 1h write corrected to $0.50/M: 1000 × 0.5 = 500e6 → $0.0005
  { name: "claude 3 haiku 1h", provider: "anthropic", model: "claude-3-haiku-20240307", u: { input_tokens: 1000, cache_write_tokens: 1000, cache_write_1h_tokens: 1000 }, want: { cache_write_1h: 500_000_000 } },
  // Claude 3.5 Haiku at $0.80 / $4 (seed's $1 / $5 would be $0.006): 1000 × 0.8 = 800e6; 1000 × 4 = 4000e6 → $0.0048
  { name: "claude 3.5 haiku", provider: "anthropic", model: "claude-3-5-haiku-20241022", u: { input_tokens: 1000, output_tokens: 1000 }, want: { input: 800_000_000, output: 4_000_000_000 } },
  // 3.5 Haiku cache: 1000 5m × 1 = 1000e6; 1000 1h × 1.6 = 1600e6; 1000 read × 0.08 = 80e6
  { name: "claude 3.5 haiku cache", provider: "anthropic", model: "claude-3-5-haiku-20241022", u: { input_tokens: 3000, cache_write_tokens: 2000, cache_write_1h_tokens: 1000, cache_read_tokens: 1000 }, want: { cache_write_5m: 1_000_000_000, cache_write_1h: 1_600_000_000, cache_read: 80_000_000 } },
  // Sonnet 4.5 web search: 3 × $0.01 = 30,000e6 pico; 10 × 3 = 30e6; 10 × 15 = 150e6
  { name: "anthropic web search", provider: "anthropic", model: "claude-sonnet-4-5", u: { input_tokens: 10, output_tokens: 10, web_search_requests: 3 }, want: { input: 30_000_000, output: 150_000_000, web_search: 30_000_000_000 } },
  // gpt-4o-audio-preview: text in 400 × 2.5 = 1000e6; audio in 600 × 40 = 24,000e6; text out 200 × 10 = 2000e6; audio out 300 × 80 = 24,000e6
  { name: "audio in/out", provider: "openai", model: "gpt-4o-audio-preview", u: { input_tokens: 1000, audio_input_tokens: 600, output_tokens: 500, audio_output_tokens: 300 }, want: { input: 1_000_000_000, audio_input: 24_000_000_000, output: 2_000_000_000, audio_output: 24_000_000_000 } },
  // sonar-deep-research prices reasoning apart ($3 vs $8 output): 100 × 2 = 200e6; 400 × 8 + 600 × 3 = 3200e6 + 1800e6 = 5000e6
  { name: "reasoning priced apart", provider: "perplexity-ai", model: "sonar-deep-research", u: { input_tokens: 100, output_tokens: 1000, reasoning_tokens: 600 }, want: { input: 200_000_000, output: 5_000_000_000 } },
];

for (const row of ROWS) {
  test(`cost: ${row.name}`, () => {
    const r = pricer.price(usage(row.u), ctx(row.provider, row.model, { serviceTier: row.tier ?? null, geo: row.geo ?? null }));
    const total = Object.values(row.want).reduce((a, b) => a + b, 0);
    assert.equal(r.priced, true, `${row.model} should be priced`);
    assert.deepEqual(r.breakdown, row.want);
    assert.equal(r.cost_pico, total);
    assert.equal(r.source, "table");
  });
}

test("cost: a service tier the row has no rates for is unpriced with a note, never billed at standard", () => {
  // gpt-4o has no flex rates (neither has any gpt-4o snapshot); gpt-5-nano's bogus priority was corrected away.
  // Standard would be 2× too much for flex and ~40 % low for priority, so the honest answer is "unknown".
  for (const [model, tier] of [["gpt-4o", "flex"], ["gpt-5-nano", "priority"], ["gpt-5-nano-2025-08-07", "priority"]]) {
    const r = pricer.price(usage({ input_tokens: 1000, output_tokens: 100 }), ctx("openai", model!, { serviceTier: tier! }));
    assert.deepEqual([r.priced, r.cost_pico, r.breakdown], [false, null, null], `${model} ${tier}`);
    assert.match(r.note ?? "", new RegExp(`no ${tier} rates`));
  }
});

test("cost: seed example prints as the seed did", () => {
  const r = pricer.price(usage({ input_tokens: 15, output_tokens: 87 }), ctx("anthropic", "claude-3-5-sonnet-20241022"));
  // I=$0.000045 O=$0.001305 Total=$0.001350 (6 decimals, as the seed's log line)
  assert.equal(usdFixed(r.breakdown?.input ?? -1, 6), "0.000045");
  assert.equal(usdFixed(r.breakdown?.output ?? -1, 6), "0.001305");
  assert.equal(usdFixed(r.cost_pico ?? -1, 6), "0.001350");
  assert.equal(usd(r.cost_pico ?? -1), "0.00135");
});

test("cost: unknown model and near misses are unpriced, never another model's price", () => {
  const cases: [string, string][] = [
    ["openai", "gpt-4o-ultra-9000"], // unknown
    ["openai", "gpt-4o-mini-foo"], // not gpt-4o-mini, not gpt-4o
    ["openai", "gpt-4"], // gpt-4 is not gpt-4o (and vice versa)
    ["anthropic", "claude-sonnet"], // no family guess
    ["anthropic", "gpt-4o"], // another provider's model
  ];
  for (const [provider, model] of cases) {
    const r = pricer.price(usage({ input_tokens: 10, output_tokens: 10 }), ctx(provider, model));
    if (provider === "openai" && model === "gpt-4") continue; // gpt-4 exists: only check it is not gpt-4o's price
    assert.equal(r.priced, false, `${provider}/${model}`);
    assert.equal(r.cost_pico, null);
    assert.equal(r.breakdown, null);
  }
  const gpt4 = pricer.price(usage({ input_tokens: 1, output_tokens: 0 }), ctx("openai", "gpt-4"));
  assert.equal(gpt4.matched, "gpt-4"); // $30/M = 30e6 pico, not gpt-4o's 2.5e6
  assert.equal(gpt4.cost_pico, 30_000_000);
});
