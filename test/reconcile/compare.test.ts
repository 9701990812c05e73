// The comparison on its own: stored provider rows and Kestrel sums in, classified rows, coverage and day totals out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createPricer } from "../../src/pricing/pricer.ts";
import { compareProvider, linkKeys } from "../../src/reconcile/compare.ts";
import type { KestrelUsage } from "../../src/reconcile/kestrel-side.ts";
import { createUsagePricer } from "../../src/reconcile/rates.ts";
import { DEFAULT_TOLERANCE, parseTolerance, type Tolerance } from "../../src/reconcile/report.ts";
import { anthropicBillsPerModel } from "../../src/reconcile/anthropic.ts";
import { openAiBillsPerModel } from "../../src/reconcile/openai.ts";
import { keyDigests, maskedDigest } from "../../src/reconcile/hint.ts";
import type { Stored } from "../../src/reconcile/store.ts";
import type { ProviderCost, ProviderUsage } from "../../src/reconcile/types.ts";

const DAY = "2026-11-20";
const PULLED = "2026-11-22T00:00:00.000Z";
const TOL = parseTolerance(DEFAULT_TOLERANCE.usd, DEFAULT_TOLERANCE.percent) as Tolerance;
const pricer = createPricer();
const KEY_A = `sk-ant-api03-${"A".repeat(80)}wxyz`;
/** Anthropic's listing of key A (`partial_key_hint`) and what Kestrel recorded seeing it: both as digests. */
const LISTED_A = await maskedDigest(`${KEY_A.slice(0, 16)}...${KEY_A.slice(-4)}`);
const SEEN_A = (await keyDigests(KEY_A))!;
const MODEL = "claude-sonnet-4-20250514";

function usage(over: Partial<ProviderUsage>): ProviderUsage {
  return {
    day: DAY, model: MODEL, api_key_id: "apikey_a", project: "wrkspc_1", service_tier: "standard", context_window: "0-200k",
    requests: null, input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cache_write_1h_tokens: 0, output_tokens: 0,
    audio_input_tokens: 0, audio_output_tokens: 0, web_search_requests: 0, units: {}, ...over,
  };
}
function kestrel(over: Partial<KestrelUsage>): KestrelUsage {
  return {
    day: DAY, model: MODEL, key_id: "fp_a", requests: 1, cost_pico: 0n, unpriced_requests: 0, input_tokens: 0,
    cache_read_tokens: 0, cache_write_tokens: 0, cache_write_1h_tokens: 0, output_tokens: 0, audio_input_tokens: 0,
    audio_output_tokens: 0, ...over,
  };
}
const cost = (kind: ProviderCost["kind"], cents: string, model: string | null = MODEL): ProviderCost => ({
  day: DAY, line: `${model} ${kind}`, model, kind, service_tier: "standard", project: null,
  amount_pico: BigInt(Math.round(Number(cents) * 1e4)) * 1_000_000n,
});

function stored(over: Partial<Stored>): Stored {
  return {
    pulled: new Map([[DAY, { at: PULLED, costs: true }]]),
    usage: [],
    costs: [],
    keys: [{ api_key_id: "apikey_a", digest: LISTED_A, name: "a", project: "wrkspc_1" }],
    hints: [{ fingerprint: "fp_a", digests: SEEN_A }],
    ...over,
  };
}

function run(s: Stored, k: KestrelUsage[], provider = "anthropic") {
  return compareProvider({
    provider, days: [DAY], stored: s, kestrel: k, price: createUsagePricer(pricer, provider),
    billsPerModel: provider === "anthropic" ? anthropicBillsPerModel : openAiBillsPerModel, tolerance: TOL, notes: [],
  }).days[0]!;
}

// 1,000 input ($0.003) + 100 output ($0.0015) on Sonnet 4 = $0.0045.
const TRAFFIC = { input_tokens: 1000, output_tokens: 100 };
const KESTREL_COST = 4_500_000_000n;

test("the same traffic, billed at Kestrel's price: one match row, coverage 1", () => {
  const d = run(
    stored({ usage: [usage(TRAFFIC)], costs: [cost("input", "0.3"), cost("output", "0.15")] }),
    [kestrel({ ...TRAFFIC, cost_pico: KESTREL_COST })],
  );
  assert.equal(d.rows.length, 1);
  const row = d.rows[0]!;
  assert.equal(row.class, "match", row.detail ?? "");
  assert.equal(row.key_id, "fp_a");
  assert.equal(row.provider_key_id, "apikey_a");
  assert.equal(row.project, "wrkspc_1");
  assert.equal(row.kestrel_usd, "0.0045");
  assert.equal(row.provider_usd, "0.0045");
  assert.equal(row.provider_priced_usd, "0.0045");
  assert.deepEqual(row.tokens.input_tokens, { kestrel: 1000, provider: 1000 });
  assert.equal(d.coverage, 1);
  assert.equal(d.provider_usd, "0.0045");
  assert.equal(d.uncovered_usd, "0");
  assert.equal(d.complete, true);
});

test("usage on a key Kestrel never saw is uncovered, with its billed share; usage without a key likewise", () => {
  const d = run(
    stored({
      usage: [usage(TRAFFIC), usage({ ...TRAFFIC, api_key_id: "apikey_x" }), usage({ output_tokens: 100, api_key_id: null })],
      // Billed for all three: 2 × $0.0045 + $0.0015.
      costs: [cost("input", "0.6"), cost("output", "0.45")],
    }),
    [kestrel({ ...TRAFFIC, cost_pico: KESTREL_COST })],
  );
  const byKey = new Map(d.rows.map((r) => [r.provider_key_id, r]));
  assert.equal(byKey.get("apikey_a")?.class, "match");
  assert.equal(byKey.get("apikey_x")?.class, "uncovered");
  assert.equal(byKey.get("apikey_x")?.provider_usd, "0.0045");
  assert.equal(byKey.get("apikey_x")?.detail, "a key Kestrel never saw");
  assert.equal(byKey.get(null)?.class, "uncovered");
  assert.equal(byKey.get(null)?.provider_usd, "0.0015");
  assert.match(byKey.get(null)?.detail ?? "", /without an API key/);
  assert.equal(d.uncovered_usd, "0.006");
  assert.equal(d.coverage, 0.428571); // 0.0045 of 0.0105
});

test("a price difference on one token class is drift naming the model's class", () => {
  const d = run(
    stored({ usage: [usage(TRAFFIC)], costs: [cost("input", "0.3"), cost("output", "0.3")] }),
    [kestrel({ ...TRAFFIC, cost_pico: KESTREL_COST })],
    );
  const row = d.rows[0]!;
  // Money tolerance is a cent: scale up so the difference counts.
  assert.equal(row.class, "match", "a $0.0015 difference is within the default cent");
  const big = run(
    stored({ usage: [usage({ input_tokens: 1_000_000, output_tokens: 100_000 })], costs: [cost("input", "300"), cost("output", "300")] }),
    [kestrel({ input_tokens: 1_000_000, output_tokens: 100_000, cost_pico: 4_500_000_000_000n })],
  );
  assert.equal(big.rows[0]!.class, "drift");
  assert.equal(big.rows[0]!.detail, "output billed $3, Kestrel's price $1.5");
  assert.equal(big.drift_usd, "1.5");
  assert.equal(big.coverage, 1);
});

test("different tokens on a linked key are drift; Kestrel traffic the provider did not bill is kestrel_only", () => {
  const d = run(
    stored({ usage: [usage({ input_tokens: 1000, output_tokens: 90 })], costs: [] }),
    [kestrel({ ...TRAFFIC, cost_pico: KESTREL_COST }), kestrel({ model: "claude-3-5-haiku-20241022", ...TRAFFIC, cost_pico: 1n })],
  );
  const [drift, only] = d.rows;
  assert.equal(drift!.class, "drift");
  assert.equal(drift!.detail, "tokens differ: output_tokens 100 (Kestrel) vs 90 (provider)");
  assert.equal(only!.class, "kestrel_only");
  assert.equal(only!.model, "claude-3-5-haiku-20241022");
});

test("keys that cannot be linked pool per model: more on the provider's side is uncovered", () => {
  const d = run(
    stored({ usage: [usage(TRAFFIC), usage({ ...TRAFFIC, api_key_id: "apikey_x" })], keys: [], hints: [], costs: [] }),
    [kestrel({ ...TRAFFIC, cost_pico: KESTREL_COST })],
  );
  assert.equal(d.rows.length, 1);
  assert.equal(d.rows[0]!.class, "uncovered");
  assert.equal(d.rows[0]!.key_id, "fp_a");
  assert.equal(d.rows[0]!.provider_key_id, null);
  assert.equal(d.coverage, 0.5);
});

test("a day never pulled is shown without rows, not as Kestrel-only traffic", () => {
  const d = run(stored({ pulled: new Map() }), [kestrel({ ...TRAFFIC, cost_pico: KESTREL_COST })]);
  assert.equal(d.pulled_at, null);
  assert.deepEqual(d.rows, []);
  assert.equal(d.kestrel_usd, "0.0045");
});

test("Anthropic's web search is billed without a model: counted at Kestrel's price in the row, listed unattributed", () => {
  const d = run(
    stored({
      usage: [usage({ ...TRAFFIC, web_search_requests: 2 })],
      costs: [cost("input", "0.3"), cost("output", "0.15"), cost("web_search", "2", null)],
    }),
    [kestrel({ ...TRAFFIC, cost_pico: KESTREL_COST + 20_000_000_000n })],
  );
  assert.equal(d.rows.length, 1);
  assert.equal(d.rows[0]!.class, "match", d.rows[0]!.detail ?? "");
  assert.equal(d.rows[0]!.provider_usd, "0.0245");
  assert.deepEqual(d.rows[0]!.tokens.web_search_requests, { kestrel: null, provider: 2 });
  assert.deepEqual(d.unattributed, [{ line: "null web_search", provider_usd: "0.02" }]);
  assert.equal(d.provider_usd, "0.0245");
});

test("Anthropic's priority tier: absent from the cost report and from Kestrel's table, so tokens are compared, not money", () => {
  const d = run(
    stored({ usage: [usage({ ...TRAFFIC, service_tier: "priority" })], costs: [] }),
    [kestrel({ ...TRAFFIC, cost_pico: 0n, unpriced_requests: 1 })],
  );
  assert.equal(d.rows[0]!.class, "match");
  assert.equal(d.rows[0]!.provider_priced_usd, null);
  assert.equal(d.rows[0]!.detail, "tokens match; money not compared: unpriced");
  assert.equal(d.coverage, 1);
});

test("linking: one key per fingerprint and one fingerprint per key, else not linked", async () => {
  const keys = [
    { api_key_id: "k1", digest: await maskedDigest("sk-proj-...abcd"), name: null, project: null },
    { api_key_id: "k2", digest: await maskedDigest("sk-proj-...wxyz"), name: null, project: null },
  ];
  const seen = async (s: string) => (await keyDigests(`sk-proj-${s.padEnd(40, "x")}abcd`))!;
  assert.deepEqual([...linkKeys(keys, [{ fingerprint: "f1", digests: await seen("AAAAAAAA") }])], [["f1", "k1"]]);
  // Two fingerprints fitting one key: neither is linked.
  assert.deepEqual([...linkKeys(keys, [{ fingerprint: "f1", digests: await seen("AAAAAAAA") }, { fingerprint: "f2", digests: await seen("BBBBBBBB") }])], []);
});
