import { test } from "node:test";
import assert from "node:assert/strict";
import { accumulatorFor, accumulatorOrNull, bytes, facts, feed, meterJson, meterSse, sse, u } from "./_feed.ts";

const MESSAGES = facts("anthropic", "/v1/messages", { body: { model: "claude-sonnet-4-5", stream: true } });

const start = (usage: Record<string, unknown>, model = "claude-sonnet-4-5-20250929") =>
  ["message_start", { type: "message_start", message: { id: "msg_1", model, content: [], usage } }] as const;
const delta = (usage: Record<string, unknown>) =>
  ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage }] as const;
const text = (t: string) =>
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: t } }] as const;
const STOP = ["message_stop", { type: "message_stop" }] as const;

test("message_delta usage is cumulative: it overwrites the start field by field, never adds", () => {
  const r = meterSse(
    MESSAGES,
    sse(
      start({ input_tokens: 2037, cache_read_input_tokens: 0, output_tokens: 1, service_tier: "standard" }),
      ["ping", { type: "ping" }],
      text("Hi"),
      delta({ input_tokens: 15665, output_tokens: 795, server_tool_use: { web_search_requests: 1 } }),
      STOP,
    ),
  );
  assert.deepEqual(r.native, {
    input_tokens: 15665,
    cache_read_input_tokens: 0,
    output_tokens: 795,
    service_tier: "standard",
    server_tool_use: { web_search_requests: 1 },
  });
  assert.deepEqual(r.usage, u(15665, 795, 16460, { ws: 1 }));
  assert.equal(r.source, "reported");
});

test("1 h cache-write split: the start's 1 h count, capped at the final total; the rest at 5 m", () => {
  const rows: Array<[string, Record<string, unknown>, Record<string, unknown>, ReturnType<typeof u>]> = [
    // Delta repeats no split: 1 h stays 1000 of the final 3000 writes, 2000 are 5 m.
    [
      "kept",
      {
        input_tokens: 5,
        cache_creation_input_tokens: 1500,
        cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 },
        output_tokens: 1,
      },
      { cache_creation_input_tokens: 3000, output_tokens: 10 },
      u(3005, 10, 3015, { cw: 3000, cw1h: 1000 }),
    ],
    // The final total is below the start's 1 h count: capped at the total.
    [
      "capped",
      {
        input_tokens: 5,
        cache_creation_input_tokens: 1500,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1500 },
        output_tokens: 1,
      },
      { cache_creation_input_tokens: 800, output_tokens: 10 },
      u(805, 10, 815, { cw: 800, cw1h: 800 }),
    ],
    // A delta that does repeat the split replaces it.
    ["replaced", {
      input_tokens: 5,
      cache_creation_input_tokens: 100,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100 },
      output_tokens: 1,
    }, {
      cache_creation_input_tokens: 300,
      cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
      output_tokens: 10,
    }, u(305, 10, 315, { cw: 300, cw1h: 200 })],
  ];
  for (const [name, first, last, expected] of rows) {
    assert.deepEqual(meterSse(MESSAGES, sse(start(first), delta(last), STOP)).usage, expected, name);
  }
});

test("cache reads and writes are input; thinking tokens are a reasoning subset of output", () => {
  const r = meterJson(facts("anthropic", "/v1/messages"), {
    type: "message",
    model: "claude-opus-4-5",
    usage: {
      input_tokens: 10,
      cache_creation_input_tokens: 200,
      cache_read_input_tokens: 3000,
      output_tokens: 500,
      output_tokens_details: { thinking_tokens: 300 },
      service_tier: "priority",
      inference_geo: "us",
    },
  });
  assert.deepEqual(r.usage, u(3210, 500, 3710, { cr: 3000, cw: 200, rs: 300 }));
  assert.equal(r.serviceTier, "priority");
  assert.equal(r.geo, "us");
});

test("fast mode is reported as the `fast` tier", () => {
  const r = meterJson(facts("anthropic", "/v1/messages"), {
    model: "claude-opus-4-6",
    usage: { input_tokens: 1, output_tokens: 1, service_tier: "standard", speed: "fast" },
  });
  assert.equal(r.serviceTier, "fast");
});

test("event: error mid-stream", () => {
  const error = ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }] as const;
  // Before any usage: unknown, not zero.
  const before = meterSse(MESSAGES, sse(error));
  assert.equal(before.upstreamError, "overloaded_error: Overloaded");
  assert.equal(before.usage, null);
  assert.equal(before.source, "none");
  // After message_start: the start's input plus ceil(text bytes / 4) output ("Hello world!" = 12 bytes → 3).
  const after = meterSse(MESSAGES, sse(start({ input_tokens: 40, output_tokens: 1 }), text("Hello world!"), error));
  assert.equal(after.upstreamError, "overloaded_error: Overloaded");
  assert.deepEqual(after.usage, u(40, 3, 43));
  assert.equal(after.source, "estimated");
});

test("cut stream: start usage plus an output estimate from content deltas", () => {
  const rows: Array<[string, string, ReturnType<typeof u>, "estimated" | "reported"]> = [
    // 20 text bytes → 5 tokens; the start's output 1 is a placeholder.
    [
      "text",
      sse(start({ input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 1 }), text("a".repeat(20))),
      u(
        150,
        5,
        155,
        { cr: 50 },
      ),
      "estimated",
    ],
    // Tool input JSON and thinking count; signatures do not (10 + 6 bytes → 4 tokens). Bytes are counted as
    // escaped on the wire, so a JSON string with quotes counts its backslashes too.
    [
      "json and thinking",
      sse(
        start({ input_tokens: 100, output_tokens: 1 }),
        ["content_block_delta", {
          type: "content_block_delta",
          index: 1,
          delta: { type: "input_json_delta", partial_json: "[1,2,3,45]" },
        }],
        ["content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "thinking_delta", thinking: "ponder" },
        }],
        ["content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "signature_delta", signature: "EqQBCgIYAhIM".repeat(20) },
        }],
      ),
      u(100, 4, 104),
      "estimated",
    ],
    // The start's output is kept when larger than the estimate (tool fixtures start at 35+).
    [
      "start output larger",
      sse(start({ input_tokens: 100, output_tokens: 35 }), text("abcd")),
      u(100, 35, 135),
      "estimated",
    ],
    // message_delta already arrived: the final usage stands.
    [
      "after delta",
      sse(start({ input_tokens: 100, output_tokens: 1 }), text("abcd"), delta({ output_tokens: 9 })),
      u(
        100,
        9,
        109,
      ),
      "reported",
    ],
  ];
  for (const [name, body, expected, source] of rows) {
    const r = feed(accumulatorFor(MESSAGES), "sse", [bytes(body)], { complete: false });
    assert.deepEqual(r.usage, expected, name);
    assert.equal(r.source, source, name);
  }
  // Cut before message_start: the request body gives the input ({"model":"claude-sonnet-4-5","stream":true} is
  // 44 bytes → 11 tokens); nothing else is known.
  const early = feed(accumulatorFor(MESSAGES), "sse", [bytes("event: message_st")], { complete: false });
  assert.deepEqual(early.usage, u(11, 0, 11));
  assert.equal(early.source, "estimated");
});

test("usage.iterations: the sum of iterations billed at the serving model's rates", () => {
  const it = (type: string, input: number, output: number, model?: string) => ({
    type,
    input_tokens: input,
    output_tokens: output,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    ...(model === undefined ? {} : { model }),
  });
  const rows: Array<[string, Record<string, unknown>, ReturnType<typeof u>, string]> = [
    // Compaction: the top level (612/2819) leaves out the compaction iteration, which is billed too.
    [
      "compaction",
      {
        input_tokens: 612,
        output_tokens: 2819,
        iterations: [it("compaction", 60385, 522), it("message", 612, 2819)],
      },
      u(60997, 3341, 64338),
      "claude-opus-4-6",
    ],
    // Advisor: the advisor iteration runs on another model at its own rates; not in this model's usage.
    [
      "advisor",
      {
        input_tokens: 4727,
        output_tokens: 3391,
        iterations: [
          it("message", 1051, 35),
          it("advisor_message", 2728, 3880, "claude-opus-4-7"),
          it("message", 3676, 3356),
        ],
      },
      u(4727, 3391, 8118),
      "claude-opus-4-6",
    ],
    // Fallback: the declined attempt on another model is out; the model is the fallback's.
    [
      "fallback",
      {
        input_tokens: 412,
        output_tokens: 264,
        iterations: [it("message", 408, 0, "claude-fable-5"), it("fallback_message", 412, 264, "claude-opus-4-8")],
      },
      u(412, 264, 676),
      "claude-opus-4-8",
    ],
  ];
  for (const [name, usage, expected, model] of rows) {
    const r = meterSse(
      MESSAGES,
      sse(start({ input_tokens: 1, output_tokens: 1 }, "claude-opus-4-6"), delta(usage), STOP),
    );
    assert.deepEqual(r.usage, expected, name);
    assert.equal(r.model, model, name);
  }
});

test("a fallback content block names the serving model", () => {
  const block = ["content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "fallback", from: { model: "claude-opus-4-7" }, to: { model: "claude-sonnet-4-5" } },
  }] as const;
  const tool = ["content_block_start", {
    type: "content_block_start",
    index: 1,
    content_block: { type: "tool_use", id: "t", name: "fallback", input: {} },
  }] as const;
  const r = meterSse(
    MESSAGES,
    sse(start({ input_tokens: 25, output_tokens: 1 }, "claude-opus-4-7"), block, tool, delta({ output_tokens: 8 })),
  );
  assert.equal(r.model, "claude-sonnet-4-5");
  // A later message_start (a new message) forgets it.
  const again = meterSse(
    MESSAGES,
    sse(
      start({ input_tokens: 1, output_tokens: 1 }, "claude-opus-4-7"),
      block,
      start({ input_tokens: 1, output_tokens: 1 }, "claude-opus-4-7"),
      delta({ output_tokens: 8 }),
    ),
  );
  assert.equal(again.model, "claude-opus-4-7");
});

test("endpoints: count_tokens is free; the OpenAI-compatible endpoint uses the chat accumulator", () => {
  assert.equal(accumulatorOrNull(facts("anthropic", "/v1/messages/count_tokens")), null);
  assert.equal(accumulatorOrNull(facts("anthropic", "/v1/messages/batches")), null);
  assert.equal(accumulatorOrNull(facts("anthropic", "/v1/models", { method: "GET" })), null);
  const chat = meterJson(facts("anthropic", "/v1/chat/completions"), {
    model: "claude-haiku-4-5",
    usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
  });
  assert.deepEqual(chat.usage, u(4, 2, 6));
});

test("a JSON error body sets upstreamError", () => {
  const r = meterJson(facts("anthropic", "/v1/messages"), {
    type: "error",
    error: { type: "invalid_request_error", message: "max_tokens: Field required" },
  }, { status: 400 });
  assert.equal(r.upstreamError, "invalid_request_error: max_tokens: Field required");
  assert.equal(r.source, "none");
});

test("an empty usage object is unknown (`none`, with the reason), not a reported 0 tokens at $0", () => {
  const json = meterJson(facts("anthropic", "/v1/messages"), {
    id: "msg_1", type: "message", model: "claude-sonnet-4-5-20250929", content: [], usage: {},
  });
  assert.deepEqual([json.source, json.usage, json.usageError], ["none", null, "usage reported without any count: unknown, not zero"]);
  const stream = meterSse(MESSAGES, sse(start({}), text("Hi"), delta({}), STOP));
  assert.deepEqual([stream.source, stream.usage, stream.usageError], ["none", null, "usage reported without any count: unknown, not zero"]);
  // A count of 0 is a count: reported.
  const zero = meterJson(facts("anthropic", "/v1/messages"), { id: "m", type: "message", model: "m", content: [], usage: { input_tokens: 0, output_tokens: 0 } });
  assert.equal(zero.source, "reported");
});
