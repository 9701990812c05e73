/**
 * @module Pricing micro-benchmark: ns per `pricer.price()` (what buildRecord pays per finished exchange) for the
 * request-cost bench's gpt-4o-mini usage, Anthropic with cache writes, Gemini with cached reads, and an unknown model;
 * and ns for the record's `cost_usd` + breakdown texts. Run: `node_modules/.bin/bun bench/price-micro.ts [SRC_DIR]`
 * (or `deno run -A`); SRC_DIR defaults to this tree's src/, so before/after runs side by side.
 */
import { resolve } from "node:path";
import type { Usage } from "../src/usage/types.ts";

const SRC = resolve(process.argv[2] ?? new URL("../src", import.meta.url).pathname);
const { createPricer } = await import(`${SRC}/pricing/pricer.ts`);
const { usd } = await import(`${SRC}/pricing/money.ts`);
const { emptyUsage } = await import(`${SRC}/usage/types.ts`);

const N = 500_000;
const ROUNDS = 7;

const usage = (fields: Partial<Usage>): Usage => {
  const u = { ...emptyUsage(), ...fields } as Usage;
  u.total_tokens = u.input_tokens + u.output_tokens;
  return u;
};
const ctx = (provider: string, model: string, extra: Record<string, unknown> = {}) =>
  ({ provider, model, serviceTier: null, geo: null, reportedCostPico: null, searchContext: null, ...extra });

const CASES = [
  // The mock's JSON answer (bench/lib/bodies.ts chatJson: test/fixtures openai-text.json).
  { name: "openai gpt-4o-mini", usage: usage({ input_tokens: 19, output_tokens: 10 }), ctx: ctx("openai", "gpt-4o-mini-2024-07-18", { serviceTier: "default" }) },
  { name: "anthropic cache writes", usage: usage({ input_tokens: 3000, output_tokens: 500, cache_read_tokens: 1000, cache_write_tokens: 1500, cache_write_1h_tokens: 500 }), ctx: ctx("anthropic", "claude-sonnet-4-5-20250929") },
  { name: "gemini cached", usage: usage({ input_tokens: 5000, output_tokens: 800, cache_read_tokens: 2000, reasoning_tokens: 300 }), ctx: ctx("google-ai-studio", "gemini-2.5-flash") },
  { name: "unknown model", usage: usage({ input_tokens: 100, output_tokens: 10 }), ctx: ctx("openai", "no-such-model-xyz") },
];

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pricer = createPricer({ onUnpriced() {} });
let sink = 0;
for (const c of CASES) {
  const first = pricer.price(c.usage, c.ctx);
  const priceNs: number[] = [];
  const textNs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now();
    for (let i = 0; i < N; i++) sink += pricer.price(c.usage, c.ctx).cost_pico ?? 0;
    priceNs.push(((performance.now() - t0) * 1e6) / N);
    t0 = performance.now();
    for (let i = 0; i < N; i++) {
      // What buildRecord does with the result: cost_usd and the breakdown in USD text.
      const p = first;
      const b = p.breakdown === null ? null : Object.fromEntries(Object.entries(p.breakdown).map(([k, v]) => [k, usd(v as number)]));
      sink += (p.cost_pico === null ? "" : usd(p.cost_pico)).length + (b === null ? 0 : 1);
    }
    textNs.push(((performance.now() - t0) * 1e6) / N);
  }
  console.log(`${c.name.padEnd(24)} price() ${median(priceNs).toFixed(0).padStart(5)} ns   usd texts ${median(textNs).toFixed(0).padStart(5)} ns   ` +
    `(cost ${first.cost_pico}, ${first.matched}, ${first.source})`);
}
if (sink === -1) console.log(sink);
