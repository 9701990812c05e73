// Property: whatever numbers (or non-numbers) a provider puts in its usage object, the meter never throws, and the
// Usage it yields is null or made of exact non-negative integers that keep the subset rule (docs/architecture.md
// §4): parts inside their parents, total = input + output. Its price is then null or a non-negative integer.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createPricer } from "../../src/pricing/pricer.ts";
import type { Usage } from "../../src/usage/types.ts";
import { accumulatorFor, bytes, facts, feed } from "../providers/_feed.ts";
import { runs } from "./_runs.ts";

const FIELDS = [
  "prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens", "cache_creation_input_tokens",
  "cache_read_input_tokens", "promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount",
  "toolUsePromptTokenCount", "totalTokenCount", "inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens",
  "cacheWriteInputTokens", "cached_tokens", "reasoning_tokens", "audio_tokens", "web_search_requests",
  "ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens", "prompt_cache_hit_tokens", "prompt_cache_miss_tokens",
];
const NESTS = ["prompt_tokens_details", "completion_tokens_details", "input_tokens_details", "output_tokens_details", "cache_creation", "server_tool_use"];

const hostileNumber = fc.oneof(
  fc.nat({ max: 10_000_000 }),
  fc.constantFrom(-1, -0, 0.5, 1e308, -1e308, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, "7", "", null, true, [], {}, "1e3"),
  fc.double({ noNaN: true }),
);
/** Up to four fields (some nested) overwritten with hostile values, over a usage object that is valid for its endpoint. */
const damage: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.constantFrom(...FIELDS, ...NESTS),
  fc.oneof(hostileNumber, fc.dictionary(fc.constantFrom(...FIELDS), hostileNumber, { maxKeys: 3 })),
  { maxKeys: 4 },
);

const OPENAI = { prompt_tokens: 30, completion_tokens: 20, total_tokens: 50, prompt_tokens_details: { cached_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 5 } };
const RESPONSES = { input_tokens: 30, output_tokens: 20, total_tokens: 50, input_tokens_details: { cached_tokens: 10 }, output_tokens_details: { reasoning_tokens: 5 } };
const ANTHROPIC = { input_tokens: 30, output_tokens: 20, cache_creation_input_tokens: 8, cache_read_input_tokens: 4, cache_creation: { ephemeral_1h_input_tokens: 3 } };
const GEMINI = { promptTokenCount: 30, candidatesTokenCount: 20, thoughtsTokenCount: 5, cachedContentTokenCount: 10, totalTokenCount: 55 };
const BEDROCK = { inputTokens: 30, outputTokens: 20, totalTokens: 50, cacheReadInputTokens: 4, cacheWriteInputTokens: 8 };

/** Endpoints: where each puts its usage object, and a valid one to damage. */
const ENDPOINTS: [string, string, (u: unknown) => unknown, Record<string, unknown>][] = [
  ["openai", "/v1/chat/completions", (u) => ({ model: "gpt-4o-mini", usage: u }), OPENAI],
  ["openai", "/v1/responses", (u) => ({ model: "gpt-4o-mini", usage: u }), RESPONSES],
  ["anthropic", "/v1/messages", (u) => ({ model: "claude-sonnet-4-5", usage: u }), ANTHROPIC],
  ["google-ai-studio", "/v1beta/models/gemini-2.5-flash:generateContent", (u) => ({ modelVersion: "gemini-2.5-flash", usageMetadata: u }), GEMINI],
  ["aws-bedrock", "/bedrock-runtime/us-east-1/model/amazon.nova-pro-v1:0/converse", (u) => ({ usage: u }), BEDROCK],
  ["cohere", "/v2/chat", (u) => ({ model: "command-r", usage: { billed_units: u, tokens: u } }), { input_tokens: 30, output_tokens: 20 }],
  ["deepseek", "/chat/completions", (u) => ({ model: "deepseek-chat", usage: u }), { ...OPENAI, prompt_cache_hit_tokens: 10, prompt_cache_miss_tokens: 20 }],
  ["grok", "/v1/chat/completions", (u) => ({ model: "grok-3", usage: u }), OPENAI],
];

const pricer = createPricer();

function checkUsage(u: Usage): void {
  for (const [k, v] of Object.entries(u)) assert.ok(Number.isSafeInteger(v) && (v as number) >= 0, `${k} = ${v}`);
  assert.equal(u.total_tokens, u.input_tokens + u.output_tokens, "total");
  assert.ok(u.cache_read_tokens + u.cache_write_tokens <= u.input_tokens, "cache inside input");
  assert.ok(u.cache_write_1h_tokens <= u.cache_write_tokens, "1h inside cache writes");
  assert.ok(u.audio_input_tokens <= u.input_tokens, "audio inside input");
  assert.ok(u.reasoning_tokens <= u.output_tokens && u.audio_output_tokens <= u.output_tokens, "parts inside output");
}

test("usage: any usage object gives null or exact, consistent integers, and a price that is null or an integer", () => {
  let read = 0;
  const budget = runs(500);
  fc.assert(
    fc.property(fc.constantFrom(...ENDPOINTS), damage, ([provider, path, wrap, valid], hurt) => {
      const f = facts(provider, path, { body: { model: "x" } });
      const out = feed(accumulatorFor(f), "json", [bytes(JSON.stringify(wrap({ ...valid, ...hurt })))]);
      if (out.usage === null) return;
      read++;
      checkUsage(out.usage);
      const price = pricer.price(out.usage, { provider, model: out.model, serviceTier: null, geo: null, reportedCostPico: null });
      assert.ok(price.cost_pico === null || (Number.isSafeInteger(price.cost_pico) && price.cost_pico >= 0), `cost ${price.cost_pico}`);
    }),
    budget,
  );
  assert.ok(read >= budget.numRuns / 20, `only ${read} usages were read at all`);
});
