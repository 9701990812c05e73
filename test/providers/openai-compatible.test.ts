import { test } from "node:test";
import assert from "node:assert/strict";
import { facts, meterJson, meterSse, sse, u } from "./_feed.ts";

const CHAT = "/v1/chat/completions";
const finish = (usage: unknown, extra: Record<string, unknown> = {}) => ({
  id: "c",
  object: "chat.completion.chunk",
  model: "m-1",
  choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
  ...extra,
  usage,
});

test("Groq: usage twice (x_groq.usage and usage) counts once, in either order", () => {
  const usage = { queue_time: 0.04, prompt_tokens: 45, completion_tokens: 662, total_tokens: 707, total_time: 2.6 };
  const rows: Array<[string, Record<string, unknown>]> = [
    // As recorded: x_groq first, top-level usage last.
    ["x_groq first", { ...finish(undefined), x_groq: { id: "req_1", usage }, usage }],
    // Reversed key order.
    ["usage first", { ...finish(usage), x_groq: { id: "req_1", usage } }],
    // Only x_groq.usage (older API): still read.
    ["x_groq only", { ...finish(undefined), x_groq: { id: "req_1", usage } }],
  ];
  for (const [name, chunk] of rows) {
    const r = meterSse(facts("groq", "/openai/v1/chat/completions"), sse([null, chunk], [null, "[DONE]"]));
    assert.deepEqual(r.usage, u(45, 662, 707), name);
    assert.deepEqual(r.native, usage, name);
  }
});

test("DeepSeek: prompt_cache_hit_tokens are cache reads inside prompt_tokens", () => {
  const rows: Array<[string, Record<string, unknown>, ReturnType<typeof u>]> = [
    // All miss.
    [
      "miss",
      { prompt_tokens: 13, completion_tokens: 4, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 13 },
      u(
        13,
        4,
        17,
      ),
    ],
    // Hit and miss; the hit count wins over prompt_tokens_details.cached_tokens.
    ["hit", {
      prompt_tokens: 100,
      completion_tokens: 4,
      prompt_tokens_details: { cached_tokens: 64 },
      prompt_cache_hit_tokens: 64,
      prompt_cache_miss_tokens: 36,
    }, u(100, 4, 104, { cr: 64 })],
    // No prompt_tokens: hit + miss.
    [
      "no prompt_tokens",
      { completion_tokens: 4, prompt_cache_hit_tokens: 10, prompt_cache_miss_tokens: 5 },
      u(15, 4, 19, {
        cr: 10,
      }),
    ],
  ];
  for (const [name, usage, expected] of rows) {
    assert.deepEqual(
      meterJson(facts("deepseek", "/chat/completions"), { model: "deepseek-chat", usage }).usage,
      expected,
      name,
    );
  }
});

test("Mistral: cached tokens under three spellings", () => {
  const rows: Array<[string, Record<string, unknown>]> = [
    ["num_cached_tokens", { num_cached_tokens: 7 }],
    ["prompt_tokens_details", { prompt_tokens_details: { cached_tokens: 7 } }],
    ["prompt_token_details", { prompt_token_details: { cached_tokens: 7 } }],
  ];
  for (const [name, extra] of rows) {
    const usage = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25, ...extra };
    // Mistral: no usage key on content chunks, usage on the finish chunk.
    const text = sse([null, { model: "mistral-small-latest", choices: [{ delta: { content: "x" } }] }], [
      null,
      finish(usage, { model: "mistral-small-latest" }),
    ]);
    assert.deepEqual(meterSse(facts("mistral", CHAT), text).usage, u(20, 5, 25, { cr: 7 }), name);
  }
});

test("xAI: output = completion + reasoning; ticks are 1e-10 USD; Live Search sources per call", () => {
  const usage = {
    prompt_tokens: 12,
    completion_tokens: 1,
    total_tokens: 303,
    prompt_tokens_details: { cached_tokens: 11 },
    completion_tokens_details: { reasoning_tokens: 290 },
    num_sources_used: 3,
    cost_in_usd_ticks: 1466250,
  };
  const r = meterSse(facts("grok", CHAT), sse([null, { ...finish(usage), choices: [] }], [null, "[DONE]"]));
  assert.deepEqual(r.usage, u(12, 291, 303, { cr: 11, rs: 290, ws: 3 }));
  // 1,466,250 ticks × 1e-10 USD = $0.000146625 = 146,625,000 pico-USD.
  assert.equal(r.reportedCostPico, 146625000);
  // xAI Responses: output_tokens already include reasoning; server-side tool calls billed per call.
  const responses = meterJson(facts("grok", "/v1/responses"), {
    object: "response",
    model: "grok-4",
    output: [],
    usage: {
      input_tokens: 216,
      output_tokens: 863,
      output_tokens_details: { reasoning_tokens: 237 },
      num_server_side_tools_used: 2,
    },
  });
  assert.deepEqual(responses.usage, u(216, 863, 1079, { rs: 237, ws: 2 }));
});

test("OpenRouter: usage.cost in USD credits becomes exact pico-USD; its mid-stream error is found", () => {
  const rows: Array<[string, number, number]> = [
    // A typical small charge.
    ["small", 0.000123, 123000000],
    // Float spelling that is not exact in binary: 0.1 + 0.2 style values keep their decimal digits.
    ["decimal", 0.0003, 300000000],
    // Exponent spelling from Number#toString.
    ["exponent", 1.5e-7, 150000],
    // Free model.
    ["zero", 0, 0],
  ];
  for (const [name, cost, pico] of rows) {
    const usage = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, cost, is_byok: false };
    const r = meterJson(facts("openrouter", "/api/v1/chat/completions"), { model: "openai/gpt-4o", usage });
    assert.equal(r.reportedCostPico, pico, name);
    assert.deepEqual(r.usage, u(5, 2, 7), name);
  }
  // Documented mid-stream error: `error` after id/object/created/model/provider, finish_reason "error".
  const error = {
    id: "cmpl-abc123",
    object: "chat.completion.chunk",
    created: 1234567890,
    model: "gpt-3.5-turbo",
    provider: "openai",
    error: { code: "server_error", message: "Provider disconnected unexpectedly" },
    choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
  };
  const r = meterSse(
    facts("openrouter", "/api/v1/chat/completions"),
    `: OPENROUTER PROCESSING\n\n${sse([null, error])}`,
  );
  assert.equal(r.upstreamError, "server_error: Provider disconnected unexpectedly");
  assert.equal(r.usage, null);
});

test("Perplexity: search queries and one request fee at the reported size; cost.total_cost is reported", () => {
  const usage = {
    prompt_tokens: 10,
    completion_tokens: 20,
    total_tokens: 30,
    num_search_queries: 2,
    search_context_size: "low",
    cost: { input_tokens_cost: 0.00001, output_tokens_cost: 0.00002, request_cost: 0.005, total_cost: 0.00503 },
  };
  const r = meterJson(facts("perplexity-ai", "/chat/completions"), { model: "sonar", usage });
  assert.deepEqual(r.usage, { ...u(10, 20, 30), search_queries: 2, request_fees: 1 });
  assert.equal(r.searchContext, "low");
  assert.equal(r.source, "reported");
  assert.equal(r.reportedCostPico, 5030000000);
});

test("Jina: embeddings and rerank report total_tokens only as input", () => {
  const rows: Array<[string, Record<string, unknown>, ReturnType<typeof u>]> = [
    ["/v1/embeddings", { prompt_tokens: 9, total_tokens: 9 }, u(9, 0, 9)],
    ["/v1/rerank", { total_tokens: 31 }, u(31, 0, 31)],
  ];
  for (const [path, usage, expected] of rows) {
    assert.deepEqual(meterJson(facts("jina", path), { model: "jina-embeddings-v3", usage }).usage, expected, path);
  }
});

test("the long tail meters chat completions on its own paths", () => {
  const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
  const rows: Array<[string, string]> = [
    ["cerebras", "/v1/chat/completions"],
    ["deepbricks", "/v1/chat/completions"],
    ["fireworks", "/inference/v1/chat/completions"], // prefixed by routing
    ["huggingface", "/models/meta-llama/Llama-3.1-8B-Instruct/v1/chat/completions"],
    ["hyperbolic", "/v1/chat/completions"],
    ["jina-deepsearch", "/v1/chat/completions"],
    ["poe", "/v1/chat/completions"],
    ["together", "/v1/chat/completions"],
    ["vercel", "/v1/chat/completions"],
  ];
  for (const [provider, path] of rows) {
    const r = meterSse(facts(provider, path), sse([null, finish(usage)], [null, "[DONE]"]));
    assert.deepEqual(r.usage, u(3, 2, 5), provider);
    assert.equal(r.model, "m-1", provider);
  }
});
