import { test } from "node:test";
import assert from "node:assert/strict";
import { cost, PriceGap } from "../../src/pricing/cost.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import type { ModelPrice } from "../../src/pricing/types.ts";
import { PRICE_TABLE_INFO, PRICE_VERSION, priceVersionLine } from "../../src/pricing/version.ts";
import { ctx, usage } from "./_helpers.ts";

test("pricer: onUnpriced once per (provider, model); unpricedCount counts every unpriced request", () => {
  const calls: string[] = [];
  const p = createPricer({ onUnpriced: (provider, model) => calls.push(`${provider}/${model}`) });
  const u = usage({ input_tokens: 1, output_tokens: 1 });
  p.price(u, ctx("openai", "no-such-model"));
  p.price(u, ctx("openai", "no-such-model"));
  p.price(u, ctx("groq", "no-such-model"));
  p.price(u, ctx("openai", "gpt-4o")); // priced: not counted
  p.price(null, ctx("openai", "gpt-4o")); // usage unknown: unpriced, but not a missing price
  p.price(u, ctx("openai", null)); // no model at all
  assert.deepEqual(calls, ["openai/no-such-model", "groq/no-such-model"]);
  assert.equal(p.unpricedCount, 5);
});

test("pricer: unpriced results are null, never 0", () => {
  const r = createPricer().price(usage({ input_tokens: 5 }), ctx("openai", "no-such-model"));
  assert.deepEqual(r, { priced: false, cost_pico: null, breakdown: null, price_version: PRICE_VERSION, matched: null, source: null });
});

test("pricer: a known model with an unpriceable part is unpriced, with the row it matched", () => {
  // gpt-4o has no per-call web search price: 2 searches cannot be priced, so the request is not priced at all.
  const r = createPricer().price(usage({ input_tokens: 5, web_search_requests: 2 }), ctx("openai", "gpt-4o"));
  assert.deepEqual([r.priced, r.cost_pico, r.matched], [false, null, "gpt-4o"]);
});

test("pricer: inconsistent or non-integer usage is unpriced, not guessed", () => {
  const p = createPricer();
  assert.equal(p.price(usage({ input_tokens: 1.5 }), ctx("openai", "gpt-4o")).priced, false);
  assert.equal(p.price(usage({ input_tokens: -1 }), ctx("openai", "gpt-4o")).priced, false);
});

test("pricer: beyond the exact range is unpriced (BigInt path), below it exact", () => {
  const p = createPricer();
  // o1-pro output is $600/M = 6e8 pico per token; 2^24 tokens → 1.0066e16 pico > 2^53: refused, not rounded
  const huge = p.price(usage({ output_tokens: 2 ** 24 }), ctx("openai", "o1-pro"));
  assert.equal(huge.priced, false);
  // 10,000,000 tokens at $600/M = 6e15 pico < 2^53: exact ($6,000)
  const big = p.price(usage({ output_tokens: 10_000_000 }), ctx("openai", "o1-pro"));
  assert.equal(big.cost_pico, 6_000_000_000_000_000);
});

test("pricer: an invalid reported cost is ignored (table price used)", () => {
  const r = createPricer().price(usage({ input_tokens: 1000 }), ctx("openai", "gpt-4o", { reportedCostPico: -5 }));
  assert.deepEqual([r.source, r.cost_pico], ["table", 2_500_000_000]); // 1000 × 2.5
});

test("pricer: version and describe", () => {
  const p = createPricer();
  assert.equal(p.version, PRICE_VERSION);
  assert.match(PRICE_VERSION, /^litellm-2026-07-24\+k\d+$/);
  assert.equal(PRICE_TABLE_INFO.upstreamDate, "2026-07-24");
  assert.match(priceVersionLine(), /^prices litellm-2026-07-24\+k\d+ \(\d+ upstream rows from 2026-07-24, sha256 4c6858bb791b/);
  const all = p.describe();
  assert.match(all, /corrections revision k\d+/);
  assert.match(all, /RoCry\/llm-api-price 8442b939/);
  const one = p.describe("claude-3-opus-20240229");
  assert.match(one, /cache write 1h 30/);
  assert.match(one, /\[correction\]/);
  assert.match(p.describe("gpt-4o"), /openai {2}gpt-4o {2}\[table\]/);
  assert.match(p.describe("no-such-model"), /No price for "no-such-model"/);
  assert.match(p.describe("google-ai-studio/gemini-2.5-pro"), /input above 200000 tokens: input 2\.5, output 15/);
});

// Synthetic row for the fallbacks cost() applies when a rate is missing.
const BARE: ModelPrice = { input: 1_000_000, output: 2_000_000, mode: "chat", lp: "test" };
const FALLBACKS: [string, Parameters<typeof usage>[0], number, string][] = [
  ["cache read without a rate bills at input", { input_tokens: 10, cache_read_tokens: 10 }, 10_000_000, "10 × 1 (never free)"],
  ["cache writes without rates bill at input", { input_tokens: 10, cache_write_tokens: 10, cache_write_1h_tokens: 4 }, 10_000_000, "6 × 1 + 4 × 1"],
  ["audio without rates bills at text rates", { input_tokens: 10, audio_input_tokens: 10, output_tokens: 5, audio_output_tokens: 5 }, 20_000_000, "10 × 1 + 5 × 2"],
  ["subsets larger than the parent are clamped", { input_tokens: 5, cache_read_tokens: 10, output_tokens: 1, reasoning_tokens: 9 }, 12_000_000, "0 uncached; 10 read × 1; 1 out × 2"],
];
for (const [name, u, want, why] of FALLBACKS) {
  test(`cost(): ${name} (${why})`, () => assert.equal(cost(usage(u), BARE, { serviceTier: null, geo: null }).total, want));
}

test("cost(): a service tier's own long-context rate wins over the standard tier rate", () => {
  const p: ModelPrice = {
    ...BARE,
    tiers: [{ above: 100, input: 3_000_000 }],
    priority: { input: 5_000_000, tiers: [{ above: 100, input: 7_000_000 }] },
  };
  const at = (n: number, tier: string | null) => cost(usage({ input_tokens: n }), p, { serviceTier: tier, geo: null }).total;
  assert.equal(at(100, "priority"), 500_000_000); // 100 × 5 (not above 100)
  assert.equal(at(101, "priority"), 707_000_000); // 101 × 7
  assert.equal(at(101, null), 303_000_000); // 101 × 3
  // No flex set at all: the flex price is unknown, not the standard one.
  assert.throws(() => at(101, "flex"), PriceGap);
});
