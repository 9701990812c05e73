// Over real sockets: a token-priced voice (`gpt-4o-mini-tts`) answering binary audio reports no usage; its tokens are
// estimated from the text and the audio's length, read from the answer as it streams to the client, bytes unchanged
// (docs/architecture.md §21, src/providers/speech-length.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { postTagged, recordTagged } from "../_helpers/records.ts";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/audio/${name}`, import.meta.url)));
/** What OpenAI answers per `response_format` (default mp3): the fixtures' lengths are in test/fixtures/audio/README.md. */
const ANSWERS: Record<string, { type: string; bytes: Uint8Array }> = {
  mp3: { type: "audio/mpeg", bytes: fixture("tone-cbr.mp3") }, // 1584 ms
  wav: { type: "audio/wav", bytes: fixture("tone.wav") }, // 1500 ms
  opus: { type: "audio/ogg", bytes: fixture("tone-opus.ogg") }, // 1500 ms
  flac: { type: "audio/flac", bytes: fixture("tone.flac") }, // 1500 ms
  pcm: { type: "audio/pcm", bytes: new Uint8Array(48_000) }, // 24 kHz 16-bit mono: 1000 ms
  aac: { type: "audio/aac", bytes: Uint8Array.from({ length: 2048 }, (_, i) => (i * 31 + 7) & 0xff) },
};

let mock: Mock;
let kestrel: Kestrel;

before(async () => {
  mock = await startMock((_req, res, raw) => {
    const body = JSON.parse(raw.toString("utf8")) as { response_format?: string };
    const { type, bytes } = ANSWERS[body.response_format ?? "mp3"]!;
    res.writeHead(200, { "content-type": type });
    // In pieces of 700 bytes: the length is read across chunk boundaries.
    for (let at = 0; at < bytes.length; at += 700) res.write(bytes.subarray(at, at + 700));
    res.end();
  });
  kestrel = await startKestrel(["--upstream", `openai=${mock.url}`]);
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

async function speak(tag: string, extra: Record<string, unknown>): Promise<UsageRecord> {
  const body = { model: "gpt-4o-mini-tts", voice: "coral", input: "Hello there", instructions: "Speak calmly.", ...extra };
  const got = await postTagged(kestrel.url, "/openai/v1/audio/speech", tag, body);
  const format = typeof extra.response_format === "string" ? extra.response_format : "mp3";
  assert.deepEqual(got, ANSWERS[format]!.bytes, `${tag}: the client gets the upstream's bytes`);
  return await recordTagged(kestrel.url, tag);
}

/** "Hello there" + "Speak calmly.": 24 UTF-8 bytes → 6 text tokens; audio at 1,250 tokens a minute, rounded up. */
const TEXT_TOKENS = 6;
const picoOf = (audio: number) => TEXT_TOKENS * 600_000 + audio * 12_000_000; // $0.60 / $12 per 1M

for (const [format, ms, audio] of [["mp3", 1584, 33], ["wav", 1500, 32], ["opus", 1500, 32], ["flac", 1500, 32], ["pcm", 1000, 21]] as const) {
  test(`gpt-4o-mini-tts, binary ${format} of ${ms} ms: ${TEXT_TOKENS} text tokens in, ${audio} audio tokens out, estimated`, async () => {
    const r = await speak(`tts-${format}`, format === "mp3" ? {} : { response_format: format });
    assert.deepEqual(
      [r.input_tokens, r.output_tokens, r.audio_output_tokens, r.characters, r.usage_source],
      [TEXT_TOKENS, audio, audio, 0, "estimated"],
    );
    assert.equal(r.cost_pico, picoOf(audio));
  });
}

test("gpt-4o-mini-tts, binary aac (no reader): its characters, unpriced with the reason, never $0", async () => {
  const r = await speak("tts-aac", { response_format: "aac" });
  assert.deepEqual([r.characters, r.input_tokens, r.usage_source, r.cost_pico], [11, 0, "request", null]);
  assert.match(r.usage_error ?? "", /per-character/);
});
