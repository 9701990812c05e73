// The response's own id (semconv `gen_ai.response.id`), read by the accumulators that see one, JSON and streamed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { facts, meterJson, meterSse, sse } from "../providers/_feed.ts";

const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 };

test("OpenAI chat: the body's id, or the leading id of the first stream chunk (a tool call's id is not it)", () => {
  const chat = facts("openai", "/v1/chat/completions", { body: { model: "gpt-4o" } });
  assert.equal(meterJson(chat, { id: "chatcmpl-1", model: "gpt-4o", usage }).responseId, "chatcmpl-1");
  const chunk = (id: string) => ({ id, model: "gpt-4o", choices: [{ delta: { content: "a" } }], usage: null });
  assert.equal(meterSse(chat, sse([null, chunk("chatcmpl-2")], [null, { ...chunk("chatcmpl-2"), choices: [], usage }])).responseId, "chatcmpl-2");
  const toolFirst = { choices: [{ delta: { tool_calls: [{ id: "call_1" }] } }], model: "gpt-4o", id: "chatcmpl-3" };
  assert.equal(meterSse(chat, sse([null, toolFirst])).responseId, null);
  assert.equal(meterJson(chat, { model: "gpt-4o", usage }).responseId, null);
});

test("OpenAI Responses: the response object's id", () => {
  const f = facts("openai", "/v1/responses", { body: { model: "gpt-4o" } });
  const response = { id: "resp_1", object: "response", model: "gpt-4o", status: "completed", usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } };
  assert.equal(meterJson(f, response).responseId, "resp_1");
  assert.equal(meterSse(f, sse(["response.completed", { type: "response.completed", response }])).responseId, "resp_1");
});

test("Anthropic: message_start's message id in a stream, the body's id otherwise", () => {
  const f = facts("anthropic", "/v1/messages", { body: { model: "claude-sonnet-4-5" } });
  const u = { input_tokens: 3, output_tokens: 1 };
  assert.equal(meterJson(f, { id: "msg_1", type: "message", model: "claude-sonnet-4-5", usage: u }).responseId, "msg_1");
  const stream = sse(
    ["message_start", { type: "message_start", message: { id: "msg_2", model: "claude-sonnet-4-5", usage: u } }],
    ["message_delta", { type: "message_delta", usage: { output_tokens: 2 } }],
    ["message_stop", { type: "message_stop" }],
  );
  assert.equal(meterSse(f, stream).responseId, "msg_2");
});

test("Gemini: responseId from the body or the first streamed chunk", () => {
  const path = "/v1beta/models/gemini-2.5-flash:generateContent";
  const f = facts("google-ai-studio", path);
  const body = { candidates: [], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 }, modelVersion: "gemini-2.5-flash", responseId: "r-1" };
  assert.equal(meterJson(f, body).responseId, "r-1");
  const s = facts("google-ai-studio", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", { query: "?alt=sse" });
  assert.equal(meterSse(s, sse([null, { ...body, responseId: "r-2" }])).responseId, "r-2");
});
