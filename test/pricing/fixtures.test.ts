/**
 * Every recorded fixture whose model is in the table gets a cost; the few that cannot are listed with the
 * reason. The Usage here is a minimal normalization of `usage_native` (docs/architecture.md §4), done in the test
 * so this file does not depend on the provider normalizers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createPricer } from "../../src/pricing/pricer.ts";
import { ticksToPico, usdToPico } from "../../src/pricing/money.ts";
import type { Usage } from "../../src/usage/types.ts";
import { atLeast } from "../_chunking.ts";
import { ctx, usage } from "./_helpers.ts";

interface Fixture {
  file: string;
  provider_api: string;
  model: string | null;
  usage_native: Record<string, unknown> | null;
}

const MANIFEST = atLeast(
  JSON.parse(readFileSync(new URL("../fixtures/MANIFEST.json", import.meta.url), "utf8")) as Fixture[],
  107,
  "MANIFEST.json entries",
);

const PROVIDER: Record<string, string> = {
  "anthropic-messages": "anthropic",
  "azure-openai-chat": "azure-openai",
  "azure-openai-responses": "azure-openai",
  "bedrock-converse": "aws-bedrock",
  "cohere-chat": "cohere",
  "deepseek-chat": "deepseek",
  gemini: "google-ai-studio",
  "groq-chat": "groq",
  "mistral-chat": "mistral",
  "openai-chat": "openai",
  "openai-completions": "openai",
  "openai-responses": "openai",
  "vertex-gemini": "google-vertex-ai",
  "xai-chat": "grok",
  "xai-responses": "grok",
};

/** The fixtures that stay unpriced, and why (file stem → reason). */
const EXPECTED_UNPRICED: Record<string, string> = {
  "mistral-chat/mistral-reasoning": "magistral-medium-2507 has no row (2506 / 2509 / -latest do): no neighbour guessing",
  "bedrock-converse/amazon-bedrock-reasoning": "Bedrock responses name no model (the proxy passes the request path's)",
  "bedrock-converse/amazon-bedrock-text": "Bedrock responses name no model (the proxy passes the request path's)",
  "cohere-chat/cohere-reasoning": "Cohere responses name no model (the proxy passes the request body's)",
  "cohere-chat/cohere-text": "Cohere responses name no model (the proxy passes the request body's)",
  "openai-responses/openai-error.1": "response.failed with usage null",
  "openai-chat/anthropic-fallback-tool-call": "the stream carries no usage",
};

const n = (v: unknown): number => (typeof v === "number" ? v : 0);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {});

/** usage_native → Usage, per wire family (docs/architecture.md §4; xAI chat excludes reasoning from completion). */
function normalize(api: string, u: Record<string, unknown>): { usage: Usage; tier: string | null; geo: string | null } {
  if (api === "anthropic-messages") {
    const read = n(u.cache_read_input_tokens);
    const write = n(u.cache_creation_input_tokens);
    return {
      usage: usage({
        input_tokens: n(u.input_tokens) + read + write,
        cache_read_tokens: read,
        cache_write_tokens: write,
        cache_write_1h_tokens: n(obj(u.cache_creation).ephemeral_1h_input_tokens),
        output_tokens: n(u.output_tokens),
        reasoning_tokens: n(obj(u.output_tokens_details).thinking_tokens),
        web_search_requests: n(obj(u.server_tool_use).web_search_requests),
      }),
      tier: typeof u.service_tier === "string" ? u.service_tier : null,
      geo: typeof u.inference_geo === "string" ? u.inference_geo : null,
    };
  }
  if (api === "gemini" || api === "vertex-gemini") {
    return {
      usage: usage({
        input_tokens: n(u.promptTokenCount) + n(u.toolUsePromptTokenCount),
        cache_read_tokens: n(u.cachedContentTokenCount),
        output_tokens: n(u.candidatesTokenCount) + n(u.thoughtsTokenCount),
        reasoning_tokens: n(u.thoughtsTokenCount),
      }),
      tier: null,
      geo: null,
    };
  }
  if (api.endsWith("-responses")) {
    const inDetails = obj(u.input_tokens_details);
    return {
      usage: usage({
        input_tokens: n(u.input_tokens),
        cache_read_tokens: n(inDetails.cached_tokens),
        cache_write_tokens: n(inDetails.cache_write_tokens),
        output_tokens: n(u.output_tokens),
        reasoning_tokens: n(obj(u.output_tokens_details).reasoning_tokens),
      }),
      tier: null,
      geo: null,
    };
  }
  // OpenAI-style chat / completions (OpenAI, Azure, DeepSeek, Groq, Mistral, xAI chat)
  const reasoning = n(obj(u.completion_tokens_details).reasoning_tokens);
  const cached = api === "deepseek-chat" ? n(u.prompt_cache_hit_tokens) : n(obj(u.prompt_tokens_details).cached_tokens);
  return {
    usage: usage({
      input_tokens: n(u.prompt_tokens),
      cache_read_tokens: cached,
      output_tokens: n(u.completion_tokens) + (api === "xai-chat" ? reasoning : 0),
      reasoning_tokens: reasoning,
    }),
    tier: null,
    geo: null,
  };
}

const pricer = createPricer();

for (const f of MANIFEST) {
  const stem = f.file.replace(/\.(sse|json|chunks\.txt)$/, "");
  const unpricedWhy = EXPECTED_UNPRICED[stem];
  test(`fixture: ${f.file} → ${unpricedWhy ? "unpriced" : "priced"}`, () => {
    const provider = PROVIDER[f.provider_api];
    assert.ok(provider, `no provider for ${f.provider_api}`);
    const norm = f.usage_native ? normalize(f.provider_api, f.usage_native) : null;
    const r = pricer.price(norm?.usage ?? null, ctx(provider, f.model, { serviceTier: norm?.tier ?? null, geo: norm?.geo ?? null }));
    if (unpricedWhy) {
      assert.equal(r.priced, false, unpricedWhy);
      assert.equal(r.cost_pico, null);
    } else {
      assert.equal(r.priced, true, `${f.model} (${provider}) should be priced`);
      assert.ok((r.cost_pico ?? 0) > 0);
      assert.ok(r.matched);
    }
  });
}

// Exact costs for a sample of fixtures, hand computed from the table rates (USD per 1M tokens).
const EXACT: [string, number, string][] = [
  ["anthropic-messages/anthropic-text.sse", 486_000_000, "sonnet-4.5: 12 × 3 + 30 × 15 = 36e6 + 450e6"],
  ["anthropic-messages/anthropic-web-search-tool.1.sse", 68_920_000_000, "sonnet-4: 15665 × 3 + 795 × 15 + 1 search × $0.01 = 46,995e6 + 11,925e6 + 10,000e6"],
  ["anthropic-messages/anthropic-code-execution-20260120-prompt-cache.1.sse", 11_592_300_000, "sonnet-5: 6 × 2 + 6289 read × 0.2 + 3337 5m × 2.5 + 198 × 10 = 12e6 + 1,257.8e6 + 8,342.5e6 + 1,980e6"],
  ["anthropic-messages/basic_response.sse", 615_000_000, "claude-3-opus-latest (alias): 11 × 15 + 6 × 75 = 165e6 + 450e6"],
  ["openai-chat/openai-text.sse", 121_600_000, "gpt-4.1-nano-2025-04-14: 16 × 0.1 + 300 × 0.4 = 1.6e6 + 120e6"],
  ["openai-completions/openai-completion-text.sse", 53_000_000, "gpt-3.5-turbo-instruct (build tag dropped): 14 × 1.5 + 16 × 2 = 21e6 + 32e6"],
  ["openai-responses/openai-web-search-tool.1.sse", 15_765_050_000, "gpt-5-mini-2025-08-07: 27,361 × 0.25 + 3,712 cached × 0.025 + 4,416 × 2 = 6,840.25e6 + 92.8e6 + 8,832e6"],
  ["azure-openai-chat/azure-model-router.1.sse", 31_950_000, "azure gpt-5-nano-2025-08-07: 15 × 0.05 + 78 × 0.4 = 0.75e6 + 31.2e6"],
  ["deepseek-chat/deepseek-text.sse", 171_640_000, "deepseek-chat: 13 miss × 0.28 + 400 × 0.42 = 3.64e6 + 168e6"],
  ["groq-chat/groq-text.sse", 549_530_000, "llama-3.3-70b-versatile: 45 × 0.59 + 662 × 0.79 = 26.55e6 + 522.98e6"],
  ["mistral-chat/mistral-text.sse", 2_220_000, "mistral-small-latest: 13 × 0.06 + 8 × 0.18 = 0.78e6 + 1.44e6"],
  ["gemini/google-text.sse", 2_514_000_000, "gemini-3-pro-preview: 9 × 2 + (23 + 185 thoughts) × 12 = 18e6 + 2,496e6"],
  ["vertex-gemini/google-vertex-stream-tool-call-arguments-nested.1.sse", 20_582_000_000, "vertex gemini-3.1-pro-preview: 31 × 2 + (684 + 1026) × 12 = 62e6 + 20,520e6"],
  ["xai-chat/xai-text.sse", 146_625_000, "grok-3-mini: 1 × 0.3 + 11 cached × 0.075 + (1 + 290 reasoning) × 0.5 = 0.3e6 + 0.825e6 + 145.5e6"],
  ["xai-responses/xai-text-streaming.1.sse", 1_303_140_000, "grok-code-fast-1: 24 × 0.2 + 192 cached × 0.02 + 863 × 1.5 = 4.8e6 + 3.84e6 + 1,294.5e6"],
];

for (const [file, want, why] of EXACT) {
  test(`fixture cost: ${file} = ${want} pico (${why})`, () => {
    const f = MANIFEST.find((x) => x.file === file);
    assert.ok(f?.usage_native, file);
    const norm = normalize(f.provider_api, f.usage_native);
    const r = pricer.price(norm.usage, ctx(PROVIDER[f.provider_api] ?? "", f.model, { serviceTier: norm.tier, geo: norm.geo }));
    assert.equal(r.cost_pico, want);
  });
}

test("fixture cross-check: xAI cost_in_usd_ticks equals the table cost for every xAI chat fixture", () => {
  // e.g. xai-text.sse: 1,466,250 ticks × 100 = 146,625,000 pico = $0.000146625 (a tick is 1e-10 USD)
  const xai = MANIFEST.filter((f) => f.provider_api === "xai-chat");
  assert.equal(xai.length, 6);
  for (const f of xai) {
    const native = f.usage_native ?? {};
    const reported = ticksToPico(n(native.cost_in_usd_ticks));
    const norm = normalize(f.provider_api, native);
    const table = pricer.price(norm.usage, ctx("grok", f.model));
    assert.equal(table.cost_pico, reported, f.file);
    const viaReported = pricer.price(norm.usage, ctx("grok", f.model, { reportedCostPico: reported }));
    assert.equal(viaReported.source, "reported");
    assert.equal(viaReported.cost_pico, reported);
    assert.deepEqual(viaReported.breakdown, table.breakdown); // breakdown still from the table
  }
});

test("fixture cross-check: OpenRouter usage.cost equals the table cost", () => {
  // openrouter/openai/gpt-4.1-mini (0.4 / 1.6 / cached 0.1): 800 × 0.4 + 200 × 0.1 + 100 × 1.6
  // = 320e6 + 20e6 + 160e6 = 500e6 pico = $0.0005, what OpenRouter reports as "cost": 0.0005
  const u = usage({ input_tokens: 1000, cache_read_tokens: 200, output_tokens: 100 });
  const reported = usdToPico(0.0005);
  const table = pricer.price(u, ctx("openrouter", "openai/gpt-4.1-mini"));
  assert.equal(table.cost_pico, 500_000_000);
  const r = pricer.price(u, ctx("openrouter", "openai/gpt-4.1-mini", { reportedCostPico: reported }));
  assert.deepEqual([r.source, r.cost_pico, r.matched], ["reported", 500_000_000, "openrouter/openai/gpt-4.1-mini"]);
  // A model the table does not know is still priced when the provider reports the cost.
  const unknown = pricer.price(u, ctx("openrouter", "acme/brand-new-model", { reportedCostPico: 1234 }));
  assert.deepEqual([unknown.priced, unknown.cost_pico, unknown.breakdown, unknown.source], [true, 1234, null, "reported"]);
});
