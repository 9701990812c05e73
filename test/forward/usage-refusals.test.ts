// A remembered stream_options refusal is per endpoint and expires, so an upstream that learns the option (or a
// deployment that is upgraded) is asked again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRefusalMemory, refusalKey } from "../../src/forward/usage-refusals.ts";

test("a refusal expires after its time to live", () => {
  let now = 0;
  const memory = createRefusalMemory(() => now, 1000);
  memory.add("a");
  assert.ok(memory.has("a"));
  now = 999;
  assert.ok(memory.has("a"));
  now = 1000;
  assert.ok(!memory.has("a"));
});

test("the memory is bounded: the oldest refusal goes first", () => {
  const memory = createRefusalMemory(() => 0, 1000, 2);
  memory.add("a");
  memory.add("b");
  memory.add("c");
  assert.deepEqual([memory.has("a"), memory.has("b"), memory.has("c")], [false, true, true]);
});

test("the key names host, path and model, never the query", () => {
  assert.equal(refusalKey("x.openai.azure.com", "/openai/deployments/d1/chat/completions", {}), "x.openai.azure.com/openai/deployments/d1/chat/completions");
  assert.equal(refusalKey("api.example", "/v1/chat/completions", { model: "m" }), "api.example/v1/chat/completions (m)");
});
