// Wrong-money regressions found by hand-pricing against official list prices. Every expected cost is computed by
// hand in the comment next to it, in pico-USD (1e-12 USD): USD per 1M tokens × tokens × 1e6.
import { test } from "node:test";
import assert from "node:assert/strict";
import { repriceRecord } from "../../src/commands/report-reprice.ts";
import { inheritFamilyTiers, type Partition } from "../../src/pricing/apply-corrections.ts";
import { cost } from "../../src/pricing/cost.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import type { ModelPrice } from "../../src/pricing/types.ts";
import { awsBedrock, bedrockRegion } from "../../src/providers/bedrock.ts";
import { normalizeGemini } from "../../src/usage/normalize-gemini.ts";
import { makeRecord } from "../store/helpers.ts";
import { ctx, usage } from "./_helpers.ts";

const pricer = createPricer();

// 1. OpenAI answers with the dated name; the tier rates are listed on the undated family row.
test("flex / priority on a dated OpenAI name use the family's tier rates", () => {
  const u = usage({ input_tokens: 1000, cache_read_tokens: 200, output_tokens: 500 });
  // o4-mini flex (OpenAI: $0.55 in, $0.1375 cached, $2.20 out):
  // 800 × 0.55 = 440e6; 200 × 0.1375 = 27.5e6; 500 × 2.2 = 1100e6 → 1567.5e6 = $0.0015675
  // (standard would be 800 × 1.1 + 200 × 0.275 + 500 × 4.4 = 3135e6: twice as much)
  const flex = pricer.price(u, ctx("openai", "o4-mini-2025-04-16", { serviceTier: "flex" }));
  assert.deepEqual([flex.priced, flex.cost_pico], [true, 1_567_500_000]);
  // gpt-4o priority ($4.25 in, $2.125 cached, $17 out): 800 × 4.25 = 3400e6; 200 × 2.125 = 425e6;
  // 500 × 17 = 8500e6 → 12,325e6 = $0.012325
  const p4o = pricer.price(u, ctx("openai", "gpt-4o-2024-08-06", { serviceTier: "priority" }));
  assert.deepEqual([p4o.priced, p4o.cost_pico], [true, 12_325_000_000]);
  // gpt-4.1 priority ($3.50 in, $0.875 cached, $14 out): 800 × 3.5 = 2800e6; 200 × 0.875 = 175e6;
  // 500 × 14 = 7000e6 → 9975e6 = $0.009975
  const p41 = pricer.price(u, ctx("openai", "gpt-4.1-2025-04-14", { serviceTier: "priority" }));
  assert.deepEqual([p41.priced, p41.cost_pico], [true, 9_975_000_000]);
  // gpt-4o-2024-05-13 keeps its own priority rates ($8.75 / $26.25; no cached rate: input rate, noted):
  // 800 × 8.75 = 7000e6; 200 × 8.75 = 1750e6; 500 × 26.25 = 13,125e6 → 21,875e6
  const old = pricer.price(u, ctx("openai", "gpt-4o-2024-05-13", { serviceTier: "priority" }));
  assert.equal(old.cost_pico, 21_875_000_000);
});

test("a dated row inherits tier rates only from a family row with the same standard price", () => {
  const row = (input: number, extra: Partial<ModelPrice> = {}): ModelPrice => ({ input, output: 2 * input, mode: "chat", lp: "openai", ...extra });
  const part: Partition = new Map(Object.entries({
    m: row(1_000_000, { flex: { input: 500_000, output: 1_000_000 } }),
    "m-2025-01-01": row(1_000_000),
    "m-2024-01-01": row(3_000_000), // an older snapshot at another price: its flex price is not known
  }).map(([k, price]) => [k, { price, origin: "table" as const, notes: [] }]));
  inheritFamilyTiers(part);
  const get = (k: string) => part.get(k);
  assert.deepEqual(get("m-2025-01-01")?.price.flex, { input: 500_000, output: 1_000_000 });
  assert.equal(get("m-2025-01-01")?.origin, "correction");
  assert.match(get("m-2025-01-01")?.notes.join(" ") ?? "", /undated family row/);
  assert.equal(get("m-2024-01-01")?.price.flex, undefined);
  // ...and pricing that snapshot on flex is unpriced, with the reason, not billed at the standard rate.
  assert.throws(() => cost(usage({ input_tokens: 1 }), get("m-2024-01-01")!.price, { serviceTier: "flex", geo: null }), /no flex rates/);
});

// 2 and 5. Bedrock: the URL's model id (with its inference-profile prefix) and region are what AWS bills.
test("Bedrock is billed by the URL's model id and region", () => {
  const haiku = "/aws-bedrock/bedrock-runtime/us-east-1/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream";
  assert.deepEqual(awsBedrock.billedBy?.(haiku), { model: "anthropic.claude-3-5-haiku-20241022-v1:0", geo: "us-east-1" });
  const sonnet = "/aws-bedrock/bedrock-runtime/eu-west-1/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke";
  assert.deepEqual(awsBedrock.billedBy?.(sonnet), { model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", geo: "eu-west-1" });
  assert.equal(bedrockRegion("/aws-bedrock/bedrock-runtime/not a region/model/x/invoke"), null);
  assert.equal(bedrockRegion("/aws-bedrock/bedrock-runtime"), null);

  const u = usage({ input_tokens: 1000, output_tokens: 100 });
  // Claude 3.5 Haiku on Bedrock ($0.80 / $4): 1000 × 0.8 = 800e6; 100 × 4 = 400e6 → 1200e6 = $0.0012
  const h = pricer.price(u, ctx("aws-bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0", { geo: "us-east-1" }));
  assert.deepEqual([h.priced, h.cost_pico], [true, 1_200_000_000]);
  // The bare Anthropic name the InvokeModel body reports has no Bedrock price.
  assert.equal(pricer.price(u, ctx("aws-bedrock", "claude-3-5-haiku-20241022", { geo: "us-east-1" })).priced, false);
  // us. cross-region profile of Sonnet 4.5 ($3.30 / $16.50, 10 % over the base $3 / $15):
  // 1000 × 3.3 = 3300e6; 100 × 16.5 = 1650e6 → 4950e6 = $0.00495
  const s = pricer.price(u, ctx("aws-bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", { geo: "eu-west-1" }));
  assert.deepEqual([s.priced, s.cost_pico], [true, 4_950_000_000]);
  // Llama 3 70B in eu-west-1 ($2.86 / $3.78, base $2.65 / $3.50): 1000 × 2.86 = 2860e6; 100 × 3.78 = 378e6 → 3238e6
  const l = pricer.price(u, ctx("aws-bedrock", "meta.llama3-70b-instruct-v1:0", { geo: "eu-west-1" }));
  assert.deepEqual([l.matched, l.cost_pico], ["bedrock/eu-west-1/meta.llama3-70b-instruct-v1:0", 3_238_000_000]);
});

// 3. Claude cache rates on Vertex: Anthropic's cache prices, never the full input price.
test("Claude on Vertex bills cache reads at the cache price", () => {
  // Claude 3 Haiku on Vertex ($0.25 in, $0.03 cache read, $0.30 5-minute write, $1.25 out, as Anthropic):
  // 1000 × 0.25 = 250e6; 9000 × 0.03 = 270e6; 100 × 1.25 = 125e6 → 645e6 = $0.000645 (not 9000 × 0.25)
  const r = pricer.price(
    usage({ input_tokens: 10_000, cache_read_tokens: 9000, output_tokens: 100 }),
    ctx("google-vertex-ai", "claude-3-haiku@20240307"),
  );
  assert.deepEqual([r.cost_pico, r.note], [645_000_000, undefined]);
  // Claude Opus 4.1 on Vertex ($15 / $75; no Anthropic-direct row names this key → multipliers 0.1 / 1.25 / 2):
  // 500 × 15 = 7500e6; 1000 read × 1.5 = 1500e6; 300 5m × 18.75 = 5625e6; 200 1h × 30 = 6000e6; 10 × 75 = 750e6
  const v = pricer.price(
    usage({ input_tokens: 2000, cache_read_tokens: 1000, cache_write_tokens: 500, cache_write_1h_tokens: 200, output_tokens: 10 }),
    ctx("google-vertex-ai", "claude-opus-4-1@20250805"),
  );
  assert.deepEqual(v.breakdown, { input: 7_500_000_000, cache_read: 1_500_000_000, cache_write_5m: 5_625_000_000, cache_write_1h: 6_000_000_000, output: 750_000_000 });
  const described = pricer.describe("google-vertex-ai/claude-opus-4-1@20250805");
  assert.match(described, /cache read 1\.5, cache write 5m 18\.75, cache write 1h 30 /);
  assert.match(described, /corrected: Anthropic prices prompt caching as multipliers/);
});

// 26. Claude 3.5 Haiku costs $0.80 / $4 on every platform since Anthropic's December 2024 cut; upstream kept
// Vertex at the $1 / $5 launch price.
test("Claude 3.5 Haiku is billed at $0.80 / $4 on Vertex, Bedrock and Anthropic alike", () => {
  const u = usage({ input_tokens: 2000, cache_read_tokens: 1000, cache_write_tokens: 500, cache_write_1h_tokens: 200, output_tokens: 10 });
  // 500 × 0.8 = 400e6; 1000 read × 0.08 = 80e6; 300 5m × 1 = 300e6; 200 1h × 1.6 = 320e6; 10 × 4 = 40e6 → 1140e6
  const want = { input: 400_000_000, cache_read: 80_000_000, cache_write_5m: 300_000_000, cache_write_1h: 320_000_000, output: 40_000_000 };
  for (const c of [
    ctx("google-vertex-ai", "claude-3-5-haiku@20241022"),
    ctx("google-vertex-ai", "claude-3-5-haiku"),
    ctx("anthropic", "claude-3-5-haiku-20241022"),
    ctx("aws-bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0", { geo: "us-east-1" }),
    ctx("aws-bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0", { geo: "us-east-1" }),
  ]) {
    const r = pricer.price(u, c);
    assert.deepEqual([r.breakdown, r.cost_pico], [want, 1_140_000_000], `${c.provider} ${c.model}`);
  }
  assert.match(pricer.describe("google-vertex-ai/claude-3-5-haiku@20241022"), /input 0\.8, output 4, cache read 0\.08, cache write 5m 1, cache write 1h 1\.6 /);
});

test("a cache read without a cache-read rate is billed at the input rate and the record is marked", () => {
  const bare: ModelPrice = { input: 1_000_000, output: 2_000_000, mode: "chat", lp: "test" };
  const c = cost(usage({ input_tokens: 10, cache_read_tokens: 4 }), bare, { serviceTier: null, geo: null });
  assert.equal(c.total, 10_000_000); // 6 × 1 + 4 × 1: an upper bound, never free
  assert.match(c.note ?? "", /cache reads billed at the input rate/);
  assert.equal(cost(usage({ input_tokens: 10 }), bare, { serviceTier: null, geo: null }).note, null);
  // Through the pricer the note names the row (it ends up in the record's usage_error).
  const r = pricer.price(usage({ input_tokens: 1000, cache_read_tokens: 500 }), ctx("openai", "chatgpt-4o-latest"));
  assert.equal(r.cost_pico, 5_000_000_000); // 1000 × $5
  assert.match(r.note ?? "", /^chatgpt-4o-latest: cache reads billed at the input rate/);
});

// 4. Gemini: cached audio is part of the cache AND of the audio; priced once, at the audio cache rate.
test("cached Gemini audio is billed once, at the audio cache rate", () => {
  const u = normalizeGemini({
    promptTokenCount: 10_100,
    cachedContentTokenCount: 10_000,
    candidatesTokenCount: 0,
    totalTokenCount: 10_100,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: 100 }, { modality: "AUDIO", tokenCount: 10_000 }],
    cacheTokensDetails: [{ modality: "AUDIO", tokenCount: 10_000 }],
  });
  assert.ok(u);
  assert.deepEqual(
    [u.input_tokens, u.cache_read_tokens, u.audio_input_tokens, u.cache_read_audio_tokens],
    [10_100, 10_000, 10_000, 10_000],
  );
  // gemini-2.5-flash: text $0.30, audio $1.00; cached text $0.03, cached audio $0.10 (Google's pricing page):
  // 100 text × 0.3 = 30e6; 10,000 cached audio × 0.1 = 1000e6 → 1030e6 = $0.00103 (was $0.0103)
  for (const provider of ["google-ai-studio", "google-vertex-ai"]) {
    const r = pricer.price(u, ctx(provider, "gemini-2.5-flash"));
    assert.deepEqual(r.breakdown, { input: 30_000_000, cache_read: 1_000_000_000 }, provider);
    assert.equal(r.cost_pico, 1_030_000_000);
  }
  // Mixed: 300 cached of which 100 audio; prompt 1000 = 600 text + 400 audio.
  // uncached text 600 − 200 = 400 × 0.3 = 120e6; cached text 200 × 0.03 = 6e6; cached audio 100 × 0.1 = 10e6;
  // uncached audio 300 × 1 = 300e6 → 436e6
  const mixed = normalizeGemini({
    promptTokenCount: 1000,
    cachedContentTokenCount: 300,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: 600 }, { modality: "AUDIO", tokenCount: 400 }],
    cacheTokensDetails: [{ modality: "TEXT", tokenCount: 200 }, { modality: "AUDIO", tokenCount: 100 }],
  });
  const m = pricer.price(mixed, ctx("google-ai-studio", "gemini-2.5-flash"));
  assert.deepEqual(m.breakdown, { input: 120_000_000, cache_read: 16_000_000, audio_input: 300_000_000 });
  // No cached audio: the Usage keeps its ten fields.
  assert.equal("cache_read_audio_tokens" in (normalizeGemini({ promptTokenCount: 5 }) ?? {}), false);
});

// `kestrel reprice` prices a stored record the way the live path did: Bedrock by the stored path, Gemini's
// cached audio from the stored usage_native.
test("reprice: Bedrock model and region from the stored path; Gemini cached audio from usage_native", () => {
  const bedrock = makeRecord(1, {
    provider: "aws-bedrock",
    model: "claude-3-5-haiku-20241022", // what an older Kestrel recorded from the InvokeModel body
    path: "/aws-bedrock/bedrock-runtime/us-east-1/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke",
    input_tokens: 1000, output_tokens: 100, total_tokens: 1100,
    cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0,
    usage_native: { inputTokenCount: 1000, outputTokenCount: 100 },
    priced: false, cost_pico: null,
  });
  const b = repriceRecord(bedrock, pricer);
  // Claude 3.5 Haiku on Bedrock: 1000 × 0.8 = 800e6; 100 × 4 = 400e6 → 1200e6
  assert.equal(b.kind === "update" ? b.update.cost_pico : b.kind, 1_200_000_000);
  const llama = { ...bedrock, path: "/aws-bedrock/bedrock-runtime/eu-west-1/model/meta.llama3-70b-instruct-v1%3A0/converse" };
  const l = repriceRecord(llama, pricer);
  // eu-west-1 Llama 3 70B: 1000 × 2.86 = 2860e6; 100 × 3.78 = 378e6 → 3238e6
  assert.equal(l.kind === "update" ? l.update.cost_pico : l.kind, 3_238_000_000);
  const native = {
    promptTokenCount: 10_100, cachedContentTokenCount: 10_000, totalTokenCount: 10_100,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: 100 }, { modality: "AUDIO", tokenCount: 10_000 }],
    cacheTokensDetails: [{ modality: "AUDIO", tokenCount: 10_000 }],
  };
  const gemini = makeRecord(2, {
    provider: "google-ai-studio", model: "gemini-2.5-flash", path: "/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent",
    input_tokens: 10_100, output_tokens: 0, total_tokens: 10_100, cache_read_tokens: 10_000, cache_write_tokens: 0,
    reasoning_tokens: 0, audio_input_tokens: 10_000, usage_native: native, cost_pico: 10_300_000_000,
  });
  const g = repriceRecord(gemini, pricer);
  // 100 × 0.3 = 30e6; 10,000 × 0.1 = 1000e6 → 1030e6
  assert.equal(g.kind === "update" ? g.update.cost_pico : g.kind, 1_030_000_000);
});

// Found by the monotonicity property (test/properties/pricing.test.ts): a class priced only in the long-context
// tier made crossing the threshold cheaper.
test("a cache write on a Gemini Pro row is billed at the input rate on both sides of the 200k threshold", () => {
  const write = (n: number) => usage({ input_tokens: n, cache_write_tokens: n });
  const below = pricer.price(write(200_000), ctx("google-vertex-ai", "gemini-3.1-pro-preview"));
  const above = pricer.price(write(200_001), ctx("google-vertex-ai", "gemini-3.1-pro-preview"));
  // Google bills cache creation as input: $2/M up to 200k → 200,000 × 2 = 400,000e6; $4/M above → 200,001 × 4e6.
  assert.deepEqual([below.priced, below.cost_pico], [true, 400_000_000_000]);
  assert.deepEqual([above.priced, above.cost_pico], [true, 800_004_000_000]);
});
