import { test } from "node:test";
import assert from "node:assert/strict";
import { facts, meterJson, meterSse, sse, u } from "./_feed.ts";

const CHAT = "/chat/completions";

// Perplexity's Deep Research example usage (docs.perplexity.ai pricing guide): citation and reasoning tokens are
// outside prompt_tokens / completion_tokens (33 + 11395 = 11428).
const DEEP = {
  prompt_tokens: 33,
  completion_tokens: 11395,
  total_tokens: 11428,
  citation_tokens: 19028,
  num_search_queries: 21,
  reasoning_tokens: 193947,
};

test("Perplexity: the size the usage reports wins over the request's; source stays reported", () => {
  const body = { model: "sonar-pro", web_search_options: { search_context_size: "high" } };
  const usage = { prompt_tokens: 24, completion_tokens: 2681, total_tokens: 2705, search_context_size: "low" };
  const r = meterJson(facts("perplexity-ai", CHAT, { body }), { model: "sonar-pro", usage });
  assert.deepEqual([r.searchContext, r.source, r.usage?.request_fees], ["low", "reported", 1]);
});

test("Perplexity: without a reported size, the request's, else the documented default low; source request", () => {
  const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
  const rows: Array<[unknown, string]> = [
    [{ model: "sonar", web_search_options: { search_context_size: "Medium" } }, "medium"],
    [{ model: "sonar" }, "low"],
    [{ model: "sonar-pro", web_search_options: { search_type: "pro", search_context_size: "high" } }, "pro/high"],
  ];
  for (const [body, size] of rows) {
    const r = meterJson(facts("perplexity-ai", CHAT, { body }), { model: "sonar", usage });
    assert.deepEqual([r.searchContext, r.source, r.usage?.request_fees], [size, "request", 1], size);
  }
});

test("Perplexity: Deep Research counts search queries, citation and research reasoning tokens", () => {
  const r = meterJson(facts("perplexity-ai", CHAT, { body: { model: "sonar-deep-research" } }), {
    model: "sonar-deep-research",
    usage: DEEP,
  });
  assert.deepEqual(r.usage, {
    ...u(33, 11395, 11428),
    search_queries: 21,
    request_fees: 1,
    citation_tokens: 19028,
    research_reasoning_tokens: 193947,
  });
});

test("Perplexity: models without search (retired offline ones) bill no request fee", () => {
  const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
  for (const model of ["llama-3.1-70b-instruct", "sonar-small-chat"]) {
    const r = meterJson(facts("perplexity-ai", CHAT, { body: { model } }), { model, usage });
    assert.deepEqual([r.usage?.request_fees, r.searchContext, r.source], [0, null, "reported"], model);
  }
});

test("Perplexity: a stream reports cumulative usage on every chunk; the last one counts", () => {
  const chunk = (n: number) => ({
    id: "p",
    model: "sonar",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta: { content: "x" } }],
    usage: { prompt_tokens: 4, completion_tokens: n, total_tokens: 4 + n, search_context_size: "medium" },
  });
  const r = meterSse(facts("perplexity-ai", CHAT, { body: { model: "sonar", stream: true } }), sse([null, chunk(1)], [null, chunk(9)]));
  assert.deepEqual([r.usage?.output_tokens, r.usage?.request_fees, r.searchContext, r.source], [9, 1, "medium", "reported"]);
});

test("OpenAI search-preview: one fee per request at the request's size, default medium; other models none", () => {
  const usage = { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 };
  const rows: Array<[unknown, string, string | null]> = [
    [{ model: "gpt-4o-search-preview", web_search_options: { search_context_size: "low" } }, "gpt-4o-search-preview-2025-03-11", "low"],
    [{ model: "gpt-4o-mini-search-preview", web_search_options: {} }, "gpt-4o-mini-search-preview-2025-03-11", "medium"],
    [{ model: "gpt-4o" }, "gpt-4o-2024-08-06", null],
  ];
  for (const [body, model, size] of rows) {
    for (const provider of ["openai", "azure-openai"]) {
      const r = meterJson(facts(provider, "/v1/chat/completions", { body }), { model, usage });
      assert.deepEqual(
        [r.usage?.request_fees, r.searchContext ?? null, r.source],
        size === null ? [0, null, "reported"] : [1, size, "request"],
        `${provider} ${model}`,
      );
    }
  }
});

test("OpenAI: no usage means no fee (an error answer is not billed)", () => {
  const r = meterJson(facts("openai", "/v1/chat/completions", { body: { model: "gpt-4o-search-preview" } }), {
    error: { message: "bad", type: "invalid_request_error" },
  }, { status: 400 });
  assert.deepEqual([r.usage, r.source], [null, "none"]);
});

test("Gemini grounding: unique non-empty webSearchQueries, from a JSON body and from a stream", () => {
  const chunk = {
    candidates: [{ content: { parts: [{ text: "x" }] }, groundingMetadata: { webSearchQueries: ["a", "", "b", "a"] } }],
    usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6, totalTokenCount: 10 },
    modelVersion: "gemini-2.5-flash",
  };
  const path = "/v1beta/models/gemini-2.5-flash:generateContent";
  const json = meterJson(facts("google-ai-studio", path), chunk);
  assert.deepEqual([json.usage?.web_search_requests, json.usage?.grounded_prompts], [2, 1]);
  const stream = meterSse(facts("google-ai-studio", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", { query: "?alt=sse" }), sse([null, chunk]));
  assert.deepEqual([stream.usage?.web_search_requests, stream.usage?.grounded_prompts], [2, 1]);
  const plain = meterJson(facts("google-ai-studio", path), { ...chunk, candidates: [{ content: { parts: [{ text: "x" }] } }] });
  assert.deepEqual([plain.usage?.web_search_requests, plain.usage?.grounded_prompts], [0, undefined]);
});

test("Perplexity: the Sonar API's /v1/sonar path is metered like chat completions", () => {
  const usage = { prompt_tokens: 24, completion_tokens: 2681, total_tokens: 2705, search_context_size: "low" };
  const r = meterJson(facts("perplexity-ai", "/v1/sonar", { body: { model: "sonar-pro" } }), { model: "sonar-pro", usage });
  assert.deepEqual([r.usage?.input_tokens, r.usage?.request_fees, r.searchContext, r.source], [24, 1, "low", "reported"]);
});
