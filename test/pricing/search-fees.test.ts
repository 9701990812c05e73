import { test } from "node:test";
import assert from "node:assert/strict";
import { createPricer } from "../../src/pricing/pricer.ts";
import { generate } from "../../scripts/gen-prices.ts";
import { repriceRecord } from "../../src/commands/report-reprice.ts";
import { makeRecord } from "../store/helpers.ts";
import { ctx, usage } from "./_helpers.ts";

const pricer = createPricer();

test("search fees: Perplexity's request fee is the price of the size it was served with", () => {
  // sonar: $5 / $8 / $12 per 1,000 requests; 10 in + 20 out at $1/M = 30e6.
  const rows: Array<[string, number]> = [["low", 5_000_000_000], ["medium", 8_000_000_000], ["high", 12_000_000_000]];
  for (const [size, fee] of rows) {
    const r = pricer.price(usage({ input_tokens: 10, output_tokens: 20, request_fees: 1, search_queries: 2 }), ctx("perplexity-ai", "sonar", { searchContext: size }));
    assert.deepEqual(r.breakdown, { input: 10_000_000, output: 20_000_000, [`request_fees_${size}`]: fee }, size);
    assert.equal(r.cost_pico, 30_000_000 + fee);
  }
});

test("search fees: Perplexity's documented Sonar Pro answer, to the pico-dollar", () => {
  // 24 × $3/M = 72e6; 2681 × $15/M = 40,215e6; low request fee $6/1K = 6e9 → $0.046287 (Perplexity rounds: 0.04629).
  const r = pricer.price(usage({ input_tokens: 24, output_tokens: 2681, request_fees: 1 }), ctx("perplexity-ai", "sonar-pro", { searchContext: "low" }));
  assert.deepEqual(r.breakdown, { input: 72_000_000, output: 40_215_000_000, request_fees_low: 6_000_000_000 });
  assert.equal(r.cost_pico, 46_287_000_000);
});

test("search fees: Perplexity Deep Research bills citations, research reasoning and search queries, no request fee", () => {
  // Perplexity's example: input 33 × $2/M = 66e6; output 11395 × $8/M = 91,160e6 plus reasoning 193947 × $3/M =
  // 581,841e6; citations 19028 × $2/M = 38,056e6; 21 searches × $5/1K = 105e9 → $0.816123 (Perplexity: 0.816).
  const u = usage({ input_tokens: 33, output_tokens: 11395, search_queries: 21, request_fees: 1 });
  u.citation_tokens = 19028;
  u.research_reasoning_tokens = 193947;
  const r = pricer.price(u, ctx("perplexity-ai", "sonar-deep-research", { searchContext: "low" }));
  assert.deepEqual(r.breakdown, {
    input: 66_000_000,
    output: 673_001_000_000,
    citation: 38_056_000_000,
    search_queries: 105_000_000_000,
  });
  assert.equal(r.cost_pico, 816_123_000_000);
});

test("search fees: citation tokens and research reasoning are not billed where the row has no rate for them", () => {
  const u = usage({ input_tokens: 10, output_tokens: 20, request_fees: 1 });
  u.citation_tokens = 500;
  u.research_reasoning_tokens = 700;
  const r = pricer.price(u, ctx("perplexity-ai", "sonar-reasoning-pro", { searchContext: "medium" }));
  assert.deepEqual(r.breakdown, { input: 20_000_000, output: 160_000_000, request_fees_medium: 10_000_000_000 });
});

test("search fees: OpenAI search-preview models, dated snapshots included, by context size", () => {
  const rows: Array<[string, string, number]> = [
    ["gpt-4o-search-preview", "low", 30_000_000_000],
    ["gpt-4o-search-preview-2025-03-11", "high", 50_000_000_000],
    ["gpt-4o-mini-search-preview-2025-03-11", "medium", 27_500_000_000],
  ];
  for (const [model, size, fee] of rows) {
    const r = pricer.price(usage({ input_tokens: 100, output_tokens: 10, request_fees: 1 }), ctx("openai", model, { searchContext: size }));
    assert.equal(r.priced, true, model);
    assert.equal(r.breakdown?.[`request_fees_${size}`], fee, model);
  }
});

test("search fees: a size the row has no price for, or none, is unpriced with the reason", () => {
  const rows: Array<[string, string | null, RegExp]> = [
    ["sonar-pro", "pro/high", /no request fee for search context "pro\/high"/],
    ["sonar", null, /no request fee for search context \(unknown\)/],
    ["llama-3.1-70b-instruct", "low", /no per-request price/],
  ];
  for (const [model, size, why] of rows) {
    const r = pricer.price(usage({ input_tokens: 1, output_tokens: 1, request_fees: 1 }), ctx("perplexity-ai", model, { searchContext: size }));
    assert.deepEqual([r.priced, r.cost_pico], [false, null], model);
    assert.match(r.note ?? "", why);
  }
});

test("search fees: the generator keeps the three sizes where they differ, and the citation rate", () => {
  const rows = {
    "perplexity/sonar": {
      litellm_provider: "perplexity", mode: "chat", input_cost_per_token: 1e-6, output_cost_per_token: 1e-6,
      search_context_cost_per_query: { search_context_size_low: 0.005, search_context_size_medium: 0.008, search_context_size_high: 0.012 },
    },
    "perplexity/sonar-deep-research": {
      litellm_provider: "perplexity", mode: "chat", input_cost_per_token: 2e-6, output_cost_per_token: 8e-6, citation_cost_per_token: 2e-6,
      search_context_cost_per_query: { search_context_size_low: 0.005, search_context_size_medium: 0.005, search_context_size_high: 0.005 },
    },
  };
  const out = generate(JSON.stringify(rows), "sha", "2026-01-01", "test", "2026-01-02");
  assert.deepEqual(out.problems, []);
  const p = out.data.models["perplexity-ai"] ?? {};
  assert.deepEqual(p["perplexity/sonar"]?.search_context, { low: 5_000_000_000, medium: 8_000_000_000, high: 12_000_000_000 });
  assert.equal(p["perplexity/sonar"]?.web_search, 8_000_000_000);
  assert.equal(p["perplexity/sonar-deep-research"]?.search_context, undefined);
  assert.equal(p["perplexity/sonar-deep-research"]?.citation, 2_000_000);
});

test("search fees: Gemini grounding per grounded prompt (2.5) or per query (3, web_search_per_query)", () => {
  const u = usage({ input_tokens: 10, output_tokens: 20, web_search_requests: 3 });
  u.grounded_prompts = 1;
  const older = pricer.price(u, ctx("google-ai-studio", "gemini-2.5-flash"));
  assert.equal(older.breakdown?.web_search, 35_000_000_000);
  const three = pricer.price(u, ctx("google-ai-studio", "gemini-3.1-flash-lite-preview"));
  assert.equal(three.breakdown?.web_search, 42_000_000_000);
  // Anthropic reports no grounded prompts: every search is billed, as before.
  const anthropic = pricer.price(usage({ input_tokens: 1, output_tokens: 1, web_search_requests: 3 }), ctx("anthropic", "claude-sonnet-4-5"));
  assert.equal(anthropic.breakdown?.web_search, 30_000_000_000);
});

test("search fees: reprice reads the size back from the stored breakdown, and Gemini's grounded prompt", () => {
  const search = makeRecord(1, {
    provider: "openai",
    model: "gpt-4o-search-preview-2025-03-11",
    input_tokens: 10,
    output_tokens: 20,
    total_tokens: 30,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    web_search_requests: 0,
    request_fees: 1,
    usage_native: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
    cost_breakdown: { input: "0.000025", output: "0.0002", request_fees_high: "0.05" },
  });
  const out = repriceRecord(search, pricer);
  assert.equal(out.kind, "update");
  if (out.kind === "update") assert.equal(out.update.cost_pico, 25_000_000 + 200_000_000 + 50_000_000_000);
  const gemini = makeRecord(2, {
    provider: "google-ai-studio",
    model: "gemini-2.5-flash",
    input_tokens: 10,
    output_tokens: 20,
    total_tokens: 30,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    web_search_requests: 2,
    usage_native: { promptTokenCount: 10, candidatesTokenCount: 20, totalTokenCount: 30 },
  });
  const g = repriceRecord(gemini, pricer);
  assert.equal(g.kind, "update");
  if (g.kind === "update") assert.equal(g.update.cost_pico, 3_000_000 + 50_000_000 + 35_000_000_000);
});
