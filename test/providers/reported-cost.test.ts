// OpenRouter's `usage.cost` read as written, so its conversion to pico-USD is exact (docs/architecture.md §21).
import { test } from "node:test";
import assert from "node:assert/strict";
import { usageCostText } from "../../src/providers/reported-cost.ts";
import { accumulatorFor, bytes, facts, feed, meterSse, sse } from "./_feed.ts";

test("the number text of usage.cost, from the last usage object; none when absent or not a number", () => {
  assert.equal(usageCostText(bytes('{"usage":{"prompt_tokens":1,"cost":0.1000000000004999999999,"cost_details":{"x":1}}}')), "0.1000000000004999999999");
  assert.equal(usageCostText(bytes('{"usage":null,"choices":[{"message":{"content":"\\"cost\\": 5"}}],"usage":{"cost":1e-7}}')), "1e-7");
  assert.equal(usageCostText(bytes('{"usage":{"prompt_tokens":1}}')), null);
  assert.equal(usageCostText(bytes('{"usage":{"cost":"0.1"}}')), null);
  assert.equal(usageCostText(bytes('{"cost":0.5}')), null);
});

const CHAT = facts("openrouter", "/api/v1/chat/completions", { body: { model: "openai/gpt-4o", messages: [] } });
const usage = (cost: string) => `{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100,"cost":${cost}}`;

test("JSON and SSE answers: the cost converted from its text, not from the float", () => {
  // A float prints 0.1000000000005 and rounds up to 100,000,000,001 pico.
  const text = `{"model":"openai/gpt-4o","usage":${usage("0.1000000000004999999999")}}`;
  assert.equal(feed(accumulatorFor(CHAT), "json", [bytes(text)]).reportedCostPico, 100_000_000_000);
  const exact = meterSse(CHAT, sse([null, `{"model":"openai/gpt-4o","choices":[],"usage":${usage("0.1000000000004999999999")}}`], [null, "[DONE]"]));
  assert.equal(exact.reportedCostPico, 100_000_000_000);
});
