// Reconciliation's tables on every backend (SQLite drivers and PostgreSQL): a pull replaces its days whole (a
// restated day loses the rows that vanished), costs and keys survive a pull whose endpoint failed, money beyond
// 2^53 pico-USD stays exact, key hints are insert-once.
import assert from "node:assert/strict";
import type { Pull, ProviderCost, ProviderUsage } from "../../src/reconcile/types.ts";
import { testNeeding } from "../_helpers/host.ts";
import { backends } from "../store/backends.ts";

const usage = (day: string, key: string | null, input: number): ProviderUsage => ({
  day, model: "gpt-4o", api_key_id: key, project: null, service_tier: null, context_window: null, requests: 1,
  input_tokens: input, cache_read_tokens: 0, cache_write_tokens: 0, cache_write_1h_tokens: 0, output_tokens: 1,
  audio_input_tokens: 0, audio_output_tokens: 0, web_search_requests: 0, units: {},
});
const cost = (day: string, pico: bigint): ProviderCost => ({
  day, line: "gpt-4o, input", model: "gpt-4o", kind: "input", service_tier: null, project: "proj_1", amount_pico: pico,
});
const KEYS = [{ api_key_id: "key_a", digest: "0f".repeat(16), name: "a", project: "proj_1" }];
/** About $90,000: far beyond 2^53 pico-USD (about $9,007). */
const BIG = 90_000_123_456_789_012n;

for (const { name, missing, database } of await backends()) {
  const test = (title: string, fn: () => Promise<void>) => testNeeding(title, missing, fn);

  test(`${name}: a pull replaces its days whole and keeps the others`, async () => {
    const store = (await database())();
    const first: Pull = {
      days: ["2026-11-20", "2026-11-21"],
      usage: [usage("2026-11-20", "key_a", 10), usage("2026-11-21", "key_a", 20), usage("2026-11-21", "key_b", 5),
        usage("2026-11-21", "key_b", 6)], // one group split over two pages: one row
      costs: [cost("2026-11-20", 1n), cost("2026-11-21", BIG)],
      keys: KEYS,
      notes: [],
    };
    await store.reconcile.savePull("openai", first, Date.parse("2026-11-21T12:00:00Z"));
    // Restated: 2026-11-21 again, key_b's usage gone, key_a's changed; no costs or keys this time.
    await store.reconcile.savePull("openai", { days: ["2026-11-21"], usage: [usage("2026-11-21", "key_a", 25)], costs: null, keys: null, notes: [] }, Date.parse("2026-11-22T12:00:00Z"));
    const got = await store.reconcile.load("openai", "2026-11-20", "2026-11-22");
    assert.deepEqual(got.usage.map((u) => [u.day, u.api_key_id, u.input_tokens]).sort(), [["2026-11-20", "key_a", 10], ["2026-11-21", "key_a", 25]]);
    assert.deepEqual(got.costs.map((c) => [c.day, c.amount_pico]).sort(), [["2026-11-20", 1n], ["2026-11-21", BIG]]);
    assert.deepEqual(got.keys, KEYS);
    assert.deepEqual(Object.fromEntries(got.pulled), {
      "2026-11-20": { at: "2026-11-21T12:00:00.000Z", costs: true },
      "2026-11-21": { at: "2026-11-22T12:00:00.000Z", costs: true },
    });
    assert.deepEqual((await store.reconcile.load("anthropic", "2026-11-20", "2026-11-22")).usage, []);
    const again = await store.reconcile.load("openai", "2026-11-21", "2026-11-22");
    assert.deepEqual(again.usage.map((u) => u.day), ["2026-11-21"]);
    // Split rows were summed, nulls come back as null.
    await store.reconcile.savePull("openai", first, 0);
    const merged = (await store.reconcile.load("openai", "2026-11-21", "2026-11-22")).usage.find((u) => u.api_key_id === "key_b");
    assert.equal(merged?.input_tokens, 11);
    assert.equal(merged?.project, null);
  });

  test(`${name}: key hints are insert-once and per provider`, async () => {
    const store = (await database())();
    await store.reconcile.putKeyHint("fp1", "anthropic", ["aa", "bb"], 1);
    await store.reconcile.putKeyHint("fp1", "anthropic", ["cc"], 2);
    const got = await store.reconcile.load("anthropic", "2026-11-20", "2026-11-21");
    assert.deepEqual(got.hints, [{ fingerprint: "fp1", digests: ["aa", "bb"] }]);
    assert.deepEqual((await store.reconcile.load("openai", "2026-11-20", "2026-11-21")).hints, []);
  });
}
