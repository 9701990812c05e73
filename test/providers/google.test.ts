import { test } from "node:test";
import assert from "node:assert/strict";
import { getProvider } from "../../src/providers/registry.ts";
import { accumulatorFor, accumulatorOrNull, bytes, facts, feed, meterJson, meterSse, sse, u } from "./_feed.ts";

const STREAM = facts("google-ai-studio", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", {
  query: "?alt=sse",
  body: { contents: [] },
});
const VERTEX = facts(
  "google-vertex-ai",
  "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent",
  { query: "?alt=sse" },
);

/** Google frames events with CRLF CRLF. */
const crlf = (...chunks: unknown[]) => chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join("");
const part = (text: string, usageMetadata?: unknown) => ({
  candidates: [{ content: { parts: [{ text }], role: "model" }, index: 0 }],
  ...(usageMetadata === undefined ? {} : { usageMetadata }),
  modelVersion: "gemini-2.5-pro",
  responseId: "r1",
});

test("usageMetadata is cumulative: last wins, and trafficType-only chunks are not zero usage", () => {
  const rows: Array<[string, string, ReturnType<typeof u>, string | null]> = [
    // AI Studio: counts on every chunk, growing.
    [
      "cumulative",
      crlf(
        part("a", { promptTokenCount: 9, candidatesTokenCount: 5, totalTokenCount: 14 }),
        part("b", { promptTokenCount: 9, candidatesTokenCount: 23, totalTokenCount: 217, thoughtsTokenCount: 185 }),
      ),
      u(9, 208, 217, { rs: 185 }),
      null,
    ],
    // Vertex: trafficType only until the last chunk.
    [
      "trafficType only first",
      crlf(
        part("a", { trafficType: "ON_DEMAND" }),
        part("b", { trafficType: "ON_DEMAND" }),
        part("c", {
          promptTokenCount: 31,
          candidatesTokenCount: 684,
          thoughtsTokenCount: 1026,
          trafficType: "ON_DEMAND",
        }),
      ),
      u(31, 1710, 1741, { rs: 1026 }),
      "default",
    ],
    // A trafficType-only chunk AFTER the counts neither erases nor zeroes them.
    [
      "trafficType only last",
      crlf(
        part("a", { promptTokenCount: 31, candidatesTokenCount: 10 }),
        part("b", { trafficType: "ON_DEMAND_PRIORITY" }),
      ),
      u(31, 10, 41),
      "priority",
    ],
  ];
  for (const [name, text, expected, tier] of rows) {
    const r = meterSse(VERTEX, text);
    assert.deepEqual(r.usage, expected, name);
    assert.equal(r.model, "gemini-2.5-pro", name);
    assert.equal(r.serviceTier, tier, name);
  }
});

test("normalization: tool-use prompt is input, cached content is a cache read, audio subsets", () => {
  const r = meterJson(facts("google-ai-studio", "/v1beta/models/gemini-2.5-flash:generateContent"), {
    candidates: [],
    modelVersion: "gemini-2.5-flash",
    usageMetadata: {
      promptTokenCount: 1000,
      cachedContentTokenCount: 600,
      toolUsePromptTokenCount: 50,
      candidatesTokenCount: 100,
      thoughtsTokenCount: 40,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 800 }, { modality: "AUDIO", tokenCount: 200 }],
      candidatesTokensDetails: [{ modality: "AUDIO", tokenCount: 30 }],
    },
  });
  assert.deepEqual(r.usage, u(1050, 140, 1190, { cr: 600, rs: 40, ai: 200, ao: 30 }));
});

test("without alt=sse the stream is a JSON array; errors inside a 200 stream", () => {
  const array = [
    part("a", { promptTokenCount: 4, candidatesTokenCount: 1 }),
    part("b", { promptTokenCount: 4, candidatesTokenCount: 7 }),
  ];
  const r = meterJson(facts("google-ai-studio", "/v1beta/models/gemini-2.5-pro:streamGenerateContent"), array);
  assert.deepEqual(r.usage, u(4, 7, 11));
  assert.equal(r.model, "gemini-2.5-pro");
  const error = meterSse(STREAM, crlf(part("a"), { error: { code: 500, message: "Internal", status: "INTERNAL" } }));
  assert.equal(error.upstreamError, "INTERNAL: Internal");
  assert.equal(error.usage, null);
});

test("cut streams: running totals are estimated; counts-free chunks add ceil(candidates bytes / 4)", () => {
  const counted = feed(accumulatorFor(STREAM), "sse", [
    bytes(crlf(part("a", { promptTokenCount: 9, candidatesTokenCount: 5 }))),
  ], {
    complete: false,
  });
  assert.deepEqual(counted.usage, u(9, 5, 14));
  assert.equal(counted.source, "estimated");
  // The candidates JSON of part("abcd") is 66 bytes → 17 tokens; the body {"contents":[]} is 15 bytes → 4.
  const c = JSON.stringify(part("abcd").candidates);
  assert.equal(c.length, 66);
  const uncounted = feed(accumulatorFor(STREAM), "sse", [bytes(crlf(part("abcd", { trafficType: "ON_DEMAND" })))], {
    complete: false,
  });
  assert.deepEqual(uncounted.usage, u(4, 17, 21));
  assert.equal(uncounted.source, "estimated");
});

test("endpoints: countTokens is free; Vertex Claude uses the Anthropic accumulator", () => {
  assert.equal(accumulatorOrNull(facts("google-ai-studio", "/v1beta/models/gemini-2.5-pro:countTokens")), null);
  assert.equal(accumulatorOrNull(facts("google-ai-studio", "/v1beta/models/text-embedding-004:embedContent")), null);
  const base = "/v1/projects/p/locations/us-east5/publishers/anthropic/models";
  assert.equal(accumulatorOrNull(facts("google-vertex-ai", `${base}/count-tokens:rawPredict`)), null);
  assert.equal(
    accumulatorOrNull(facts("google-vertex-ai", "/v1/projects/p/locations/l/publishers/google/models/g:countTokens")),
    null,
  );
  const claude = facts("google-vertex-ai", `${base}/claude-sonnet-4-5@20250929:streamRawPredict`);
  const text = sse(
    ["message_start", {
      type: "message_start",
      message: { model: "claude-x", usage: { input_tokens: 10, output_tokens: 1 } },
    }],
    ["message_delta", { type: "message_delta", delta: {}, usage: { output_tokens: 7 } }],
  );
  const r = meterSse(claude, text);
  assert.deepEqual(r.usage, u(10, 7, 17));
  assert.equal(getProvider("google-vertex-ai")?.requestModel(claude), "claude-sonnet-4-5@20250929");
  // Gemini's OpenAI-compatible endpoint: OpenAI chat usage.
  const compat = meterJson(facts("google-ai-studio", "/v1beta/openai/chat/completions"), {
    model: "gemini-2.5-flash",
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  });
  assert.deepEqual(compat.usage, u(3, 4, 7));
});

test("requestModel: the model in the URL", () => {
  const rows: Array<[string, string, string]> = [
    ["google-ai-studio", "/v1beta/models/gemini-2.5-pro:generateContent", "gemini-2.5-pro"],
    ["google-ai-studio", "/v1beta/tunedModels/x:generateContent", ""], // not a /models/ path: body or null
    ["google-vertex-ai", VERTEX.path, "gemini-2.5-pro"],
  ];
  for (const [provider, path, model] of rows) {
    assert.equal(getProvider(provider)?.requestModel(facts(provider, path)), model === "" ? null : model, path);
  }
});
