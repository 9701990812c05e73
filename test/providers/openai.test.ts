import { test } from "node:test";
import assert from "node:assert/strict";
import { accumulatorFor, accumulatorOrNull, bytes, facts, feed, meterJson, meterSse, sse, u } from "./_feed.ts";

const CHAT = facts("openai", "/v1/chat/completions", { body: { model: "gpt-4o", stream: true, messages: [] } });
const chunk = (content: string, extra: Record<string, unknown> = {}) => ({
  id: "c",
  object: "chat.completion.chunk",
  model: "gpt-4o-2024-08-06",
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
  usage: null,
  ...extra,
});
const USAGE = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
const DONE = [null, "[DONE]"] as const;

test("chat streams: where the usage sits and what is skipped", () => {
  const rows: Array<[string, string, ReturnType<typeof u> | null]> = [
    // Usage on a separate choices: [] chunk after the finish chunk, then [DONE].
    [
      "separate usage chunk",
      sse([null, chunk("a")], [null, { ...chunk(""), choices: [], usage: USAGE }], DONE),
      u(10, 3, 13),
    ],
    // Usage on the finish chunk (DeepSeek, Mistral), no [DONE].
    ["usage on finish chunk", sse([null, chunk("a")], [null, chunk("", { usage: USAGE })]), u(10, 3, 13)],
    // Two non-null usages (cumulative, Perplexity style): the last wins, never summed.
    [
      "last usage wins",
      sse([null, chunk("a", { usage: { ...USAGE, completion_tokens: 1 } })], [null, chunk("b", { usage: USAGE })]),
      u(10, 3, 13),
    ],
    // usage: null everywhere and no usage chunk: unknown, not zero.
    ["no usage", sse([null, chunk("a")], [null, chunk("b")], DONE), null],
    // Keep-alive comments and data without spaces are the scanner's; the usage still reads.
    [
      "comments and no space",
      `: keep-alive\n\ndata:${JSON.stringify({ ...chunk(""), usage: USAGE })}\n\n`,
      u(10, 3, 13),
    ],
  ];
  for (const [name, text, expected] of rows) {
    const r = meterSse(CHAT, text);
    assert.deepEqual(r.usage, expected, name);
    assert.equal(r.source, expected === null ? "none" : "reported", name);
    assert.equal(r.model, "gpt-4o-2024-08-06", name);
  }
});

test("Azure: the prompt_filter_results chunk (empty model, no usage) is skipped", () => {
  const filter = {
    choices: [],
    created: 0,
    id: "",
    model: "",
    object: "",
    prompt_filter_results: [{ prompt_index: 0 }],
  };
  const text = sse([null, filter], [null, { ...chunk("hi"), model: "gpt-5-nano-2025-08-07" }], [null, {
    choices: [],
    model: "gpt-5-nano-2025-08-07",
    usage: { completion_tokens: 78, completion_tokens_details: { reasoning_tokens: 64 }, prompt_tokens: 15 },
  }]);
  const f = facts("azure-openai", "/openai/deployments/my-dep/chat/completions", { query: "?api-version=2024-10-21" });
  const r = meterSse(f, text);
  assert.equal(r.model, "gpt-5-nano-2025-08-07");
  assert.deepEqual(r.usage, u(15, 78, 93, { rs: 64 }));
});

test("in-stream errors: OpenAI first-key error, vLLM object error; usage stays unknown", () => {
  const rows: Array<[string, unknown, string]> = [
    // openai-python raises on a truthy `error`.
    ["openai", { error: { message: "Boom", type: "server_error", code: null } }, "server_error: Boom"],
    // vLLM-style servers.
    ["vllm", { object: "error", message: "Too long", type: "BadRequestError", code: 400 }, "BadRequestError: Too long"],
  ];
  for (const [name, error, message] of rows) {
    const r = meterSse(CHAT, sse([null, chunk("a")], [null, error]));
    assert.equal(r.upstreamError, message, name);
    assert.equal(r.usage, null, name);
    assert.equal(r.source, "none", name);
  }
});

test("cut chat stream: input estimated from the request body, one output token per content chunk", () => {
  const body = { model: "gpt-4o", stream: true, messages: [{ role: "user", content: "x".repeat(100) }] };
  const f = facts("openai", "/v1/chat/completions", { body });
  const r = feed(accumulatorFor(f), "sse", [bytes(sse([null, chunk("a")], [null, chunk("b")], [null, chunk("c")]))], {
    complete: false,
  });
  // The body serializes to 174 bytes → ceil(174 / 4) = 44 input tokens; 3 content chunks → 3 output tokens.
  assert.equal(JSON.stringify(body).length, 174);
  assert.deepEqual(r.usage, u(44, 3, 47));
  assert.equal(r.source, "estimated");
});

test("cut after the usage chunk: stays reported", () => {
  const text = sse([null, chunk("a")], [null, { ...chunk(""), choices: [], usage: USAGE }]);
  const r = feed(accumulatorFor(CHAT), "sse", [bytes(text)], { complete: false });
  assert.equal(r.source, "reported");
  assert.deepEqual(r.usage, u(10, 3, 13));
});

test("error statuses are never estimated", () => {
  const r = feed(accumulatorFor(CHAT), "sse", [bytes(sse([null, chunk("a")]))], { complete: false, status: 500 });
  assert.equal(r.usage, null);
  assert.equal(r.source, "none");
});

test("chat JSON bodies: usage, embeddings, audio, error body", () => {
  const rows: Array<[string, string, unknown, ReturnType<typeof u> | null]> = [
    // Audio subsets of chat with audio.
    ["/v1/chat/completions", "audio", {
      model: "gpt-4o-audio-preview",
      usage: {
        prompt_tokens: 50,
        completion_tokens: 40,
        prompt_tokens_details: { audio_tokens: 30, cached_tokens: 10 },
        completion_tokens_details: { audio_tokens: 25 },
      },
    }, u(50, 40, 90, { ai: 30, ao: 25, cr: 10 })],
    // Embeddings: prompt and total only.
    [
      "/v1/embeddings",
      "embeddings",
      { model: "text-embedding-3-small", usage: { prompt_tokens: 12, total_tokens: 12 } },
      u(
        12,
        0,
        12,
      ),
    ],
    // Transcription `type: tokens`: Responses-style names with input_token_details.
    ["/v1/audio/transcriptions", "transcription tokens", {
      text: "hi",
      usage: { type: "tokens", input_tokens: 14, output_tokens: 45, input_token_details: { audio_tokens: 14 } },
    }, u(14, 45, 59, { ai: 14 })],
    // Transcription `type: duration`: seconds of audio, in milliseconds (issue 23).
    [
      "/v1/audio/transcriptions",
      "transcription duration",
      { text: "hi", usage: { type: "duration", seconds: 9 } },
      { ...u(0, 0, 0), audio_ms: 9000 },
    ],
  ];
  for (const [path, name, body, expected] of rows) {
    const r = meterJson(facts("openai", path), body);
    assert.deepEqual(r.usage, expected, name);
  }
  const error = meterJson(CHAT, { error: { message: "Nope", type: "invalid_request_error", code: "bad" } }, {
    status: 400,
  });
  assert.equal(error.upstreamError, "bad: Nope");
  assert.equal(error.usage, null);
});

const RESPONSES = facts("openai", "/v1/responses", { body: { model: "gpt-5", stream: true } });
const response = (status: string, usage: unknown, extra: Record<string, unknown> = {}) => ({
  id: "resp_1",
  object: "response",
  status,
  model: "gpt-5-2025-08-07",
  service_tier: "flex",
  output: [],
  usage,
  ...extra,
});
const RESP_USAGE = {
  input_tokens: 100,
  input_tokens_details: { cached_tokens: 40 },
  output_tokens: 50,
  output_tokens_details: { reasoning_tokens: 20 },
  total_tokens: 150,
};

test("Responses: terminal events, error shapes", () => {
  const created = ["response.created", { type: "response.created", response: response("in_progress", null) }] as const;
  const delta = ["response.output_text.delta", { type: "response.output_text.delta", delta: "Hi" }] as const;
  const rows: Array<[string, string, ReturnType<typeof u> | null, string | null]> = [
    // response.incomplete (max_output_tokens) still carries billed usage.
    [
      "incomplete",
      sse(created, delta, ["response.incomplete", {
        type: "response.incomplete",
        response: response("incomplete", RESP_USAGE),
      }]),
      u(100, 50, 150, { cr: 40, rs: 20 }),
      null,
    ],
    // SDK-typed error event: code and message at the top level, then response.failed with usage null.
    [
      "top-level error",
      sse(created, ["error", { type: "error", code: "server_error", message: "Oops" }], [
        "response.failed",
        {
          type: "response.failed",
          response: response("failed", null, { error: { code: "server_error", message: "x" } }),
        },
      ]),
      null,
      "server_error: Oops",
    ],
    // Recorded shape: nested error object.
    [
      "nested error",
      sse(created, ["error", {
        type: "error",
        error: { type: "rate_limit", code: "rate_limit_exceeded", message: "Slow down" },
      }]),
      null,
      "rate_limit_exceeded: Slow down",
    ],
    // response.failed alone: its response.error is the upstream error.
    [
      "failed only",
      sse(created, ["response.failed", {
        type: "response.failed",
        response: response("failed", null, { error: { code: "server_error", message: "Broke" } }),
      }]),
      null,
      "server_error: Broke",
    ],
  ];
  for (const [name, text, expected, error] of rows) {
    const r = meterSse(RESPONSES, text);
    assert.deepEqual(r.usage, expected, name);
    assert.equal(r.upstreamError, error, name);
    assert.equal(r.model, "gpt-5-2025-08-07", name);
  }
  const done = meterSse(
    RESPONSES,
    sse(created, ["response.completed", {
      type: "response.completed",
      response: response("completed", RESP_USAGE),
    }]),
  );
  assert.equal(done.serviceTier, "flex");
});

test("Responses: a renamed event stream falls back to the JSON type", () => {
  // A proxy that names every event `message`: classification reads `type` instead.
  const text = sse(["message", { type: "response.completed", response: response("completed", RESP_USAGE) }]);
  assert.deepEqual(meterSse(RESPONSES, text).usage, u(100, 50, 150, { cr: 40, rs: 20 }));
});

test("Responses: cut stream estimates one token per delta event; model from response.created", () => {
  const text = sse(
    ["response.created", { type: "response.created", response: response("in_progress", null) }],
    ["response.output_text.delta", { type: "response.output_text.delta", delta: "a" }],
    ["response.reasoning_summary_text.delta", { type: "response.reasoning_summary_text.delta", delta: "b" }],
    ["response.output_text.delta", { type: "response.output_text.delta", delta: "c" }],
  );
  const r = feed(accumulatorFor(RESPONSES), "sse", [bytes(text)], { complete: false });
  assert.equal(r.source, "estimated");
  assert.equal(r.model, "gpt-5-2025-08-07");
  // Body {"model":"gpt-5","stream":true} is 31 bytes → 8 input tokens; 3 delta events.
  assert.deepEqual(r.usage, u(8, 3, 11));
});

test("Responses endpoints: counting and list paths have no accumulator", () => {
  const spec = (path: string, method = "POST") => accumulatorOrNull(facts("openai", path, { method }));
  assert.equal(spec("/v1/responses/input_tokens"), null); // free token counting
  assert.equal(spec("/v1/responses/resp_1/input_items", "GET"), null); // a list
  assert.notEqual(spec("/v1/responses/resp_1", "GET"), null); // retrieve or re-stream
  assert.notEqual(spec("/v1/responses/resp_1/cancel"), null); // returns the response
  assert.notEqual(spec("/v1/audio/speech"), null); // characters, or sse usage (issue 23)
  assert.notEqual(spec("/v1/images/generations"), null); // images, or image tokens (issue 23)
  assert.equal(spec("/v1/models", "GET"), null);
});

test("a chat stream that ends without [DONE] was dropped: estimated, even when the connection closed cleanly", () => {
  const body = { model: "gpt-4o", stream: true, messages: [{ role: "user", content: "x".repeat(100) }] };
  const f = facts("openai", "/v1/chat/completions", { body });
  // Complete as far as fetch could tell (a close-delimited stream), every event whole, but no [DONE] and no usage.
  const dropped = feed(accumulatorFor(f), "sse", [bytes(sse([null, chunk("a")], [null, chunk("b")]))]);
  assert.equal(dropped.source, "estimated");
  assert.deepEqual(dropped.usage, u(44, 2, 46));
  // With [DONE] the stream ended as sent: no usage is unknown usage, not an estimate.
  const ended = feed(accumulatorFor(f), "sse", [bytes(sse([null, chunk("a")], [null, chunk("b")], DONE))]);
  assert.equal(ended.source, "none");
  // The usage arrived before the drop: it is what was billed.
  const late = feed(accumulatorFor(f), "sse", [bytes(sse([null, chunk("a")], [null, { ...chunk(""), choices: [], usage: USAGE }]))]);
  assert.equal(late.source, "reported");
});

test("a Responses stream that ends without a terminal event was dropped: estimated", () => {
  const text = sse(
    ["response.created", { type: "response.created", response: response("in_progress", null) }],
    ["response.output_text.delta", { type: "response.output_text.delta", delta: "a" }],
  );
  const r = feed(accumulatorFor(RESPONSES), "sse", [bytes(text)]);
  assert.equal(r.source, "estimated");
  assert.deepEqual(r.usage, u(8, 1, 9));
});

test("a usage object without any count is unknown usage, never 0 tokens at $0", () => {
  const r = meterJson(facts("openai", "/v1/chat/completions"), { id: "c", model: "gpt-4o", choices: [], usage: {} });
  assert.equal(r.source, "none");
  assert.equal(r.usage, null);
});
