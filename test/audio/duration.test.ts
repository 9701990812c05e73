// The container duration readers (src/audio/, docs/architecture.md §21) over the generated fixtures in
// test/fixtures/audio/ (README.md there): the exact milliseconds, the same however the bytes are chunked, and null
// when the file is cut short or is not audio.
import assert from "node:assert/strict";
import { test } from "node:test";
import { audioDuration } from "../../src/audio/duration.ts";
import { byteAtATime, seededSplits } from "../_chunking.ts";
import { EXPECTED, read } from "./_fixtures.ts";



function measure(chunks: Uint8Array[]): number | null {
  const tap = audioDuration();
  for (const c of chunks) tap.push(c);
  return tap.end();
}

for (const [name, ms] of Object.entries(EXPECTED)) {
  test(`audio duration: ${name} is ${ms} ms, whole, one byte at a time and in random chunks`, () => {
    const bytes = read(name);
    assert.ok(bytes.length < 20_000, `${name} stays a tiny fixture`);
    assert.equal(measure([bytes]), ms);
    assert.equal(measure(byteAtATime(bytes)), ms);
    for (const chunks of seededSplits(bytes, 23, 10)) assert.equal(measure(chunks), ms);
  });
}

test("audio duration: a file cut short answers null, wherever it is cut (FLAC: only inside its header)", () => {
  for (const name of Object.keys(EXPECTED)) {
    const bytes = read(name);
    // FLAC states its total samples up front and is not walked: a cut after STREAMINFO is not seen.
    const cuts = name.endsWith(".flac") ? [0, 4, 20, 41] : [1, 11, 40, Math.floor(bytes.length / 2), bytes.length - 1];
    for (const cut of cuts) assert.equal(measure([bytes.subarray(0, cut)]), null, `${name} cut at ${cut}`);
  }
});

test("audio duration: garbage, another format, or garbage after a valid start answers null", () => {
  const noise = Uint8Array.from({ length: 5000 }, (_, i) => (i * 131 + 17) & 0xff);
  assert.equal(measure([noise]), null);
  assert.equal(measure([new TextEncoder().encode("%PDF-1.7 not audio at all")]), null);
  assert.equal(measure([]), null);
  for (const name of ["tone-cbr.mp3", "tone-vorbis.ogg", "tone.m4a", "tone.webm"]) {
    const bytes = read(name).slice();
    bytes.set(noise.subarray(0, 64), Math.floor(bytes.length / 2)); // a broken frame, page, box or element
    const half = Math.floor(bytes.length / 2);
    assert.equal(measure([bytes.subarray(0, half), noise, bytes.subarray(half)]), null, `${name} with noise inside`);
  }
});

test("audio duration: a streamed WAV (data size unknown) and an MP3 whose Xing count disagrees answer null", () => {
  const wav = read("tone.wav").slice();
  new DataView(wav.buffer).setUint32(40, 0xffffffff, true);
  assert.equal(measure([wav]), null);
  const mp3 = read("tone-vbr.mp3").slice();
  // ID3v2 (10-byte header, 10 bytes of tag), then the Xing frame: 4-byte header, 9 bytes of MPEG-2 mono side
  // info, "Xing", flags, then the frame count.
  const frames = 20 + 4 + 9 + 8;
  assert.equal(new DataView(mp3.buffer).getUint32(frames), 44);
  new DataView(mp3.buffer).setUint32(frames, 45);
  assert.equal(measure([mp3]), null);
});
