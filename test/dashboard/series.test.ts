// The chart's series from two-level usage groups: every bucket present, money per bucket and value, the top 8
// spenders named and the rest summed into "other".
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Group } from "../../src/dashboard/api.ts";
import { stack } from "../../src/dashboard/series.ts";

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
