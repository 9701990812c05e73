import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { CORRECTIONS } from "../../src/pricing/corrections.ts";
import data from "../../src/pricing/data/prices.generated.json" with { type: "json" };
import { RATE_CLASSES } from "../../src/pricing/litellm-row.ts";
import { createTable } from "../../src/pricing/table.ts";
import { PRICE_MODES, type PriceData, type RateSet, UNIT_RATES } from "../../src/pricing/types.ts";
import { generate, KNOWN_SOURCES, sha256Hex } from "../../scripts/gen-prices.ts";

const DATA = data as unknown as PriceData;
/** LiteLLM's price file the table was generated from (scripts/data/README.md); KESTREL_LITELLM_PRICES picks another. */
const SOURCE = process.env.KESTREL_LITELLM_PRICES ||
  new URL("../../scripts/data/litellm-model-prices.json", import.meta.url).pathname;

test("table: the committed data file is what the generator makes from the recorded source", async () => {
  assert.ok(existsSync(SOURCE), `price source missing: ${SOURCE}`);
  const text = readFileSync(SOURCE, "utf8");
  const sha = await sha256Hex(text);
  assert.equal(sha, DATA.meta.source_sha256);
  const known = KNOWN_SOURCES[sha];
  assert.ok(known);
  const out = generate(text, sha, known.date, known.upstream, DATA.meta.generated);
  assert.deepEqual(out.problems, []);
  assert.equal(out.body, readFileSync(new URL("../../src/pricing/data/prices.generated.json", import.meta.url), "utf8"));
});

test("table: every rate is a non-negative safe integer, every tier list ascending", () => {
  const check = (where: string, s: RateSet | undefined) => {
    if (!s) return;
    for (const c of RATE_CLASSES) {
      const v = s[c];
      if (v !== undefined) assert.ok(Number.isSafeInteger(v) && v >= 0, `${where} ${c}`);
    }
    const t = s.tiers ?? [];
    for (let i = 1; i < t.length; i++) assert.ok((t[i]?.above ?? 0) > (t[i - 1]?.above ?? 0), `${where} tiers`);
    for (const tier of t) check(`${where} >${tier.above}`, tier);
  };
  let n = 0;
  for (const [provider, rows] of Object.entries(DATA.models)) {
    for (const [key, p] of Object.entries(rows)) {
      n++;
      for (const s of [p, p.flex, p.priority, p.batch]) check(`${provider} ${key}`, s);
      assert.ok((PRICE_MODES as readonly string[]).includes(p.mode), key);
      const units = UNIT_RATES.some((u) => (p[u] ?? 0) > 0);
      assert.ok((p.input ?? 0) > 0 || (p.output ?? 0) > 0 || (p.image_output ?? 0) > 0 || units, `${key} is all zero`);
      if (p.second !== undefined) assert.equal(p.second % 1000, 0, `${key}: per-second rate exact per millisecond`);
    }
  }
  assert.equal(n, Object.values(DATA.meta.counts).reduce((a, b) => a + b, 0));
});

test("table: the generator refuses values that are not exact in pico-USD", () => {
  const text = JSON.stringify({ "gpt-x": { litellm_provider: "openai", mode: "chat", input_cost_per_token: 3.3333333333333335e-7, output_cost_per_token: 1e-6 } });
  const out = generate(text, "sha", "2026-01-01", "test", "2026-01-02");
  assert.equal(out.problems.length, 1);
  assert.match(out.problems[0] ?? "", /"gpt-x": "input_cost_per_token" must be exact to 1e-12 USD/);
});

test("table: rows that cannot be priced from tokens are left out, with the reason", () => {
  const rows = {
    a: { litellm_provider: "openai", mode: "chat", input_cost_per_token: 0, output_cost_per_token: 0 },
    b: { litellm_provider: "vertex_ai-embedding-models", mode: "embedding", input_cost_per_token: 1e-7, input_cost_per_character: 2.5e-8 },
    c: { litellm_provider: "openai", mode: "image_generation", input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 },
    d: { litellm_provider: "mistral", mode: "embedding", input_cost_per_token: 1e-7 },
  };
  const out = generate(JSON.stringify(rows), "sha", "2026-01-01", "test", "2026-01-02");
  // c: an image row is kept now (priced per unit or token, docs/architecture.md §21); d: embedding output = 0
  assert.deepEqual(Object.keys(out.data.models), ["openai", "mistral"]);
  assert.deepEqual([...out.skipped.keys()].sort(), ["billed by character", "every token price is 0 (free or unknown)"]);
});

// [provider, key, check, what the correction says]
const CORRECTED: [string, string, (t: ReturnType<typeof createTable>) => void, string][] = [
  ["anthropic", "claude-3-opus-20240229", (t) => assert.equal(t.get("anthropic", "claude-3-opus-20240229")?.price.cache_write_1h, 30_000_000), "1h write $30/M (upstream $6)"],
  ["anthropic", "claude-3-haiku-20240307", (t) => assert.equal(t.get("anthropic", "claude-3-haiku-20240307")?.price.cache_write_1h, 500_000), "1h write $0.50/M (upstream $6)"],
  ["anthropic", "claude-3-5-haiku-20241022", (t) => assert.deepEqual(pick(t, "anthropic", "claude-3-5-haiku-20241022"), [800_000, 4_000_000, 1_000_000, 1_600_000, 80_000]), "0.8 / 4 / 1 / 1.6 / 0.08"],
  ["anthropic", "claude-3-5-sonnet-20241022", (t) => assert.deepEqual(pick(t, "anthropic", "claude-3-5-sonnet-20241022"), [3_000_000, 15_000_000, 3_750_000, 6_000_000, 300_000]), "3 / 15 / 3.75 / 6 / 0.3"],
  ["anthropic", "claude-3-opus-latest", (t) => assert.deepEqual(pick(t, "anthropic", "claude-3-opus-latest"), pick(t, "anthropic", "claude-3-opus-20240229")), "alias = the snapshot"],
  ["openai", "gpt-5-nano", (t) => assert.equal(t.get("openai", "gpt-5-nano")?.price.priority, undefined), "no bogus priority"],
  ["google-ai-studio", "gemini/gemini-1.5-flash", (t) => {
    const p = t.get("google-ai-studio", "gemini/gemini-1.5-flash")?.price;
    assert.deepEqual([p?.mode, p?.output, p?.tiers?.[0]?.output], ["chat", 300_000, 600_000]);
  }, "chat, output 0.3, >128k 0.6"],
  ["google-vertex-ai", "vertex_ai/claude-3-5-haiku@20241022", (t) => assert.deepEqual(pick(t, "google-vertex-ai", "vertex_ai/claude-3-5-haiku@20241022"), [800_000, 4_000_000, 1_000_000, 1_600_000, 80_000]), "0.8 / 4 (upstream 1 / 5), cache rates of the Anthropic row"],
  ["google-vertex-ai", "vertex_ai/claude-3-5-haiku", (t) => assert.deepEqual(pick(t, "google-vertex-ai", "vertex_ai/claude-3-5-haiku"), pick(t, "anthropic", "claude-3-5-haiku-20241022")), "same as Anthropic's"],
  ["aws-bedrock", "eu.anthropic.claude-3-5-haiku-20241022-v1:0", (t) => assert.equal(t.get("aws-bedrock", "eu.anthropic.claude-3-5-haiku-20241022-v1:0"), undefined), "dropped"],
  ["aws-bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0", (t) => assert.equal(t.get("aws-bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0")?.price.cache_write_1h, 1_600_000), "rule claude-1h-write: 2 × 0.8"],
  ["anthropic", "claude-sonnet-4-20250514", (t) => assert.equal(t.get("anthropic", "claude-sonnet-4-20250514")?.price.tiers?.[0]?.cache_write_1h, 12_000_000), "rule claude-1h-write above 200k: 2 × 6"],
  ["anthropic", "claude-haiku-4-5", (t) => assert.equal(t.get("anthropic", "claude-haiku-4-5")?.price.web_search, 10_000_000_000), "rule anthropic-web-search"],
];

function pick(t: ReturnType<typeof createTable>, provider: string, key: string): (number | undefined)[] {
  const p = t.get(provider, key)?.price;
  return [p?.input, p?.output, p?.cache_write_5m, p?.cache_write_1h, p?.cache_read];
}

const table = createTable();
for (const [provider, key, check, what] of CORRECTED) {
  test(`correction: ${provider} ${key} — ${what}`, () => {
    check(table);
    const entry = table.get(provider, key);
    if (entry) assert.equal(entry.origin, "correction");
  });
}

test("correction: every correction names a reason and a source", () => {
  for (const c of CORRECTIONS) {
    assert.ok(c.why.length > 20, c.key);
    assert.ok(c.source.length > 5, c.key);
  }
});

test("table: the per-unit modes are kept with exact per-unit rates (issue 23)", () => {
  const rows = {
    "tts-1": { litellm_provider: "openai", mode: "audio_speech", input_cost_per_character: 1.5e-5 },
    "whisper-1": { litellm_provider: "openai", mode: "audio_transcription", input_cost_per_second: 0.0001, output_cost_per_second: 0.0001 },
    "dall-e-3": { litellm_provider: "openai", mode: "image_generation", input_cost_per_image: 0.04 },
    "rerank-v3.5": { litellm_provider: "cohere", mode: "rerank", input_cost_per_query: 0.002, input_cost_per_token: 0, output_cost_per_token: 0 },
    "perplexity/search": { litellm_provider: "perplexity", mode: "search", input_cost_per_query: 0.005 },
    "odd-whisper": { litellm_provider: "openai", mode: "audio_transcription", input_cost_per_second: 0.0002833333333333333 },
    "hd/1024-x-1024/dall-e-3": { litellm_provider: "openai", mode: "image_generation", input_cost_per_pixel: 7.629e-8, output_cost_per_pixel: 0 },
  };
  const out = generate(JSON.stringify(rows), "sha", "2026-01-01", "test", "2026-01-02");
  assert.deepEqual(out.problems, []);
  const o = out.data.models.openai ?? {};
  assert.equal(o["tts-1"]?.character, 15_000_000);
  assert.equal(o["whisper-1"]?.second, 100_000_000);
  assert.equal(o["dall-e-3"]?.image, 40_000_000_000);
  assert.equal(out.data.models.cohere?.["rerank-v3.5"]?.query, 2_000_000_000);
  assert.equal(out.data.models["perplexity-ai"]?.["perplexity/search"]?.query, 5_000_000_000);
  assert.equal(o["odd-whisper"], undefined);
  assert.equal(o["hd/1024-x-1024/dall-e-3"], undefined); // per-pixel rates are not exact: per-image corrections
  assert.ok([...out.skipped.keys()].some((k) => k.includes("not exact")));
});
