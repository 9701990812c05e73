/**
 * The pricer resolves a row's rates once per (provider, model, geo, service tier) and caches them
 * (src/pricing/plan.ts); `cost()` resolves them per call. Over many usages, models, tiers and geos, interleaved so
 * that cached plans are reused and the bounded cache starts over, both give the same cost, parts and notes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { COST_CLASSES, cost, type Cost, PriceGap } from "../../src/pricing/cost.ts";
import { lookupModel } from "../../src/pricing/lookup.ts";
import { createPricer, nonZero, type PriceContext } from "../../src/pricing/pricer.ts";
import { parsePriceOverrides } from "../../src/pricing/overrides.ts";
import { switchablePricer } from "../../src/pricing/switchable.ts";
import { createTable } from "../../src/pricing/table.ts";
import { emptyUsage, type Usage } from "../../src/usage/types.ts";
import { usage as usageOf } from "./_helpers.ts";

const TIERS = [null, null, null, null, "default", "flex", "priority", "batch", "fast", "FLEX", "on_demand_priority"];
const GEOS = [null, "us", "eu", "global", "US"];
const SIZES = [null, "low", "medium", "high", "huge"];
const COUNTS = [0, 0, 0, 1, 7, 100, 1000, 5000, 128_001, 200_001, 1_000_001, 2 ** 24];

test("pricer: the cached rate plans price exactly as cost() does, over many usages and models", () => {
  const table = createTable();
  const known: [string, string][] = [];
  for (const p of table.providers()) for (const k of table.keys(p)) known.push([p, k]);
  let seed = 25;
  const rnd = (n: number) => Math.floor((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 15) % n;
  const pick = () => COUNTS[rnd(COUNTS.length)]!;
  const pricer = createPricer({ onUnpriced() {} });
  let priced = 0;
  for (let i = 0; i < 40_000; i++) {
    // Mostly a few hundred rows seen again and again (cache hits); some made-up names (the cache starts over).
    const [provider, model] = rnd(10) === 0 ? ["openai", `made-up-${rnd(1_000_000)}`] : known[rnd(300) * 7 % known.length]!;
    const u: Usage = { ...emptyUsage(), input_tokens: pick(), output_tokens: pick(), reasoning_tokens: rnd(3) ? 0 : pick() };
    u.cache_read_tokens = rnd(2) ? 0 : Math.min(u.input_tokens, pick());
    u.cache_write_tokens = rnd(3) ? 0 : u.input_tokens - u.cache_read_tokens;
    u.cache_write_1h_tokens = rnd(3) ? 0 : pick();
    u.audio_input_tokens = rnd(6) ? 0 : pick();
    u.audio_output_tokens = rnd(6) ? 0 : pick();
    u.web_search_requests = rnd(16) ? 0 : rnd(3);
    u.request_fees = rnd(16) ? 0 : 1;
    if (!rnd(8)) u.cache_read_audio_tokens = pick();
    if (!rnd(8)) u.image_input_tokens = pick();
    if (!rnd(10)) u.research_reasoning_tokens = pick();
    u.total_tokens = u.input_tokens + u.output_tokens;
    const ctx: PriceContext = {
      provider, model, serviceTier: TIERS[rnd(TIERS.length)]!, geo: GEOS[rnd(GEOS.length)]!, reportedCostPico: null,
      searchContext: SIZES[rnd(SIZES.length)]!,
    };
    const r = pricer.price(u, ctx);
    const match = lookupModel(table, provider, model, null);
    const label = JSON.stringify([u, ctx]);
    if (match === null) {
      assert.equal(r.priced, false, label);
      continue;
    }
    let c: Cost;
    try {
      c = cost(u, match.entry.price, ctx);
    } catch (err) {
      if (!(err instanceof PriceGap || err instanceof RangeError)) throw err;
      assert.deepEqual([r.priced, r.matched], [false, match.key], label);
      assert.ok(r.note?.includes(err.message), label);
      continue;
    }
    priced++;
    assert.equal(r.cost_pico, c.total, label);
    assert.equal(r.note, c.note === null ? undefined : `${match.key}: ${c.note}`, label);
    for (const k of COST_CLASSES) {
      const name = k === "request_fees" && c.searchContext !== null ? `${k}_${c.searchContext}` : k;
      assert.equal(r.breakdown?.[name] ?? 0, c[k], `${label} ${k}`);
    }
  }
  assert.ok(priced > 5_000, `only ${priced} priced`);
});

test("pricer: the breakdown names every non-zero cost class, in COST_CLASSES order", () => {
  const all = Object.fromEntries(COST_CLASSES.map((k, i) => [k, i + 1])) as Record<string, number>;
  const c = { ...all, total: 0, tier: null, above: null, note: null, searchContext: null } as Cost;
  assert.deepEqual(Object.entries(nonZero(c)), COST_CLASSES.map((k, i) => [k, i + 1]));
  assert.deepEqual(Object.keys(nonZero({ ...c, searchContext: "low" })).at(-2), "request_fees_low");
  assert.deepEqual(nonZero({ ...c, ...Object.fromEntries(COST_CLASSES.map((k) => [k, 0])) }), {});
});

test("pricer: a reload (SIGHUP sets a new pricer) prices from the new rates, never a cached plan of the old", () => {
  const prices = (input: number) => createPricer({ overrides: parsePriceOverrides(`{ "openai/gpt-x": { "input": ${input}, "output": 15 } }`, "p.json") });
  const live = switchablePricer(prices(3));
  const u = usageOf({ input_tokens: 1000 });
  const at = { provider: "openai", model: "gpt-x", serviceTier: null, geo: null, reportedCostPico: null };
  assert.equal(live.price(u, at).cost_pico, 3_000_000_000);
  assert.equal(live.price(u, at).cost_pico, 3_000_000_000); // from the cached plan
  live.set(prices(5));
  assert.equal(live.price(u, at).cost_pico, 5_000_000_000);
});
