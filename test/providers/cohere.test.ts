import { test } from "node:test";
import assert from "node:assert/strict";
import { accumulatorFor, accumulatorOrNull, bytes, facts, feed, meterJson, meterSse, sse, u } from "./_feed.ts";

const CHAT = facts("cohere", "/v2/chat", { body: { model: "command-a-03-2025", stream: true } });
const USAGE = {
  billed_units: { input_tokens: 12, output_tokens: 7 },
  tokens: { input_tokens: 507, output_tokens: 10 },
  cached_tokens: 448,
};

test("v2 chat: message-end delta.usage; billed units are billed, raw tokens and cache stay native", () => {
  const text = sse(
    ["message-start", { type: "message-start", delta: { message: { role: "assistant" } } }],
    ["content-delta", { type: "content-delta", index: 0, delta: { message: { content: { text: "Paris" } } } }],
    ["message-end", { type: "message-end", delta: { finish_reason: "COMPLETE", usage: USAGE } }],
  );
  const r = meterSse(CHAT, text);
  assert.deepEqual(r.native, USAGE);
  assert.deepEqual(r.usage, u(12, 7, 19));
  assert.equal(r.model, null);
  // Data-only copy with [DONE] (the SDK tolerates it): the JSON type is read instead.
  const dataOnly = meterSse(CHAT, sse([null, { type: "message-end", delta: { usage: USAGE } }], [null, "[DONE]"]));
  assert.deepEqual(dataOnly.usage, u(12, 7, 19));
});

test("JSON bodies: v2 usage, v1 and embed meta.billed_units, rerank search units are not tokens", () => {
  const rows: Array<[string, unknown, ReturnType<typeof u> | null]> = [
    ["/v2/chat", { id: "x", message: {}, usage: USAGE }, u(12, 7, 19)],
    // v1 chat: meta.billed_units.
    [
      "/v1/chat",
      { text: "hi", meta: { api_version: { version: "1" }, billed_units: { input_tokens: 5, output_tokens: 2 } } },
      u(
        5,
        2,
        7,
      ),
    ],
    // Embed: input only.
    ["/v2/embed", { embeddings: {}, meta: { billed_units: { input_tokens: 9 } } }, u(9, 0, 9)],
    // Rerank bills search units: priced per search query (issue 23), no tokens.
    ["/v2/rerank", { results: [], meta: { billed_units: { search_units: 1 } } }, { ...u(0, 0, 0), search_queries: 1 }],
  ];
  for (const [path, body, expected] of rows) {
    assert.deepEqual(meterJson(facts("cohere", path), body).usage, expected, path);
  }
});

test("cut stream: one output token per *-delta event", () => {
  const text = sse(
    ["message-start", { type: "message-start" }],
    ["content-delta", { type: "content-delta", delta: { message: { content: { text: "a" } } } }],
    ["content-delta", { type: "content-delta", delta: { message: { content: { text: "b" } } } }],
    ["tool-plan-delta", { type: "tool-plan-delta", delta: { message: { tool_plan: "c" } } }],
  );
  const r = feed(accumulatorFor(CHAT), "sse", [bytes(text)], { complete: false });
  // Body {"model":"command-a-03-2025","stream":true} is 43 bytes → 11 input tokens; 3 deltas.
  assert.deepEqual(r.usage, u(11, 3, 14));
  assert.equal(r.source, "estimated");
});

test("endpoints: tokenize is free; the Compatibility API is OpenAI's format", () => {
  assert.equal(accumulatorOrNull(facts("cohere", "/v1/tokenize")), null);
  const compat = meterJson(facts("cohere", "/compatibility/v1/chat/completions"), {
    model: "command-a-03-2025",
    usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
  });
  assert.deepEqual(compat.usage, u(4, 3, 7));
});
