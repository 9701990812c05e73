// Property: when Kestrel asked a stream for usage, the client gets exactly the stream it would have got without
// Kestrel (no usage member on any chunk, no usage-only chunk), for random OpenAI-style streams — content that
// itself says "usage", keep-alive comments, spacing, every line-end style — at random chunkings; and the meter
// still reads the usage.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createMeter } from "../../src/meter/meter.ts";
import { createUsageStrip } from "../../src/meter/usage-strip.ts";
import { accumulatorFor, facts } from "../providers/_feed.ts";
import { runs } from "./_runs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function run(chunks: Uint8Array[]) {
  const acc = accumulatorFor(facts("openai", "/v1/chat/completions", { body: { stream: true } }));
  const strip = createUsageStrip();
  const meter = createMeter("sse", acc, { onEvent: strip.onEvent });
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) {
    meter.push(chunk);
    parts.push(strip.chunk(chunk, meter.settled()).slice());
  }
  const rest = strip.flush();
  if (rest) parts.push(rest);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { text: decoder.decode(out), result: meter.end(true) };
}

const content = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('"usage":null', "usage", '{"usage":{}}', "é😀", "\\", '"choices":[]'));
/** One content chunk as sent with usage requested, and as it would have been without. */
const chunkEvent = fc.tuple(content, fc.constantFrom(',"usage":null', ', "usage": null', ',"usage" :null')).map(([c, usage]) => {
  const bare = `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${JSON.stringify(c)}},"finish_reason":null}]`;
  return { withUsage: `${bare}${usage}}`, without: `${bare}}` };
});
const eol = fc.constantFrom("\n", "\r\n", "\r");

const stream = fc.tuple(
  fc.array(fc.oneof(chunkEvent, fc.constant(null)), { maxLength: 8 }),
  eol,
  fc.nat({ max: 100_000 }),
  fc.nat({ max: 100_000 }),
).map(([events, e, input, output]) => {
  let sent = "";
  let want = "";
  for (const ev of events) {
    const line = ev === null ? `: keep-alive${e}${e}` : null;
    sent += line ?? `data: ${ev!.withUsage}${e}${e}`;
    want += line ?? `data: ${ev!.without}${e}${e}`;
  }
  const usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
  sent += `data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":${JSON.stringify(usage)}}${e}${e}`;
  sent += `data: [DONE]${e}${e}`;
  want += `data: [DONE]${e}${e}`;
  return { sent: encoder.encode(sent), want, total: input + output };
});

function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

test("usage strip: the client gets the stream as it would have been without the injected usage, at any chunking", () => {
  fc.assert(
    fc.property(stream, fc.array(fc.nat(), { maxLength: 16 }), ({ sent, want, total }, cuts) => {
      const { text, result } = run(chunked(sent, cuts));
      assert.equal(text, want);
      assert.equal(result.usage?.total_tokens, total);
    }),
    runs(300),
  );
});
