/**
 * @module Pricing micro-benchmark (issue 25): ns per `pricer.price()` and per record's pricing as src/sink/record.ts
 * does it (price(), then `cost_usd` and the breakdown in USD text), for the request-cost bench's gpt-4o-mini usage,
 * Anthropic with cache writes, Gemini with cache reads and reasoning, OpenRouter with a reported cost, and an
 * unknown model.
 * Run: `node_modules/.bin/bun bench/price-micro.ts [SRC_DIR...]` (or `deno run -A`); several SRC_DIRs (e.g.
 * /work/main/src src) are measured in alternating rounds in one process, so a busy machine weighs on each alike.
 */
import { resolve } from "node:path";
import process from "node:process";
import type { Usage } from "../src/usage/types.ts";
import type { PriceContext, Pricer } from "../src/pricing/pricer.ts";

const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [new URL("../src", import.meta.url).pathname];
const trees = await Promise.all(dirs.map(async (d) => {
  const src = resolve(d);
  const { createPricer } = await import(`${src}/pricing/pricer.ts`);
  const { usd } = await import(`${src}/pricing/money.ts`);
  return { src, pricer: createPricer({ onUnpriced() {} }) as Pricer, usd: usd as (pico: number) => string };
}));

const N = Number(process.env.PRICE_N ?? 200_000);
const ROUNDS = Number(process.env.PRICE_ROUNDS ?? 9);

const usage = (fields: Partial<Usage>): Usage => {
  const u = {
    input_tokens: 0, output_tokens: 0, total_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cache_write_1h_tokens: 0,
    reasoning_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, web_search_requests: 0, characters: 0, audio_ms: 0,
    images: 0, search_queries: 0, request_fees: 0, compute_ms: 0, ...fields,
  };
  u.total_tokens = u.input_tokens + u.output_tokens;
  return u;
};
const ctx = (provider: string, model: string, extra: Partial<PriceContext> = {}): PriceContext =>
  ({ provider, model, serviceTier: null, geo: null, reportedCostPico: null, searchContext: null, ...extra });

const CASES = [
  // The mock's JSON answer (bench/lib/bodies.ts chatJson: test/fixtures openai-text.json).
  { name: "openai gpt-4o-mini", usage: usage({ input_tokens: 19, output_tokens: 10 }), ctx: ctx("openai", "gpt-4o-mini-2024-07-18", { serviceTier: "default" }) },
  {
    name: "anthropic cache writes",
    usage: usage({ input_tokens: 3000, output_tokens: 500, cache_read_tokens: 1000, cache_write_tokens: 1500, cache_write_1h_tokens: 500 }),
    ctx: ctx("anthropic", "claude-sonnet-4-5-20250929"),
  },
  {
    name: "gemini cached",
    usage: usage({ input_tokens: 5000, output_tokens: 800, cache_read_tokens: 2000, reasoning_tokens: 300 }),
    ctx: ctx("google-ai-studio", "gemini-2.5-flash"),
  },
  {
    // The provider's own cost is recorded and checked against the table's (src/pricing/pricer.ts reportedApart).
    name: "openrouter, reported cost",
    usage: usage({ input_tokens: 1000, output_tokens: 200 }),
    ctx: ctx("openrouter", "anthropic/claude-sonnet-4.5", { reportedCostPico: 6_060_000_000 }),
  },
  { name: "unknown model", usage: usage({ input_tokens: 100, output_tokens: 10 }), ctx: ctx("openai", "no-such-model-xyz") },
];

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let sink = 0;
for (const c of CASES) {
  // The model string arrives fresh with every response (parsed from its body), not as one interned constant.
  const model = () => ({ ...c.ctx, model: `${c.ctx.model}` });
  const results = trees.map(() => ({ price: [] as number[], record: [] as number[] }));
  for (let r = 0; r < ROUNDS; r++) {
    trees.forEach(({ pricer, usd }, t) => {
      let t0 = performance.now();
      for (let i = 0; i < N; i++) sink += pricer.price(c.usage, model()).cost_pico ?? 0;
      results[t]!.price.push(((performance.now() - t0) * 1e6) / N);
      t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const p = pricer.price(c.usage, model());
        const b = p.breakdown === null ? null : Object.fromEntries(Object.entries(p.breakdown).map(([k, v]) => [k, usd(v)]));
        sink += (p.cost_pico === null ? "" : usd(p.cost_pico)).length + (b === null ? 0 : 1);
      }
      results[t]!.record.push(((performance.now() - t0) * 1e6) / N);
    });
  }
  const first = trees[0]!.pricer.price(c.usage, c.ctx);
  console.log(`${c.name} (cost ${first.cost_pico}, ${first.matched})`);
  trees.forEach(({ src }, t) => {
    console.log(`  ${src.padEnd(28)} price() ${median(results[t]!.price).toFixed(0).padStart(5)} ns   ` +
      `price() + cost_usd + breakdown texts ${median(results[t]!.record).toFixed(0).padStart(5)} ns`);
  });
}
if (sink === -1) console.log(sink);
