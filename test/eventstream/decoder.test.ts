import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "../../src/eventstream/crc32.ts";
import { createEventStreamDecoder } from "../../src/eventstream/decoder.ts";
import { encodeEventStreamFrame, encodeEventStreamMessage } from "../../src/eventstream/encoder.ts";
import type { HeaderValue } from "../../src/eventstream/types.ts";
import { byteAtATime, everySplit, FIXTURES_DIR, seededSplits } from "../_chunking.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hex(s: string): Uint8Array {
  return new Uint8Array(s.trim().split(/\s+/).map((h) => parseInt(h, 16)));
}

/**
 * A 203-byte ConverseStream `metadata` frame (the one event that carries usage), written out byte by byte with its
 * two CRCs: a test vector made independently of src/eventstream/encoder.ts.
 */
const VECTOR_PAYLOAD =
  '{"metrics":{"latencyMs":2040},"usage":{"inputTokens":22,"outputTokens":55,"totalTokens":77},"p":"abcdefghij"}';
const VECTOR = concat([
  hex("00 00 00 cb 00 00 00 4e 6a 83 6a 34"),
  hex("0b"), enc(":event-type"), hex("07 00 08"), enc("metadata"),
  hex("0d"), enc(":content-type"), hex("07 00 10"), enc("application/json"),
  hex("0d"), enc(":message-type"), hex("07 00 05"), enc("event"),
  enc(VECTOR_PAYLOAD),
  hex("35 77 d9 06"),
]);
const VECTOR_HEADERS = { ":event-type": "metadata", ":content-type": "application/json", ":message-type": "event" };

interface Seen {
  headers: Record<string, HeaderValue>;
  payload: string;
}

interface Run {
  messages: Seen[];
  errors: string[];
}

function decodeAll(chunks: Iterable<Uint8Array>, maxMessageBytes?: number): Run {
  const messages: Seen[] = [];
  const errors: string[] = [];
  const decoder = createEventStreamDecoder({
    onMessage: (m) => messages.push({ headers: m.headers, payload: dec(m.payload) }),
    onError: (e) => errors.push(e.code),
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
  });
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return { messages, errors };
}

/** Asserts `bytes` decode to `want` whole, at every split point, one byte at a time and in seeded splits. */
function assertEveryChunking(bytes: Uint8Array, want: Run, maxMessageBytes?: number): void {
  assert.deepEqual(decodeAll([bytes], maxMessageBytes), want, "whole");
  let i = 0;
  for (const chunks of everySplit(bytes)) assert.deepEqual(decodeAll(chunks, maxMessageBytes), want, `split ${i++}`);
  assert.deepEqual(decodeAll(byteAtATime(bytes), maxMessageBytes), want, "byte at a time");
  let k = 0;
  for (const chunks of seededSplits(bytes, 0xc0ffee, 20)) {
    assert.deepEqual(decodeAll(chunks, maxMessageBytes), want, `seeded ${k++}`);
  }
}

const bedrockHeaders = (type: string) => ({
  ":event-type": type,
  ":content-type": "application/json",
  ":message-type": "event",
});
const frame = (type: string, payload: string) => encodeEventStreamMessage(bedrockHeaders(type), enc(payload));
const seen = (type: string, payload: string): Seen => ({ headers: bedrockHeaders(type), payload });

test("the hand-written ConverseStream metadata frame decodes to its headers and payload", () => {
  assert.equal(VECTOR.length, 203);
  const want: Run = { messages: [{ headers: VECTOR_HEADERS, payload: VECTOR_PAYLOAD }], errors: [] };
  assert.deepEqual(decodeAll([VECTOR]), want);
});

test("the encoder reproduces the test vector byte for byte", () => {
  assert.deepEqual(encodeEventStreamMessage(VECTOR_HEADERS, enc(VECTOR_PAYLOAD)), VECTOR);
});

test("encoder round-trips headers and payloads, empty ones included", () => {
  const cases: [Record<string, string>, string][] = [
    [{ ":event-type": "chunk" }, '{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="}'], // invoke-with-response-stream shape
    [{}, ""], // no headers, no payload: the 16-byte minimum frame
    [{ ":message-type": "exception", ":exception-type": "throttlingException" }, '{"message":"Too many"}'], // exception
    [{ "x-ünï": "välue" }, "日本語"], // UTF-8 in header names, values and payload
  ];
  for (const [headers, payload] of cases) {
    const bytes = encodeEventStreamMessage(headers, enc(payload));
    assert.deepEqual(decodeAll([bytes]), { messages: [{ headers, payload }], errors: [] });
  }
});

test("every header value type decodes to its JS type", () => {
  const name = (s: string) => [s.length, ...enc(s)];
  const block = new Uint8Array([
    ...name("t"), 0, // bool true
    ...name("f"), 1, // bool false
    ...name("b"), 2, 0xff, // byte -1
    ...name("s"), 3, 0x80, 0x00, // short -32768
    ...name("i"), 4, 0x7f, 0xff, 0xff, 0xff, // int 2147483647
    ...name("l"), 5, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // long 2^53 + 1 (exact as bigint)
    ...name("y"), 6, 0x00, 0x03, 1, 2, 3, // bytes
    ...name("str"), 7, 0x00, 0x02, ...enc("ok"), // string
    ...name("ts"), 8, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // timestamp 1700000000000 ms
    ...name("u"), 9, ...hex("12 3e 45 67 e8 9b 12 d3 a4 56 42 66 14 17 40 00"), // uuid
  ]);
  const { messages, errors } = decodeAll([encodeEventStreamFrame(block, enc("p"))]);
  assert.deepEqual(errors, []);
  assert.deepEqual(messages[0]?.headers, {
    t: true,
    f: false,
    b: -1,
    s: -32768,
    i: 2147483647,
    l: 9007199254740993n,
    y: new Uint8Array([1, 2, 3]),
    str: "ok",
    ts: new Date(1700000000000),
    u: "123e4567-e89b-12d3-a456-426614174000",
  });
});

test("a header named __proto__ is an own property, not a prototype change", () => {
  const headers = { ["__proto__"]: "x", ":event-type": "a" };
  const m = decodeAll([encodeEventStreamMessage(headers, enc("{}"))]).messages[0];
  assert.equal(Object.getPrototypeOf(m?.headers), Object.prototype);
  assert.deepEqual(Object.entries(m?.headers ?? {}), [["__proto__", "x"], [":event-type", "a"]]);
});

test("malformed header blocks are reported as bad_frame and the next frame still decodes", () => {
  const cases: [string, number[]][] = [
    ["unknown type", [1, 0x61, 10]], // type 10 does not exist
    ["string runs past the block", [1, 0x61, 7, 0x00, 0x09, 0x62]], // declares 9 bytes, has 1
    ["empty name", [0, 0]], // names have at least one byte
    ["name runs past the block", [5, 0x61]], // declares 5 name bytes, has 1
    ["int cut short", [1, 0x61, 4, 0x00, 0x01]], // int needs 4 bytes
  ];
  for (const [label, block] of cases) {
    const bytes = concat([encodeEventStreamFrame(new Uint8Array(block), enc("x")), frame("next", "{}")]);
    assert.deepEqual(decodeAll([bytes]), { messages: [seen("next", "{}")], errors: ["bad_frame"] }, label);
  }
});

test("payload is a view into the chunk when the frame lies inside it", () => {
  const chunk = concat([frame("a", "{}"), frame("b", "[]")]);
  const buffers: boolean[] = [];
  const decoder = createEventStreamDecoder({ onMessage: (m) => buffers.push(m.payload.buffer === chunk.buffer) });
  decoder.push(chunk);
  decoder.end();
  assert.deepEqual(buffers, [true, true]);
});

/** A ConverseStream as Bedrock would send it, rebuilt from the vercel/ai recording (one frame per line). */
function bedrockStream(file: string): { bytes: Uint8Array; want: Seen[] } {
  const lines = readFileSync(join(FIXTURES_DIR, "bedrock-converse", file), "utf8").split("\n").filter((l) => l !== "");
  const frames: Uint8Array[] = [];
  const want: Seen[] = [];
  for (const line of lines) {
    const [type, body] = Object.entries(JSON.parse(line) as Record<string, unknown>)[0] as [string, unknown];
    const payload = JSON.stringify(body);
    frames.push(frame(type, payload));
    want.push(seen(type, payload));
  }
  return { bytes: concat(frames), want };
}

for (const file of ["amazon-bedrock-text.chunks.txt", "amazon-bedrock-reasoning.chunks.txt"]) {
  test(`chunking property: bedrock-converse/${file} as event-stream frames`, () => {
    const { bytes, want } = bedrockStream(file);
    const last = want[want.length - 1];
    assert.equal(last?.headers[":event-type"], "metadata"); // usage arrives in the last frame
    assertEveryChunking(bytes, { messages: want, errors: [] });
  });
}

test("chunking property: vector, empty and large frames", () => {
  const big = "x".repeat(5000);
  const bytes = concat([VECTOR, encodeEventStreamMessage({}, new Uint8Array(0)), frame("big", big), VECTOR]);
  const want: Run = {
    messages: [
      { headers: VECTOR_HEADERS, payload: VECTOR_PAYLOAD },
      { headers: {}, payload: "" },
      seen("big", big),
      { headers: VECTOR_HEADERS, payload: VECTOR_PAYLOAD },
    ],
    errors: [],
  };
  assertEveryChunking(bytes, want);
});

/** Flips one bit of a copy of `bytes` at `at`. */
function corrupt(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

const A = frame("a", '{"n":1}');
const B = frame("b", '{"n":2}');

const ERROR_ROWS: [string, Uint8Array, Run, number?][] = [
  // payload byte flipped: message CRC fails, the trusted length skips exactly that frame
  [
    "message crc",
    concat([corrupt(A, A.length - 6), B]),
    { messages: [seen("b", '{"n":2}')], errors: ["crc_mismatch"] },
  ],
  // length byte flipped: prelude CRC fails, one report, resynchronized at the next frame
  ["prelude crc", concat([corrupt(A, 3), B]), { messages: [seen("b", '{"n":2}')], errors: ["crc_mismatch"] }],
  // prelude CRC byte flipped
  ["prelude crc byte", concat([corrupt(A, 9), B]), { messages: [seen("b", '{"n":2}')], errors: ["crc_mismatch"] }],
  // garbage between frames: one report for the whole stretch
  [
    "garbage",
    concat([A, enc("garbage!garbage!"), B]),
    { messages: [seen("a", '{"n":1}'), seen("b", '{"n":2}')], errors: ["crc_mismatch"] },
  ],
  // a valid prelude CRC over impossible lengths (total 8 < 16)
  [
    "bad lengths",
    concat([encodeBadPrelude(8, 0), B]),
    { messages: [seen("b", '{"n":2}')], errors: ["bad_frame"] },
  ],
  // headers longer than the frame allows
  [
    "headers past frame",
    concat([encodeBadPrelude(20, 10), B]),
    { messages: [seen("b", '{"n":2}')], errors: ["bad_frame"] },
  ],
  // a frame over the cap is skipped unbuffered, the next one decodes
  [
    "too large",
    concat([frame("big", "x".repeat(200)), B]),
    { messages: [seen("b", '{"n":2}')], errors: ["message_too_large"] },
    150,
  ],
  // stream cut inside a frame
  ["cut in frame", concat([A, B.subarray(0, 20)]), { messages: [seen("a", '{"n":1}')], errors: ["truncated"] }],
  // stream cut inside the 4-byte length
  ["cut in length", concat([A, B.subarray(0, 2)]), { messages: [seen("a", '{"n":1}')], errors: ["truncated"] }],
  // stream cut inside an oversized frame being skipped
  [
    "cut in skipped frame",
    frame("big", "x".repeat(200)).subarray(0, 100),
    { messages: [], errors: ["message_too_large", "truncated"] },
    150,
  ],
];

/** A lone 12-byte prelude announcing the given lengths, with a correct prelude CRC. */
function encodeBadPrelude(total: number, headersLength: number): Uint8Array {
  const prelude = new Uint8Array(12);
  const view = new DataView(prelude.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(prelude, 0, 8));
  return prelude;
}

for (const [label, bytes, want, max] of ERROR_ROWS) {
  test(`errors are reported, never thrown, the same under every chunking: ${label}`, () => {
    assertEveryChunking(bytes, want, max);
  });
}

test("a throwing onMessage does not stop decoding; push after end is ignored", () => {
  const types: unknown[] = [];
  const decoder = createEventStreamDecoder({
    onMessage: (m) => {
      types.push(m.headers[":event-type"]);
      throw new Error("consumer bug");
    },
  });
  decoder.push(concat([A, B]));
  decoder.end();
  decoder.push(A);
  assert.deepEqual(types, ["a", "b"]);
});
