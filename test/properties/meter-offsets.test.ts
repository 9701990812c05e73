// Property: the chat and Anthropic accumulators read each SSE event where it lies in its chunk
// (bytes[dataStart, dataEnd)), so nothing after an event in the same chunk may change what they read. For any
// stream of crafted events — usage null, usage objects, a usage value or string cut short at the event's end, a
// `"usage"` inside a string or nested deeper, content deltas in and out of the Messages API's exact shape — the
// meter's result is the same with the whole stream in one chunk, with every event in a buffer of its own, and at
// any chunking.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { accumulatorFor, facts, feed } from "../providers/_feed.ts";
import { runs } from "./_runs.ts";

const enc = new TextEncoder();

/** Text that may sit inside a JSON string: quotes, backslashes, key look-alikes, multi-byte UTF-8. */
const text = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom('"usage":{"prompt_tokens":9}', "\\", '\\"', "é😀", '"}}', "usage", '"text":"x"'),
);

const chatEvents = [
  fc.constant('{"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[],"usage":null}'),
  text.map((t) => JSON.stringify({ id: "c1", model: "gpt-x", choices: [{ delta: { content: t } }], usage: null })),
  fc.nat({ max: 999 }).map((n) =>
    JSON.stringify({ id: "c1", choices: [], usage: { prompt_tokens: n, completion_tokens: n + 1, total_tokens: 1 } })
  ),
  // A usage value (or the whole event) cut at the event's end: the bytes after it belong to the next event.
  fc.constant('{"id":"c1","choices":[],"usage":{"prompt_tokens":5'),
  fc.constant('{"id":"c1","choices":[],"usage"'),
  fc.constant('{"id":"c1","choices":[],"usage":"'),
  fc.constant('{"id":"c1","choices":[{"usage":{"prompt_tokens":3,"completion_tokens":1}}]}'),
  fc.constant('{"error":{"message":"overloaded"'),
  fc.constant('{"object":"err'),
  fc.constant("[DONE]"),
  fc.constant("[DON"),
].map((a) => a.map((data) => `data: ${data}\n\n`));

const deltaType = fc.constantFrom(
  ["text_delta", "text"],
  ["thinking_delta", "thinking"],
  ["input_json_delta", "partial_json"],
  ["signature_delta", "signature"],
);
/** One SSE event: an `event:` line when named, the data as written (it may be cut or off-shape). */
const named = (name: string | null, data: string) => `${name === null ? "" : `event: ${name}\n`}data: ${data}\n\n`;
const DELTA = "content_block_delta";
const anthropicEvents = [
  fc.nat({ max: 99 }).map((n) =>
    named(
      "message_start",
      JSON.stringify({ type: "message_start", message: { id: "m", model: "claude-x", usage: { input_tokens: n } } }),
    )
  ),
  fc.tuple(deltaType, text, fc.nat({ max: 12 })).map(([[type, key], t, index]) =>
    named(DELTA, JSON.stringify({ type: DELTA, index, delta: { type, [key]: t } }))
  ),
  // Off the exact shape: spaces, other key orders, a cut string, data-only (no event name), a string ending in `\`.
  text.map((t) =>
    named(DELTA, `{"type": "${DELTA}", "index": 0, "delta": {"type": "text_delta", "text": ${JSON.stringify(t)}}}`)
  ),
  text.map((t) =>
    named(DELTA, `{"delta":{"text":${JSON.stringify(t)},"type":"text_delta"},"index":0,"type":"${DELTA}"}`)
  ),
  fc.constant(named(DELTA, `{"type":"${DELTA}","index":0,"delta":{"type":"text_delta","text":"ab`)),
  fc.constant(named(DELTA, `{"type":"${DELTA}","index":0,"delta":{"type":"text_delta","text":"a\\"}}`)),
  text.map((t) => named(null, JSON.stringify({ type: DELTA, index: 1, delta: { type: "text_delta", text: t } }))),
  fc.nat({ max: 99 }).map((n) => named("message_delta", `{"type":"message_delta","usage":{"output_tokens":${n}}}`)),
  fc.constant(named("message_delta", '{"type":"message_delta","usage":{"output_tokens":7')),
  fc.constant(named("message_stop", '{"type":"message_stop"}')),
  fc.constant(named("error", '{"type":"error","error":{"type":"overloaded_error"}}')),
];

function streamOf(events: fc.Arbitrary<string>[]): fc.Arbitrary<string[]> {
  return fc.array(fc.oneof(...events), { minLength: 1, maxLength: 10 });
}

/** Cut points, sorted and unique, inside the stream. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.slice(from, c));
    from = c;
  }
  out.push(bytes.slice(from));
  return out;
}

for (
  const [name, provider, path, events] of [
    ["chat", "openai", "/v1/chat/completions", chatEvents],
    ["anthropic", "anthropic", "/v1/messages", anthropicEvents],
  ] as const
) {
  test(`${name}: an event reads the same in a shared chunk, in a buffer of its own and at any chunking`, () => {
    const f = facts(provider, path, { body: { model: "m", stream: true } });
    fc.assert(
      fc.property(streamOf(events), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (list, cuts, complete) => {
        const whole = enc.encode(list.join(""));
        const options = { complete };
        const one = feed(accumulatorFor(f), "sse", [whole], options);
        const own = feed(accumulatorFor(f), "sse", list.map((e) => enc.encode(e)), options);
        const cut = feed(accumulatorFor(f), "sse", chunked(whole, cuts), options);
        assert.deepEqual(own, one);
        assert.deepEqual(cut, one);
      }),
      runs(200),
    );
  });
}
