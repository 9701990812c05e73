import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runReprice } from "../../src/commands/reprice.ts";
import { runUsage } from "../../src/commands/usage.ts";
import type { PriceContext, Pricer, PriceResult } from "../../src/pricing/pricer.ts";
import { createStore } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import type { Usage } from "../../src/usage/types.ts";
import { drivers, makeRecord, withTempDir } from "../store/helpers.ts";
import { fakeIo } from "./cli-io.ts";

const { open } = (await drivers())[0]!;
const NOW = Date.parse("2026-11-21T00:00:00.000Z");

/** input × 10 + output × 20 pico-USD; model "unknown" has no price. Records the contexts it saw. */
function fakePricer(): Pricer & { seen: PriceContext[] } {
  const seen: PriceContext[] = [];
  return {
    version: "fake-2",
    bound: () => null,
    unpricedCount: 0,
    describe: () => "",
    isPriced: (_provider, model) => model !== "unknown",
    seen,
    price(usage: Usage | null, ctx: PriceContext): PriceResult {
      seen.push(ctx);
      if (usage === null || ctx.model === "unknown") {
        return {
          priced: false,
          cost_pico: null,
          breakdown: null,
          price_version: "fake-2",
          matched: null,
          source: null,
        };
      }
      const input = usage.input_tokens * 10;
      const output = usage.output_tokens * 20;
      return {
        priced: true,
        cost_pico: input + output,
        breakdown: { input, output },
        price_version: "fake-2",
        matched: ctx.model,
        source: "table",
      };
    },
  };
}

const SEED: UsageRecord[] = [
  // 0: priced under an old version, cost changes (100×10 + 50×20 = 2000)
  makeRecord(0, { input_tokens: 100, output_tokens: 50, cost_pico: 999, cost_usd: "0.000000000999" }),
  // 1: was unpriced, now priced (10×10 + 5×20 = 200)
  makeRecord(1, {
    input_tokens: 10,
    output_tokens: 5,
    priced: false,
    cost_pico: null,
    cost_usd: null,
    cost_breakdown: null,
    price_version: "old",
  }),
  // 2: provider-reported cost: kept
  makeRecord(2, { usage_native: { prompt_tokens: 1, cost: 0.5 }, cost_pico: 500_000_000_000, cost_usd: "0.5" }),
  // 3: no usage: nothing to price
  makeRecord(3, {
    input_tokens: null,
    output_tokens: null,
    total_tokens: null,
    priced: false,
    cost_pico: null,
    cost_usd: null,
    cost_breakdown: null,
  }),
  // 4: priced before, no price now: kept rather than erased
  makeRecord(4, { model: "unknown", cost_pico: 77, cost_usd: "0.000000000077" }),
  // 5: Anthropic-style tier and geo inside the native usage reach the pricer
  makeRecord(5, { input_tokens: 1, output_tokens: 1, usage_native: { service_tier: "priority", inference_geo: "us" } }),
];

async function withSeed(fn: (path: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const store = createStore(open(path));
    for (const r of SEED) store.add(r);
    await store.close();
    await fn(path);
  });
}

async function records(path: string): Promise<UsageRecord[]> {
  const store = createStore(open(path));
  const out: UsageRecord[] = [];
  for await (const page of store.exportRows({})) out.push(...page);
  await store.close();
  return out;
}

test("reprice recomputes costs, records the version, keeps reported and unpriceable costs", async () => {
  await withSeed(async (path) => {
    const pricer = fakePricer();
    const f = fakeIo(open, NOW);
    assert.equal(await runReprice(["--db", path], f.io, pricer), 0);
    assert.equal(f.err(), "");
    assert.equal(
      f.out(),
      "Repriced 6 records with prices fake-2: 3 updated (3 cost changed, 1 newly priced); kept 1 provider-reported, " +
        "1 with no current price; 1 without usage\n",
    );
    const after = await records(path);
    assert.deepEqual(after.map((r) => [r.cost_pico, r.cost_usd, r.priced, r.price_version]), [
      [2000, "0.000000002", true, "fake-2"],
      [200, "0.0000000002", true, "fake-2"],
      [500_000_000_000, "0.5", true, "test-1"],
      [null, null, false, "test-1"],
      [77, "0.000000000077", true, "test-1"],
      [30, "0.00000000003", true, "fake-2"],
    ]);
    assert.deepEqual(after[0]?.cost_breakdown, { input: "0.000000001", output: "0.000000001" });
    const tiered = pricer.seen.find((c) => c.serviceTier !== null);
    assert.deepEqual(tiered, {
      provider: "openai",
      model: "gpt-4o-mini",
      serviceTier: "priority",
      geo: "us",
      reportedCostPico: null,
    });
    // Running again changes nothing.
    const again = fakeIo(open, NOW);
    assert.equal(await runReprice(["--db", path], again.io, fakePricer()), 0);
    assert.match(again.out(), /: 0 updated/);
  });
});

test("reprice --dry-run writes nothing; --unpriced-only touches only unpriced records", async () => {
  await withSeed(async (path) => {
    const before = await records(path);
    assert.equal(before[5]?.cost_pico, 5001); // priced: --unpriced-only leaves it
    const dry = fakeIo(open, NOW);
    assert.equal(await runReprice(["--db", path, "--dry-run"], dry.io, fakePricer()), 0);
    assert.match(dry.out(), /^Dry run \(nothing written\): would reprice 6 records with prices fake-2: 3 updated/);
    assert.deepEqual(await records(path), before);
    const only = fakeIo(open, NOW);
    assert.equal(await runReprice(["--db", path, "--unpriced-only"], only.io, fakePricer()), 0);
    const after = await records(path);
    assert.deepEqual(after.map((r) => r.cost_pico), [999, 200, 500_000_000_000, null, 77, 5001]);
  });
});

test("reprice --since limits the range, and usage reflects the new costs", async () => {
  await withSeed(async (path) => {
    // Records are one second apart from 2026-11-20T12:00:00Z; keep records 4 and 5 only.
    const f = fakeIo(open, NOW);
    assert.equal(await runReprice(["--db", path, "--since", "2026-11-20T12:00:04Z"], f.io, fakePricer()), 0);
    assert.match(f.out(), /^Repriced 2 records/);
    const u = fakeIo(open, NOW);
    assert.equal(await runUsage(["--db", path, "--format", "json", "--group-by", "provider"], u.io), 0);
    // 999 + 0 (unpriced) + 500e9 + 0 + 77 + 30 pico
    assert.equal(JSON.parse(u.out()).total.cost_usd, "0.500000001106");
  });
});

test("reprice with the built-in price table", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "k.db");
    const store = createStore(open(path));
    store.add(makeRecord(0, {
      provider: "openai",
      model: "gpt-4o",
      input_tokens: 1000,
      output_tokens: 100,
      total_tokens: 1100,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      cache_write_1h_tokens: 0,
      usage_native: { prompt_tokens: 1000, completion_tokens: 100 },
      priced: false,
      cost_pico: null,
      cost_usd: null,
    }));
    await store.close();
    const f = fakeIo(open, NOW);
    assert.equal(await runReprice(["--db", path], f.io), 0);
    const [r] = await records(path);
    assert.equal(r?.priced, true);
    assert.ok((r?.cost_pico ?? 0) > 0);
    assert.match(r?.price_version ?? "", /^litellm-/);
  });
});

test("reprice: a record's stored units are priced again (issue 23)", async () => {
  const { usageOfRecord } = await import("../../src/commands/report-reprice.ts");
  const { createPricer } = await import("../../src/pricing/pricer.ts");
  const r = makeRecord(1, {
    provider: "openai", model: "tts-1", input_tokens: 0, output_tokens: 0, total_tokens: 0, cache_read_tokens: 0,
    cache_write_tokens: 0, reasoning_tokens: 0, characters: 10, usage_source: "request",
  });
  const usage = usageOfRecord(r);
  assert.equal(usage?.characters, 10);
  const priced = createPricer().price(usage, { provider: "openai", model: "tts-1", serviceTier: null, geo: null, reportedCostPico: null });
  assert.deepEqual([priced.cost_pico, priced.breakdown], [150_000_000, { characters: 150_000_000 }]);
});
