// The multipart head reader (src/forward/form-fields.ts): text fields, the first file's WAV length, and nothing
// read from a part that does not end inside the head.
import assert from "node:assert/strict";
import { test } from "node:test";
import { boundaryOf, parseFormHead, wavDurationMs } from "../../src/forward/form-fields.ts";

const enc = new TextEncoder();

test("form head: boundary of multipart/form-data only", () => {
  assert.equal(boundaryOf("multipart/form-data; boundary=abc"), "abc");
  assert.equal(boundaryOf('multipart/form-data; boundary="a b"'), "a b");
  assert.equal(boundaryOf("application/json"), null);
  assert.equal(boundaryOf(null), null);
});

test("form head: text fields before the file; a field cut by the head's end is not read", () => {
  const text = `--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
    `--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp3"\r\n\r\nID3...\r\n` +
    `--b\r\nContent-Disposition: form-data; name="language"\r\n\r\nen`;
  assert.deepEqual(parseFormHead(enc.encode(text), "b"), { fields: { model: "whisper-1" }, audioMs: null });
});

test("form head: WAV length from RIFF fmt byte rate and data size; other bytes are not WAV", () => {
  const h = new Uint8Array(44);
  const v = new DataView(h.buffer);
  enc.encodeInto("RIFF", h);
  enc.encodeInto("WAVE", h.subarray(8));
  enc.encodeInto("fmt ", h.subarray(12));
  v.setUint32(16, 16, true);
  v.setUint32(28, 44_100 * 4, true); // 44.1 kHz stereo 16-bit
  enc.encodeInto("data", h.subarray(36));
  v.setUint32(40, 44_100 * 4 * 3, true); // 3 s
  assert.equal(wavDurationMs(h), 3000);
  v.setUint32(40, 0xffffffff, true); // streamed WAV: size unknown
  assert.equal(wavDurationMs(h), null);
  assert.equal(wavDurationMs(enc.encode("ID3\u0004 not a wav file")), null);
});
