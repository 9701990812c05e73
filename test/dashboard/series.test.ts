// The chart's series from two-level usage groups: every bucket present, money per bucket and value, the top 8
// spenders named and the rest summed into "other"; and the two-level report summed over its buckets equal to the
// one-level report of a real store.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Group } from "../../src/dashboard/api.ts";
import { stack, sumBuckets } from "../../src/dashboard/series.ts";
import { createStore } from "../../src/store/store.ts";
import type { Grouping } from "../../src/store/query-params.ts";
import { createRng } from "../_chunking.ts";
import { makeRecord, runtimeDriver, withTempDir } from "../store/helpers.ts";

const group = (key: string, name: string | null, cost: string): Group => ({
  key,
  group: name,
  cost_usd: cost,
  requests: 1,
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  cache_write_1h_tokens: 0,
  audio_input_tokens: 0,
  audio_output_tokens: 0,
  characters: 0,
  audio_ms: 0,
  images: 0,
  search_queries: 0,
  request_fees: 0,
  compute_ms: 0,
  unpriced_requests: 0,
});

const at = (iso: string) => Date.parse(iso);

test("hourly buckets over the whole range, zero where nothing was spent, largest spender first", () => {
  const { xs, series } = stack(
    [group("2026-11-27T10:00Z", "gpt-4o", "0.5"), group("2026-11-27T12:00Z", "gpt-4o", "0.25"), group("2026-11-27T12:00Z", null, "2")],
    "hour",
    at("2026-11-27T09:30:00Z"),
    at("2026-11-27T13:10:00Z"),
  );
  assert.deepEqual(xs.map((x) => new Date(x * 1000).toISOString().slice(11, 16)), ["09:00", "10:00", "11:00", "12:00", "13:00"]);
  assert.deepEqual(series, [
    { name: "(none)", values: [0, 0, 0, 2, 0] },
    { name: "gpt-4o", values: [0, 0.5, 0, 0.25, 0] },
  ]);
});

test("daily buckets; past nine names the smallest are summed into other; buckets outside the range are left out", () => {
  const names = Array.from({ length: 11 }, (_, i) => `m${i}`);
  const groups = names.map((n, i) => group("2026-11-02", n, String(11 - i)));
  groups.push(group("2026-10-01", "m0", "100")); // before the range
  const { xs, series } = stack(groups, "day", at("2026-11-01T00:00:00Z"), at("2026-11-04T00:00:00Z"));
  assert.equal(xs.length, 3);
  assert.deepEqual(series.map((s) => s.name), ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "other"]);
  assert.deepEqual(series.at(-1)!.values, [0, 3 + 2 + 1, 0]);
  assert.deepEqual(series[0]!.values, [0, 11, 0]);
});

test("a two-level report summed over its buckets is the one-level report: groups, counts, exact costs, order", async () => {
  const rand = createRng(7);
  await withTempDir(async (dir) => {
    const store = createStore((await runtimeDriver()).open(`${dir}/sum.db`));
    const models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "tts-1", null];
    for (let i = 0; i < 400; i++) {
      const model = models[Math.floor(rand() * models.length)]!;
      store.add(makeRecord(i * 37, {
        model,
        // Costs whose sums pass 2^53 pico-USD (exact only as bigint), and ties on cost and requests.
        cost_pico: i < 6 ? 4_000_000_000_000_000 : i < 12 ? 1000 : Math.floor(rand() * 1e9),
        characters: model === "tts-1" ? Math.floor(rand() * 500) : 0,
        audio_ms: Math.floor(rand() * 3) * 1001,
        priced: rand() > 0.1,
      }));
    }
    // Two models with the same cost and requests: the value decides their order.
    store.add(makeRecord(20_000, { model: "tie-b", cost_pico: 5, cost_usd: null }));
    store.add(makeRecord(20_001, { model: "tie-a", cost_pico: 5, cost_usd: null }));
    await store.flush();
    for (const field of ["model", "user", "project"] as const) {
      for (const bucket of ["hour", "day"] as const) {
        const one = await store.usage({}, field);
        const two = await store.usage({}, [bucket, field] as Grouping);
        assert.deepEqual(sumBuckets(two), one, `${bucket},${field}`);
      }
    }
    const some = await store.usage({ since: "2026-11-20T13:00:00.000Z" }, "model");
    assert.deepEqual(sumBuckets(await store.usage({ since: "2026-11-20T13:00:00.000Z" }, ["hour", "model"])), some);
    assert.ok(some.groups.length > 0 && some.total.requests < 402, "a range that starts after the first records");
    const all = await store.usage({}, "model");
    assert.ok(BigInt(all.groups[0]!.cost_usd.split(".")[0]!) >= 9007, "a sum beyond 2^53 pico-USD was tested");
    assert.deepEqual(all.groups.slice(-2).map((g) => g.key), ["tie-a", "tie-b"], "a tie on cost and requests was tested");
    await store.close();
  });
});
