import { test } from "node:test";
import assert from "node:assert/strict";
import { getProvider, PROVIDERS } from "../../src/providers/registry.ts";
import { PROVIDER_IDS } from "../../src/resolve/routes.ts";
import { accumulatorOrNull, facts } from "./_feed.ts";

const IDS = [
  "anthropic",
  "aws-bedrock",
  "azure-openai",
  "cartesia",
  "cerebras",
  "cohere",
  "deepbricks",
  "deepseek",
  "elevenlabs",
  "fireworks",
  "google-ai-studio",
  "google-vertex-ai",
  "grok",
  "groq",
  "huggingface",
  "hyperbolic",
  "jina",
  "jina-deepsearch",
  "mistral",
  "openai",
  "openrouter",
  "perplexity-ai",
  "poe",
  "replicate",
  "together",
  "vercel",
];

test("all 26 providers, sorted, the same ids as the routing table", () => {
  assert.deepEqual(PROVIDERS.map((p) => p.id), IDS);
  assert.deepEqual([...PROVIDER_IDS], IDS);
  for (const id of IDS) assert.equal(getProvider(id)?.id, id);
  assert.equal(getProvider("OpenAI"), undefined); // ids are lower-case, as in the URL
  assert.equal(getProvider("nope"), undefined);
});

test("labels and log styles", () => {
  const rows: Array<[string, string, string]> = [
    ["openai", "OpenAI", "openai"],
    ["azure-openai", "Azure OpenAI", "openai"],
    ["anthropic", "Anthropic", "anthropic"],
    ["groq", "Groq", "openai"],
    ["deepseek", "DeepSeek", "openai"],
    ["mistral", "Mistral", "openai"],
    ["grok", "xAI", "openai"],
    ["openrouter", "OpenRouter", "openai"],
    ["google-ai-studio", "Gemini", "gemini"],
    ["google-vertex-ai", "Vertex AI", "gemini"],
    ["aws-bedrock", "Bedrock", "bedrock"],
    ["cohere", "Cohere", "cohere"],
  ];
  for (const [id, label, style] of rows) {
    assert.equal(getProvider(id)?.label, label, id);
    assert.equal(getProvider(id)?.logStyle, style, id);
  }
});

test("passthrough providers have no accumulator (Replicate meters predictions: test/providers/replicate.test.ts)", () => {
  for (const id of ["cartesia", "elevenlabs"]) {
    assert.equal(accumulatorOrNull(facts(id, "/v1/predictions")), null, id);
  }
  assert.equal(accumulatorOrNull(facts("replicate", "/v1/collections")), null);
});

test("counting endpoints are free: no accumulator", () => {
  const rows: Array<[string, string]> = [
    ["anthropic", "/v1/messages/count_tokens"],
    ["openai", "/v1/responses/input_tokens"],
    ["azure-openai", "/openai/v1/responses/input_tokens"],
    ["google-ai-studio", "/v1beta/models/gemini-2.5-pro:countTokens"],
    ["google-vertex-ai", "/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-pro:computeTokens"],
    ["google-vertex-ai", "/v1/projects/p/locations/l/publishers/anthropic/models/count-tokens:rawPredict"],
    ["aws-bedrock", "/model/anthropic.claude-x/count-tokens"],
    ["cohere", "/v1/tokenize"],
  ];
  for (const [provider, path] of rows) {
    assert.equal(accumulatorOrNull(facts(provider, path)), null, `${provider} ${path}`);
  }
});

test("requestModel: body model, Azure deployment, trailing slash tolerated", () => {
  const body = { model: "gpt-4o-mini" };
  assert.equal(getProvider("openai")?.requestModel(facts("openai", "/v1/chat/completions", { body })), "gpt-4o-mini");
  assert.equal(getProvider("openai")?.requestModel(facts("openai", "/v1/chat/completions")), null);
  const azure = getProvider("azure-openai");
  assert.equal(
    azure?.requestModel(facts("azure-openai", "/openai/deployments/prod-4o/chat/completions", { body })),
    "prod-4o",
  );
  assert.equal(azure?.requestModel(facts("azure-openai", "/openai/v1/chat/completions", { body })), "gpt-4o-mini");
  assert.notEqual(accumulatorOrNull(facts("openai", "/v1/chat/completions/")), null);
});

const stream = { model: "m", stream: true, messages: [] };

test("acceptsStreamUsage: streaming chat/completions on providers known to accept include_usage", () => {
  const rows: Array<[boolean, string, string, { body?: unknown; query?: string; method?: string }]> = [
    // OpenAI chat and legacy completions, streaming.
    [true, "openai", "/v1/chat/completions", { body: stream }],
    [true, "openai", "/v1/completions", { body: stream }],
    // Not streaming, stream: "true" (a string), or no body inspected.
    [false, "openai", "/v1/chat/completions", { body: { model: "m" } }],
    [false, "openai", "/v1/chat/completions", { body: { model: "m", stream: "true" } }],
    [false, "openai", "/v1/chat/completions", {}],
    // Responses and embeddings never take it.
    [false, "openai", "/v1/responses", { body: stream }],
    [false, "openai", "/v1/embeddings", { body: stream }],
    // GET is not a completion.
    [false, "openai", "/v1/chat/completions", { body: stream, method: "GET" }],
    // Azure: api-version ≥ 2024-09-01 (preview or GA), or the v1 API.
    [true, "azure-openai", "/openai/deployments/d/chat/completions", {
      body: stream,
      query: "?api-version=2024-10-21",
    }],
    [true, "azure-openai", "/openai/deployments/d/chat/completions", {
      body: stream,
      query: "?api-version=2024-09-01-preview",
    }],
    [true, "azure-openai", "/openai/deployments/d/chat/completions", {
      body: stream,
      query: "?api-version=2025-04-01-preview",
    }],
    [false, "azure-openai", "/openai/deployments/d/chat/completions", {
      body: stream,
      query: "?api-version=2024-08-01-preview",
    }],
    [false, "azure-openai", "/openai/deployments/d/chat/completions", {
      body: stream,
      query: "?api-version=2024-06-01",
    }],
    [false, "azure-openai", "/openai/deployments/d/chat/completions", { body: stream }],
    [true, "azure-openai", "/openai/v1/chat/completions", { body: stream }],
    // The OpenAI-compatible providers on the list.
    [true, "grok", "/v1/chat/completions", { body: stream }],
    [true, "openrouter", "/api/v1/chat/completions", { body: stream }],
    // Asked for usage accounting itself: its usage chunk is the client's, never added to nor stripped.
    [false, "openrouter", "/api/v1/chat/completions", { body: { ...stream, usage: { include: true } } }],
    [true, "together", "/v1/chat/completions", { body: stream }],
    [true, "fireworks", "/inference/v1/chat/completions", { body: stream }],
    [true, "deepseek", "/chat/completions", { body: stream }],
    [true, "cerebras", "/v1/chat/completions", { body: stream }],
    [true, "vercel", "/v1/chat/completions", { body: stream }],
    // Always send usage anyway.
    [false, "groq", "/openai/v1/chat/completions", { body: stream }],
    [false, "mistral", "/v1/chat/completions", { body: stream }],
    // Reject unknown fields / not OpenAI's API.
    [false, "anthropic", "/v1/chat/completions", { body: stream }],
    [false, "anthropic", "/v1/messages", { body: stream }],
    [false, "google-ai-studio", "/v1beta/openai/chat/completions", { body: stream }],
    [false, "aws-bedrock", "/openai/v1/chat/completions", { body: stream }],
    [false, "cohere", "/compatibility/v1/chat/completions", { body: stream }],
    // Unverified.
    [false, "hyperbolic", "/v1/chat/completions", { body: stream }],
    [false, "perplexity-ai", "/chat/completions", { body: stream }],
  ];
  for (const [expected, provider, path, options] of rows) {
    const f = facts(provider, path, options);
    assert.equal(getProvider(provider)?.acceptsStreamUsage(f), expected, `${provider} ${path} ${options.query ?? ""}`);
  }
});
