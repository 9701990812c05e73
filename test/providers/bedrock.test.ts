import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeEventStreamMessage } from "../../src/eventstream/encoder.ts";
import { getProvider } from "../../src/providers/registry.ts";
import { accumulatorFor, accumulatorOrNull, bytes, facts, feed, meterJson, u } from "./_feed.ts";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1%3A0";
const CONVERSE = facts("aws-bedrock", `/model/${MODEL}/converse-stream`, { body: { messages: [] } });
const INVOKE = facts("aws-bedrock", `/model/${MODEL}/invoke`);
const INVOKE_STREAM = facts("aws-bedrock", `/model/${MODEL}/invoke-with-response-stream`);

const frame = (type: string, payload: unknown) =>
  encodeEventStreamMessage(
    { ":event-type": type, ":content-type": "application/json", ":message-type": "event" },
    bytes(JSON.stringify(payload)),
  );
const exception = (type: string, message: string) =>
  encodeEventStreamMessage(
    { ":exception-type": type, ":content-type": "application/json", ":message-type": "exception" },
    bytes(JSON.stringify({ message })),
  );
/** An InvokeModelWithResponseStream `chunk` frame around one model event (base64 `bytes`). */
const chunk = (event: unknown) => frame("chunk", { bytes: btoa(JSON.stringify(event)), p: "abcdefgh" });

test("ConverseStream: metadata usage; inputTokens excludes cache; 1 h cache details", () => {
  const r = feed(accumulatorFor(CONVERSE), "eventstream", [
    frame("messageStart", { role: "assistant" }),
    frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hi" }, p: "abc" }),
    frame("messageStop", { stopReason: "end_turn" }),
    frame("metadata", {
      usage: {
        inputTokens: 10,
        outputTokens: 20,
        cacheReadInputTokens: 300,
        cacheWriteInputTokens: 100,
        cacheDetails: [{ inputTokens: 60, ttl: "1h" }, { inputTokens: 40, ttl: "5m" }],
        totalTokens: 430,
      },
      metrics: { latencyMs: 100 },
      serviceTier: { type: "priority" },
    }),
  ]);
  assert.deepEqual(r.usage, u(410, 20, 430, { cr: 300, cw: 100, cw1h: 60 }));
  assert.equal(r.serviceTier, "priority");
  assert.equal(r.model, null);
});

test("ConverseStream: exception frames; a cut stream estimates from content deltas", () => {
  const failed = feed(accumulatorFor(CONVERSE), "eventstream", [
    frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hi" } }),
    exception("throttlingException", "Too many requests"),
  ]);
  assert.equal(failed.upstreamError, "throttlingException: Too many requests");
  assert.equal(failed.usage, null);
  // 8 text bytes + 8 tool-input bytes → 4 tokens (the `p` padding is not content); body {"messages":[]} → 4.
  const cut = feed(accumulatorFor(CONVERSE), "eventstream", [
    frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "abcdefgh" }, p: "x".repeat(50) }),
    frame("contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: "[1,2,34]" } } }),
  ], { complete: false });
  assert.deepEqual(cut.usage, u(4, 4, 8));
  assert.equal(cut.source, "estimated");
});

test("InvokeModel JSON: Claude bodies use their usage; other models the token-count headers", () => {
  const claude = meterJson(INVOKE, {
    type: "message",
    model: "claude-sonnet-4-5-20250929",
    usage: { input_tokens: 12, cache_read_input_tokens: 100, output_tokens: 30 },
  }, { headers: { "x-amzn-bedrock-input-token-count": "12", "x-amzn-bedrock-output-token-count": "30" } });
  assert.deepEqual(claude.usage, u(112, 30, 142, { cr: 100 }));
  assert.equal(claude.model, "claude-sonnet-4-5-20250929");
  // Llama body: usage from the headers (input excludes cache, as everywhere on Bedrock).
  const llama = meterJson(facts("aws-bedrock", "/model/meta.llama3-70b-instruct-v1%3A0/invoke"), {
    generation: "Hi",
    prompt_token_count: 10,
    generation_token_count: 5,
  }, {
    headers: {
      "x-amzn-bedrock-input-token-count": "10",
      "x-amzn-bedrock-output-token-count": "5",
      "x-amzn-bedrock-cache-read-input-token-count": "3",
      "x-amzn-bedrock-invocation-latency": "880",
    },
  });
  assert.deepEqual(llama.native, { inputTokenCount: 10, outputTokenCount: 5, cacheReadInputTokenCount: 3 });
  assert.deepEqual(llama.usage, u(13, 5, 18, { cr: 3 }));
  assert.equal(llama.source, "reported");
});

test("invoke-with-response-stream: base64 Anthropic events in chunk frames; invocation metrics", () => {
  const claude = feed(accumulatorFor(INVOKE_STREAM), "eventstream", [
    chunk({
      type: "message_start",
      message: { model: "claude-sonnet-4-5-20250929", usage: { input_tokens: 846, output_tokens: 1 } },
    }),
    chunk({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } }),
    chunk({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 39 } }),
    chunk({
      type: "message_stop",
      "amazon-bedrock-invocationMetrics": { inputTokenCount: 846, outputTokenCount: 39, invocationLatency: 880 },
    }),
  ]);
  assert.deepEqual(claude.usage, u(846, 39, 885));
  assert.equal(claude.model, "claude-sonnet-4-5-20250929");
  // A non-Claude model: its events are not Anthropic's; the last event's invocation metrics are the usage.
  const llama = feed(
    accumulatorFor(facts("aws-bedrock", "/model/meta.llama3-70b-instruct-v1%3A0/invoke-with-response-stream")),
    "eventstream",
    [
      chunk({ generation: "Hi", stop_reason: null }),
      chunk({
        generation: "",
        stop_reason: "stop",
        "amazon-bedrock-invocationMetrics": { inputTokenCount: 10, outputTokenCount: 2, invocationLatency: 200 },
      }),
    ],
  );
  assert.deepEqual(llama.usage, u(10, 2, 12));
  assert.equal(llama.model, null);
  // An exception frame mid-stream.
  const failed = feed(accumulatorFor(INVOKE_STREAM), "eventstream", [
    chunk({ type: "message_start", message: { model: "claude-x", usage: { input_tokens: 5, output_tokens: 1 } } }),
    exception("modelStreamErrorException", "Model stream failed"),
  ]);
  assert.equal(failed.upstreamError, "modelStreamErrorException: Model stream failed");
  assert.deepEqual(failed.usage, u(5, 1, 6));
  assert.equal(failed.source, "estimated");
});

test("paths: model from the URL (decoded), count-tokens free, OpenAI-compatible chat", () => {
  const spec = getProvider("aws-bedrock");
  assert.equal(spec?.requestModel(CONVERSE), "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  const arn = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.anthropic.claude-x";
  assert.equal(
    spec?.requestModel(facts("aws-bedrock", `/model/${arn}/converse`)),
    "arn:aws:bedrock:us-east-1:123:inference-profile/us.anthropic.claude-x",
  );
  assert.equal(accumulatorOrNull(facts("aws-bedrock", `/model/${MODEL}/count-tokens`)), null);
  assert.equal(accumulatorOrNull(facts("aws-bedrock", `/model/${MODEL}/async-invoke`)), null);
  const chat = meterJson(facts("aws-bedrock", "/openai/v1/chat/completions"), {
    model: "openai.gpt-oss-120b-1:0",
    usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  });
  assert.deepEqual(chat.usage, u(5, 6, 11));
});
