// Property: for every priced model and any usage, the cost is a non-negative exact integer (pico-USD), never
// decreases when any token class grows, and repricing a record gives the same cost again (idempotent).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import table from "../../src/pricing/data/prices.generated.json" with { type: "json" };
import { repriceRecord } from "../../src/commands/report-reprice.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { buildUsage } from "../../src/usage/build.ts";
import { runs } from "./_runs.ts";

const MODELS = Object.entries((table as { models: Record<string, Record<string, unknown>> }).models)
  .flatMap(([provider, rows]) => Object.keys(rows).map((model) => [provider, model] as const));
const pricer = createPricer();

/** Token classes, each disjoint: a Usage is built from them so that every part stays inside its parent. */
const CLASSES = ["uncached", "cacheRead", "cacheWrite", "cacheWrite1h", "output", "reasoning", "audioIn", "audioOut"] as const;
type Classes = Record<(typeof CLASSES)[number], number>;
const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 5_000_000 }));
const classes = fc.record(Object.fromEntries(CLASSES.map((c) => [c, count])) as Record<keyof Classes, typeof count>);

function usageOf(c: Classes) {
  const cacheWrite = c.cacheWrite + c.cacheWrite1h;
  return buildUsage({
    input: c.uncached + c.cacheRead + cacheWrite + c.audioIn,
    output: c.output + c.reasoning + c.audioOut,
    cacheRead: c.cacheRead,
    cacheWrite,
    cacheWrite1h: c.cacheWrite1h,
    reasoning: c.reasoning,
    audioIn: c.audioIn,
    audioOut: c.audioOut,
  });
}

const priceOf = (provider: string, model: string, c: Classes) =>
  pricer.price(usageOf(c), { provider, model, serviceTier: null, geo: null, reportedCostPico: null });

test("pricing: cost is a non-negative integer equal to its breakdown, and monotonic in every token class", () => {
  let compared = 0;
  const budget = runs(1000);
  fc.assert(
    fc.property(fc.constantFrom(...MODELS), classes, fc.constantFrom(...CLASSES), fc.integer({ min: 1, max: 1_000_000 }), ([provider, model], c, grow, by) => {
      const before = priceOf(provider, model, c);
      if (!before.priced) return;
      assert.ok(Number.isSafeInteger(before.cost_pico) && before.cost_pico! >= 0, `${model}: ${before.cost_pico}`);
      const parts = Object.values(before.breakdown ?? {});
      for (const v of parts) assert.ok(Number.isSafeInteger(v) && v >= 0);
      assert.equal(parts.reduce((a, b) => a + b, 0), before.cost_pico);
      const after = priceOf(provider, model, { ...c, [grow]: c[grow] + by });
      if (!after.priced) return;
      assert.ok(after.cost_pico! >= before.cost_pico!, `${provider}/${model}: +${by} ${grow} lowered ${before.cost_pico} → ${after.cost_pico}`);
      compared++;
    }),
    budget,
  );
  // Many rows are unpriced for some class (no rate at all); the property must still have compared plenty.
  assert.ok(compared >= budget.numRuns / 10, `only ${compared} priced comparisons`);
});

test("pricing: repricing a priced record is idempotent", () => {
  fc.assert(
    fc.property(fc.constantFrom(...MODELS), classes, ([provider, model], c) => {
      const usage = usageOf(c);
      const priced = pricer.price(usage, { provider, model, serviceTier: null, geo: null, reportedCostPico: null });
      const record = {
        id: "r1", provider, model, path: `/${provider}/x`, usage_native: null, priced: priced.priced,
        cost_pico: priced.cost_pico, cost_usd: null, cost_breakdown: null, price_version: priced.price_version, ...usage,
      } as unknown as UsageRecord;
      const first = repriceRecord(record, pricer);
      if (first.kind !== "update") return;
      const again = repriceRecord({ ...record, ...first.update } as UsageRecord, pricer);
      assert.equal(again.kind, "same", `${provider}/${model}: ${JSON.stringify(again)}`);
    }),
    runs(300),
  );
});
