// Usage as stored: counts must be whole numbers in range, and usage_native is bounded in depth and size.
import assert from "node:assert/strict";
import { test } from "node:test";
import { badUsageField, checkNative, MAX_NATIVE_BYTES, MAX_NATIVE_DEPTH } from "../../src/usage/validate.ts";
import { buildUsage } from "../../src/usage/build.ts";

const CASES: [string, unknown, string | null][] = [
  // real shapes pass
  ["openai", { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } }, null],
  ["gemini details", { promptTokenCount: 5, promptTokensDetails: [{ modality: "TEXT", tokenCount: 5 }] }, null],
  ["null count", { prompt_tokens: null, completion_tokens: 1 }, null],
  ["non-count keys", { service_tier: "default", speed: "fast", inference_geo: "us" }, null],
  // bad counts, named by path
  ["negative", { prompt_tokens: -1 }, "prompt_tokens is -1"],
  ["string", { completion_tokens: "4" }, 'completion_tokens is "4"'],
  ["boolean", { output_tokens: true }, "output_tokens is true"],
  ["fraction", { input_tokens: 1.5 }, "input_tokens is 1.5"],
  ["unsafe", { inputTokens: 2 ** 53 + 1 }, "inputTokens is 9007199254740992"],
  ["too big", { totalTokenCount: 1e308 }, "totalTokenCount is 1e+308"],
  ["nested", { prompt_tokens_details: { cached_tokens: -2 } }, "prompt_tokens_details.cached_tokens is -2"],
  ["in array", { promptTokensDetails: [{ modality: "TEXT", tokenCount: "x" }] }, 'promptTokensDetails.0.tokenCount is "x"'],
  ["per-call count", { server_tool_use: { web_search_requests: -3 } }, "server_tool_use.web_search_requests is -3"],
];

for (const [name, native, bad] of CASES) {
  test(`checkNative: ${name}`, () => {
    const check = checkNative(native);
    assert.equal(check.badCount, bad);
    assert.equal(check.native, native);
    assert.equal(check.truncated, null);
  });
}

test("checkNative: too deep is replaced by a marker, without recursion", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const check = checkNative({ prompt_tokens: 1, x: deep });
  assert.match(check.truncated!, new RegExp(`deeper than ${MAX_NATIVE_DEPTH} levels`));
  assert.deepEqual(Object.keys(check.native as object), ["kestrel_truncated"]);
});

test("checkNative: too large is replaced by a marker", () => {
  const check = checkNative({ prompt_tokens: 1, x: "a".repeat(MAX_NATIVE_BYTES) });
  assert.match(check.truncated!, /larger than/);
  const many = checkNative({ x: Array.from({ length: MAX_NATIVE_BYTES }, () => 0) });
  assert.match(many.truncated!, /larger than/);
});

test("badUsageField: a normalized count out of range is named", () => {
  assert.equal(badUsageField(buildUsage({ input: 3, output: 4 })), null);
  assert.equal(badUsageField(buildUsage({ input: 2e9, output: 4 })), "input_tokens is 2000000000");
});
