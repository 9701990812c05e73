import { test } from "node:test";
import assert from "node:assert/strict";
import { buildUsage } from "../../src/usage/build.ts";
import { estimatedUsage, estimateInputTokens, tokensFromBytes } from "../../src/usage/estimate.ts";
import { normalizeAnthropic } from "../../src/usage/normalize-anthropic.ts";
import { normalizeBedrock } from "../../src/usage/normalize-bedrock.ts";
import { normalizeCohere } from "../../src/usage/normalize-cohere.ts";
import { geminiTier, normalizeGemini } from "../../src/usage/normalize-gemini.ts";
import { normalizeOpenAi, reportedCostPico } from "../../src/usage/normalize-openai.ts";
import { u } from "../providers/_feed.ts";

test("buildUsage: total = input + output; subsets clamped into their parents", () => {
  const rows: Array<[string, Parameters<typeof buildUsage>[0], ReturnType<typeof u>]> = [
    // Nothing to clamp.
    ["plain", { input: 10, output: 5, cacheRead: 4, reasoning: 2 }, u(10, 5, 15, { cr: 4, rs: 2 })],
    // More cached than prompt tokens (vercel/ai guards xAI against this): capped at input.
    ["cache read > input", { input: 10, output: 5, cacheRead: 12 }, u(10, 5, 15, { cr: 10 })],
    // Reads and writes together cannot exceed input; 1 h within writes.
    [
      "writes after reads",
      { input: 10, output: 0, cacheRead: 8, cacheWrite: 5, cacheWrite1h: 9 },
      u(10, 0, 10, {
        cr: 8,
        cw: 2,
        cw1h: 2,
      }),
    ],
    // Reasoning and audio within their side.
    [
      "output side",
      { input: 1, output: 3, reasoning: 7, audioOut: 9, audioIn: 4 },
      u(1, 3, 4, { rs: 3, ao: 3, ai: 1 }),
    ],
  ];
  for (const [name, parts, expected] of rows) assert.deepEqual(buildUsage(parts), expected, name);
});

test("normalizeOpenAi: shapes and flavors", () => {
  const rows: Array<
    [string, Record<string, unknown>, Parameters<typeof normalizeOpenAi>[1], ReturnType<typeof u> | null]
  > = [
    // Chat: cached and reasoning are subsets; newer cache_write_tokens too.
    [
      "chat",
      {
        prompt_tokens: 100,
        completion_tokens: 50,
        prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 20 },
        completion_tokens_details: { reasoning_tokens: 10 },
      },
      {},
      u(100, 50, 150, { cr: 30, cw: 20, rs: 10 }),
    ],
    // xAI: reasoning is outside completion_tokens.
    ["xai", { prompt_tokens: 12, completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 290 } }, {
      reasoningOutsideCompletion: true,
    }, u(12, 291, 303, { rs: 290 })],
    // The xAI flag does not touch the Responses shape (output already includes reasoning).
    ["xai responses", { input_tokens: 216, output_tokens: 863, output_tokens_details: { reasoning_tokens: 237 } }, {
      reasoningOutsideCompletion: true,
    }, u(216, 863, 1079, { rs: 237 })],
    // Realtime / transcription spell details `input_token_details`.
    [
      "realtime",
      {
        input_tokens: 50,
        output_tokens: 20,
        input_token_details: { cached_tokens: 10, audio_tokens: 30 },
        output_token_details: { audio_tokens: 15 },
      },
      {},
      u(
        50,
        20,
        70,
        { cr: 10, ai: 30, ao: 15 },
      ),
    ],
    // Per-call search keys.
    [
      "searches",
      { prompt_tokens: 1, completion_tokens: 1, num_search_queries: 3 },
      { searchKeys: ["num_search_queries"] },
      u(
        1,
        1,
        2,
        { ws: 3 },
      ),
    ],
    // Nothing countable.
    ["duration", { type: "duration", seconds: 3 }, {}, null],
    // Bad values read as absent, never NaN.
    ["garbage", { prompt_tokens: "12", completion_tokens: -4, total_tokens: 8 }, {}, u(0, 0, 0)],
  ];
  for (const [name, usage, flavor, expected] of rows) assert.deepEqual(normalizeOpenAi(usage, flavor), expected, name);
  assert.equal(reportedCostPico({ cost: 0.5 }, {}), null); // a bare `cost` is only USD for OpenRouter
  assert.equal(reportedCostPico({ cost: 0.5 }, { costIsUsd: true }), 500_000_000_000);
});

test("normalizeAnthropic: cache creation without the total, web fetch is not web search", () => {
  const rows: Array<[string, Record<string, unknown>, ReturnType<typeof u>]> = [
    // Only the split is given (a compatible upstream): writes = 5 m + 1 h.
    [
      "split only",
      {
        input_tokens: 1,
        cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 4 },
        output_tokens: 2,
      },
      u(
        8,
        2,
        10,
        { cw: 7, cw1h: 4 },
      ),
    ],
    // Web fetch costs tokens only; web search is billed per request.
    [
      "server tools",
      { input_tokens: 1, output_tokens: 1, server_tool_use: { web_search_requests: 2, web_fetch_requests: 5 } },
      u(
        1,
        1,
        2,
        { ws: 2 },
      ),
    ],
    // Iterations carry their own cache counts.
    ["iterations with cache", {
      input_tokens: 5,
      output_tokens: 5,
      iterations: [
        {
          type: "compaction",
          input_tokens: 100,
          cache_read_input_tokens: 50,
          cache_creation_input_tokens: 0,
          output_tokens: 10,
        },
        {
          type: "message",
          input_tokens: 5,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 20,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 20 },
          output_tokens: 5,
        },
      ],
    }, u(175, 15, 190, { cr: 50, cw: 20, cw1h: 20 })],
  ];
  for (const [name, usage, expected] of rows) assert.deepEqual(normalizeAnthropic(usage), expected, name);
});

test("normalizeGemini, normalizeBedrock, normalizeCohere: edge rows", () => {
  // Gemini: a trafficType-only object has no usage.
  assert.equal(normalizeGemini({ trafficType: "ON_DEMAND" }), null);
  assert.equal(geminiTier("PROVISIONED_THROUGHPUT"), "provisioned");
  assert.equal(geminiTier("ON_DEMAND_FLEX"), "flex");
  assert.equal(geminiTier(undefined), null);
  // Bedrock: the *TokenCount spelling alone (invocation metrics).
  assert.deepEqual(
    normalizeBedrock({ inputTokenCount: 10, outputTokenCount: 2, cacheWriteInputTokenCount: 5 }),
    u(15, 2, 17, { cw: 5 }),
  );
  assert.equal(normalizeBedrock({ latencyMs: 3 }), null);
  // Cohere: raw tokens only when there are no billed units.
  assert.deepEqual(normalizeCohere({ tokens: { input_tokens: 3, output_tokens: 4 } }), u(3, 4, 7));
  assert.equal(normalizeCohere({ billed_units: { search_units: 1 } })?.search_queries, 1); // rerank (issue 23)
});

test("estimates: ceil(bytes / 4), input from the JSON body", () => {
  assert.equal(tokensFromBytes(0), 0);
  assert.equal(tokensFromBytes(1), 1);
  assert.equal(tokensFromBytes(8), 2);
  assert.equal(tokensFromBytes(9), 3);
  // {"a":"é"} is 10 UTF-8 bytes (é is 2) → 3 tokens.
  assert.equal(estimateInputTokens({ a: "é" }), 3);
  assert.equal(estimateInputTokens(undefined), 0);
  assert.equal(estimatedUsage(0, 0), null);
  assert.deepEqual(estimatedUsage(3, 2), u(3, 2, 5));
});

test("normalizeGemini: cached audio is a subset of both the cache reads and the audio", () => {
  // promptTokensDetails count cached tokens too; cacheTokensDetails split the cache by modality.
  const usage = normalizeGemini({
    promptTokenCount: 10_100,
    cachedContentTokenCount: 10_000,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: 100 }, { modality: "AUDIO", tokenCount: 10_000 }],
    cacheTokensDetails: [{ modality: "AUDIO", tokenCount: 10_000 }],
  });
  assert.deepEqual(usage, { ...u(10_100, 0, 10_100, { cr: 10_000, ai: 10_000 }), cache_read_audio_tokens: 10_000 });
  // A cached-audio count larger than the cache or the audio is clamped into both.
  const clamped = normalizeGemini({
    promptTokenCount: 50,
    cachedContentTokenCount: 30,
    promptTokensDetails: [{ modality: "AUDIO", tokenCount: 20 }],
    cacheTokensDetails: [{ modality: "AUDIO", tokenCount: 40 }],
  });
  assert.equal(clamped?.cache_read_audio_tokens, 20);
});
