import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "../../src/eventstream/crc32.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Bit-at-a-time reference CRC-32 (zlib), to check the sliced tables against. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test("crc32 matches known zlib values", () => {
  const cases: [string, number][] = [
    ["", 0], // empty input
    ["a", 0xe8b7be43], // one byte (tail loop only)
    ["123456789", 0xcbf43926], // the standard check value (one 8-byte step + tail)
    ["The quick brown fox jumps over the lazy dog", 0x414fa339], // several steps
  ];
  for (const [text, want] of cases) assert.equal(crc32(enc(text)), want, text);
});

test("crc32 agrees with the bitwise reference at every length and offset up to 40", () => {
  const bytes = new Uint8Array(64).map((_, i) => (i * 167 + 13) & 0xff);
  for (let start = 0; start < 8; start++) {
    for (let end = start; end <= start + 40; end++) {
      assert.equal(crc32(bytes, start, end), reference(bytes.subarray(start, end)), `${start}..${end}`);
    }
  }
});
