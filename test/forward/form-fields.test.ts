// The multipart tap (src/forward/form-fields.ts): text fields, nothing read from a part that does not end inside the
// head, and the first file's length from its container however the upload is chunked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { boundaryOf, parseFormHead, partContent, tapFormFields } from "../../src/forward/form-fields.ts";
import { concatBytes } from "../../src/sse/bytes.ts";
import { byteAtATime, seededSplits } from "../_chunking.ts";
import { EXPECTED, read } from "../audio/_fixtures.ts";

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
  assert.deepEqual(parseFormHead(enc.encode(text), "b"), { fields: { model: "whisper-1" }, fileAt: 134 });
});

test("form head: where the first file's content starts", () => {
  const head = `--b\r\nContent-Disposition: form-data; name="file"; filename="a.ogg"\r\n\r\n`;
  assert.deepEqual(parseFormHead(enc.encode(`${head}OggS`), "b"), { fields: {}, fileAt: head.length });
});

/** A multipart upload: `model`, then `file`, then `response_format` after it. */
function upload(file: Uint8Array, boundary = "----kestrel-test"): Uint8Array {
  const before = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\nContent-Type: audio/x\r\n\r\n`;
  const after = `\r\n--${boundary}\r\nContent-Disposition: form-data; name="response_format"\r\n\r\njson\r\n--${boundary}--\r\n`;
  return concatBytes([enc.encode(before), file], before.length + file.length + after.length, enc.encode(after));
}

/** Streams `chunks` through the tap; the bytes that came out, the fields and the length it read. */
async function tapped(chunks: Uint8Array[], boundary = "----kestrel-test") {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({ pull: (c) => void (i < chunks.length ? c.enqueue(chunks[i++]!) : c.close()) });
  const fields: Record<string, string> = {};
  const audio = { ms: null as number | null };
  const out = new Uint8Array(await new Response(tapFormFields(body, boundary, fields, audio)).arrayBuffer());
  return { out, fields, ms: audio.ms };
}

test("form tap: each container's length, the upload split anywhere, its bytes passed on unchanged", async () => {
  for (const [name, ms] of Object.entries(EXPECTED)) {
    const body = upload(read(name));
    for (const chunks of [[body], byteAtATime(body), ...seededSplits(body, 7, 5)]) {
      const got = await tapped(chunks);
      assert.deepEqual([got.ms, got.fields.model], [ms, "whisper-1"], name);
      assert.deepEqual(got.out, body);
    }
  }
});

test("form tap: a file running past the 64 KB head is still read to its end", async () => {
  const rate = 8000; // 8 kHz mono 8-bit: 8,000 bytes a second
  const wav = new Uint8Array(44 + rate * 10);
  const v = new DataView(wav.buffer);
  enc.encodeInto("RIFFxxxxWAVEfmt ", wav);
  v.setUint32(16, 16, true);
  v.setUint32(28, rate, true);
  enc.encodeInto("data", wav.subarray(36));
  v.setUint32(40, rate * 10, true);
  wav.fill(0x80, 44);
  const body = upload(wav);
  for (const chunks of seededSplits(body, 9, 5)) assert.equal((await tapped(chunks)).ms, 10_000);
  // The same file cut short of its declared data, or a body that ends before the part does: not known.
  assert.equal((await tapped([upload(wav.subarray(0, 70_000))])).ms, null);
  assert.equal((await tapped([body.subarray(0, 50_000)])).ms, null);
});

test("form tap: the part's end found with the delimiter split at every byte", async () => {
  const body = upload(read("tone-vorbis.ogg"));
  const end = body.length - 80; // inside or near the closing delimiter of the file part
  for (let cut = end - 20; cut < body.length; cut++) {
    assert.equal((await tapped([body.subarray(0, cut), body.subarray(cut)])).ms, 1500, `split at ${cut}`);
  }
});

test("form tap: once the reader has answered (not audio), the rest of the part is not scanned", () => {
  let pushed = 0;
  const part = partContent("b", { push: (bytes) => (pushed += bytes.length) >= 100, end: () => null });
  const noise = new Uint8Array(1000).fill(0x41);
  assert.equal(part.push(noise), true);
  const seen = pushed;
  assert.equal(part.push(noise), true);
  assert.equal(pushed, seen);
});
