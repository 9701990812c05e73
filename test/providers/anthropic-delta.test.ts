// textDeltaBytes (src/providers/anthropic-delta.ts) answers only for the Messages API's exact delta shape, and
// then exactly what the generic key probe answers; anything off the shape is -1 (the probe decides).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { findKey, keyPattern, valueEnd } from "../../src/json/probe.ts";
import { textDeltaBytes } from "../../src/providers/anthropic-delta.ts";
import { runs } from "../properties/_runs.ts";

const enc = new TextEncoder();
const DELTA = keyPattern("delta");
const KEYS = [keyPattern("text"), keyPattern("partial_json"), keyPattern("thinking")];

/** The generic probe, as the accumulator runs it when the shape does not match. */
function probed(bytes: Uint8Array): number {
  const delta = findKey(bytes, DELTA);
  if (delta === -1) return 0;
  for (const key of KEYS) {
    const at = findKey(bytes, key, delta);
    if (at === -1 || bytes[at] !== 0x22) continue;
    const end = valueEnd(bytes, at);
    return end === -1 ? 0 : end - at - 2;
  }
  return 0;
}

const text = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.constantFrom("", '"', "\\", '\\"', '"}}', '","text":"x', "é😀€", "\n\t\u0000"),
);
const kind = fc.constantFrom(["text_delta", "text"], ["thinking_delta", "thinking"], [
  "input_json_delta",
  "partial_json",
]);

function exact(type: string, key: string, value: string, index: number): string {
  return `{"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${key}":${JSON.stringify(value)}}}`;
}

test("the exact shape is measured without probes, as the probe measures it", () => {
  fc.assert(
    fc.property(kind, text, fc.nat({ max: 1000 }), ([type, key], value, index) => {
      const bytes = enc.encode(exact(type, key, value, index));
      const got = textDeltaBytes(bytes, 0, bytes.length);
      assert.notEqual(got, -1);
      assert.equal(got, probed(bytes));
    }),
    runs(300),
  );
});

test("inside a larger buffer only [start, end) counts", () => {
  fc.assert(
    fc.property(kind, text, fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), ([type, key], value, a, b) => {
      const event = exact(type, key, value, 3);
      const before = enc.encode(a);
      const bytes = enc.encode(a + event + b);
      const end = before.length + enc.encode(event).length;
      assert.equal(textDeltaBytes(bytes, before.length, end), probed(enc.encode(event)));
    }),
    runs(200),
  );
});

test("anything off the shape is -1 or the probe's answer", () => {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom('"', "\\", " ", "}", "x", "1", ""));
  fc.assert(
    fc.property(kind, text, fc.array(edit, { maxLength: 3 }), ([type, key], value, edits) => {
      let s = exact(type, key, value, 0);
      for (const [at, drop, insert] of edits) {
        const i = at % (s.length + 1);
        s = s.slice(0, i) + insert + s.slice(i + drop);
      }
      const bytes = enc.encode(s);
      const got = textDeltaBytes(bytes, 0, bytes.length);
      if (got !== -1) assert.equal(got, probed(bytes), s);
    }),
    runs(500),
  );
});

test("shapes it leaves to the probe", () => {
  for (
    const s of [
      '{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}',
      '{"type": "content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}',
      '{"type":"content_block_delta","index":,"delta":{"type":"text_delta","text":"a"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"x":1}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","b":"c"}}',
    ]
  ) assert.equal(textDeltaBytes(enc.encode(s), 0, enc.encode(s).length), -1, s);
});
