// When Kestrel asked a stream for usage, the client must get the stream it would have got without Kestrel:
// the usage-only chunk cut out whole and the `usage` member (null on every chunk, or DeepSeek's usage on the
// finish chunk) cut out of the others, with its comma — under every chunking.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { byteAtATime, everySplit, FIXTURES_DIR, seededSplits } from "../_chunking.ts";
import { createMeter } from "../../src/meter/meter.ts";
import { createUsageStrip } from "../../src/meter/usage-strip.ts";
import { accumulatorFor, facts } from "../providers/_feed.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs chunks through meter + strip as the proxy does; returns client text and the metered usage. */
function run(chunks: Uint8Array[], provider = "openai") {
  const acc = accumulatorFor(facts(provider, "/v1/chat/completions", { body: { stream: true } }));
  const strip = createUsageStrip();
  const meter = createMeter("sse", acc, { onEvent: strip.onEvent });
  const out: string[] = [];
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) {
    meter.push(chunk);
    const released = strip.chunk(chunk, meter.settled());
    parts.push(released.slice());
  }
  const rest = strip.flush();
  if (rest) parts.push(rest);
  for (const p of parts) out.push(decoder.decode(p, { stream: true }));
  return { text: out.join("") + decoder.decode(), result: meter.end(true) };
}

const OPENAI = readFileSync(`${FIXTURES_DIR}/openai-chat/openai-text.sse`, "utf8");
const usageEvent = /data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n/.exec(OPENAI)![0];

test("the usage-only chunk is cut out whole, and the meter still read it", () => {
  const input = encoder.encode(OPENAI);
  const expected = OPENAI.replace(usageEvent, "").replaceAll(',"usage":null', "");
  assert.doesNotMatch(expected, /usage/);
  assert.notEqual(expected, OPENAI);
  const chunkings = [[input], byteAtATime(input), ...seededSplits(input, 3, 5)];
  for (const chunks of chunkings) {
    const { text, result } = run(chunks);
    assert.equal(text, expected);
    assert.equal(result.usage?.total_tokens, 316);
  }
});

test("every two-way split of a small injected stream gives the same client bytes", () => {
  const stream = ": keep-alive\n\n" +
    'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}\r\n\r\n' +
    'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\r\n\r\n' +
    'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\r\n\r\n' +
    "data: [DONE]\r\n\r\n";
  const expected = stream.replace(/data: \{"choices":\[\],"usage"[^\r]*\r\n\r\n/, "").replaceAll(',"usage":null', "");
  for (const chunks of everySplit(encoder.encode(stream))) {
    const { text, result } = run(chunks);
    assert.equal(text, expected);
    assert.equal(result.usage?.input_tokens, 3);
  }
});

test("usage on a content chunk (DeepSeek's finish chunk) is cut out, the chunk stays", () => {
  const stream = 'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"usage":null}\n\n' +
    'data: {"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":13,"completion_tokens":4,"total_tokens":17,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":13}}\n\n' +
    "data: [DONE]\n\n";
  const expected = stream.replace(/,"usage":\{[^}]*\}/, "").replaceAll(',"usage":null', "");
  for (const chunks of [[encoder.encode(stream)], byteAtATime(encoder.encode(stream))]) {
    const { text, result } = run(chunks, "deepseek");
    assert.equal(text, expected);
    assert.equal(result.usage?.total_tokens, 17);
  }
});

test("bytes of finished events and comments are released at once; only an unfinished event is held", () => {
  const strip = createUsageStrip();
  const acc = accumulatorFor(facts("openai", "/v1/chat/completions"));
  const meter = createMeter("sse", acc, { onEvent: strip.onEvent });
  const first = encoder.encode(': OPENROUTER PROCESSING\n\ndata: {"choices":[{"delta":{"content":"a"}}],"usage":null}\n\ndata: {"cho');
  meter.push(first);
  const released = decoder.decode(strip.chunk(first, meter.settled()));
  assert.equal(released, ': OPENROUTER PROCESSING\n\ndata: {"choices":[{"delta":{"content":"a"}}]}\n\n');
  const second = encoder.encode('ices":[{"delta":{"content":"b"}}],"usage":null}\n\n');
  meter.push(second);
  assert.equal(decoder.decode(strip.chunk(second, meter.settled())), 'data: {"choices":[{"delta":{"content":"b"}}]}\n\n');
});

test("the usage member goes with the right comma wherever it sits, under every split", () => {
  const cases: [string, string][] = [
    ['{"id":"a","usage":null,"obfuscation":"x"}', '{"id":"a","obfuscation":"x"}'],
    ['{"usage":null,"id":"a"}', '{"id":"a"}'],
    ['{ "usage" : null , "id":"a"}', '{ "id":"a"}'],
    ['{"id":"a" ,  "usage": null}', '{"id":"a" }'],
    ['{"usage":null}', '{}'],
  ];
  for (const [event, expected] of cases) {
    const stream = `data: ${event}\n\ndata: [DONE]\n\n`;
    for (const chunks of everySplit(encoder.encode(stream))) {
      assert.equal(run(chunks).text, `data: ${expected}\n\ndata: [DONE]\n\n`, event);
    }
  }
});

test("Azure's first chunk (choices:[] with filter results, usage null) stays, without the usage member", () => {
  const stream = 'data: {"choices":[],"prompt_filter_results":[{"prompt_index":0}],"usage":null}\n\n' +
    'data: {"choices":[{"index":0,"delta":{"content":"x"}}],"usage":null}\n\n' +
    'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n' +
    "data: [DONE]\n\n";
  const expected = 'data: {"choices":[],"prompt_filter_results":[{"prompt_index":0}]}\n\n' +
    'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n' +
    "data: [DONE]\n\n";
  for (const chunks of everySplit(encoder.encode(stream))) {
    const { text, result } = run(chunks, "azure-openai");
    assert.equal(text, expected);
    assert.equal(result.usage?.total_tokens, 4);
  }
});

test("an event whose usage member spans data lines is left as it is", () => {
  const stream = 'data: {"id":"a",\ndata: "usage":null}\n\ndata: [DONE]\n\n';
  assert.equal(run([encoder.encode(stream)]).text, stream);
});
