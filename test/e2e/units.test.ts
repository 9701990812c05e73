// Units that are not tokens (issue 23, docs/architecture.md §21), end to end over sockets: a real Kestrel in front of
// a loopback mock answering as each provider documents, and the stored record's units and cost checked to the
// pico-dollar against the table's rates (tts-1 $15 / 1M characters, whisper-1 $0.006 / minute, dall-e-3 $0.04 per
// 1024x1024 standard image, Cohere rerank $2 / 1K searches, ElevenLabs eleven_multilingual_v2 $0.18 / 1K characters).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, sleep, startMock } from "../_helpers/mock-upstream.ts";

const enc = new TextEncoder();
let mock: Mock;
/** The last multipart upload the mock received, byte for byte. */
let uploaded: Buffer | null = null;
let kestrel: Kestrel;
/** Stand-in MP3 bytes: the client must get exactly these. */
const AUDIO = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31 + 7) & 0xff);

function answer(path: string, body: Record<string, unknown>): { type: string; bytes: Uint8Array; headers?: Record<string, string> } {
  const json = (o: unknown) => ({ type: "application/json", bytes: enc.encode(JSON.stringify(o)) });
  if (path === "/v1/audio/speech") {
    if (body.stream_format === "sse") {
      // OpenAI's documented speech stream: `speech.audio.delta` events, then `speech.audio.done` with usage.
      const events = [
        { type: "speech.audio.delta", audio: "AAAA" },
        { type: "speech.audio.done", usage: { input_tokens: 14, output_tokens: 101, total_tokens: 115 } },
      ];
      return { type: "text/event-stream", bytes: enc.encode(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")) };
    }
    return { type: "audio/mpeg", bytes: AUDIO };
  }
  if (path === "/v1/audio/transcriptions") {
    // verbose_json: the duration of the audio in seconds (OpenAI API reference, "The transcription object (Verbose JSON)").
    return json({ task: "transcribe", language: "english", duration: 8.470000267028809, text: "The beach was a popular spot." });
  }
  if (path === "/v1/images/generations") {
    if (body.model === "gpt-image-1") {
      return json({
        created: 1,
        data: [{ b64_json: "AA" }],
        usage: { total_tokens: 4210, input_tokens: 50, output_tokens: 4160, input_tokens_details: { text_tokens: 40, image_tokens: 10 } },
      });
    }
    return json({ created: 1, data: Array.from({ length: Number(body.n ?? 1) }, () => ({ url: "https://example.invalid/i.png" })) });
  }
  if (path === "/v1/rerank" || path === "/v2/rerank") {
    return json({ id: "r", results: [{ index: 0, relevance_score: 0.9 }], meta: { api_version: { version: "2" }, billed_units: { search_units: 1 } } });
  }
  if (path.startsWith("/v1/text-to-speech/")) {
    return { type: "audio/mpeg", bytes: AUDIO, headers: { "character-cost": "12" } };
  }
  if (path === "/tts/bytes") return { type: "audio/wav", bytes: AUDIO };
  return json({ error: `unexpected path ${path}` });
}

before(async () => {
  mock = await startMock((req, res, raw) => {
    let body: Record<string, unknown> = {};
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString("utf8")) as Record<string, unknown> : {};
    } catch {
      uploaded = raw; // multipart upload
    }
    let { type, bytes, headers } = answer(req.url!.split("?")[0]!, body);
    // A multipart transcription that did not ask for verbose_json gets the plain `json` answer: no duration.
    if (uploaded === raw && !raw.includes("verbose_json")) ({ type, bytes } = { type: "application/json", bytes: enc.encode('{"text":"hi"}') });
    res.writeHead(200, { "content-type": type, "content-length": String(bytes.length), ...headers });
    res.end(bytes);
  });
  const providers = ["openai", "cohere", "elevenlabs", "cartesia"];
  kestrel = await startKestrel(providers.flatMap((id) => ["--upstream", `${id}=${mock.url}`]));
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

async function recordOf(tag: string, path: string, body: Record<string, unknown>): Promise<{ r: UsageRecord; bytes: Uint8Array }> {
  const res = await fetch(`${kestrel.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-kestrel-tags": tag, authorization: "Bearer sk-test" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  for (let i = 0; i < 400; i++) {
    const r = await fetch(`${kestrel.url}/api/requests?limit=100`);
    const { requests } = await r.json() as { requests: UsageRecord[] };
    const found = requests.find((x) => x.tags.includes(tag));
    if (found) return { r: found, bytes };
    await sleep(25);
  }
  throw new Error(`No record tagged ${tag}`);
}

test("tts-1: characters of the input from the request, $15 per 1M characters; audio bytes untouched", async () => {
  const input = "Hello, wörld! 👋"; // 15 code points (the emoji is one character, two UTF-16 units)
  const { r, bytes } = await recordOf("tts1", "/openai/v1/audio/speech", { model: "tts-1", input, voice: "alloy" });
  assert.deepEqual(bytes, AUDIO);
  assert.deepEqual([r.characters, r.usage_source, r.input_tokens], [15, "request", 0]);
  assert.equal(r.cost_pico, 15 * 15_000_000); // 15 × $0.000015
  assert.deepEqual(r.cost_breakdown, { characters: "0.000225" });
});

test("gpt-4o-mini-tts with stream_format sse: the final event's usage, tokens in and audio tokens out", async () => {
  const { r } = await recordOf("minitts", "/openai/v1/audio/speech", { model: "gpt-4o-mini-tts", input: "Hi", voice: "alloy", stream_format: "sse" });
  assert.deepEqual([r.input_tokens, r.output_tokens, r.usage_source], [14, 101, "reported"]);
  // 14 × $0.60/M text in + 101 × $12/M: everything the voice outputs is audio (src/pricing/corrections.ts)
  assert.equal(r.cost_pico, 14 * 600_000 + 101 * 12_000_000);
});

test("dall-e-3, n=2 at 1024x1024 standard: 2 images at $0.04", async () => {
  const { r } = await recordOf("dalle", "/openai/v1/images/generations", { model: "dall-e-3", prompt: "a kestrel", n: 2 });
  assert.deepEqual([r.images, r.usage_source, r.model], [2, "reported", "dall-e-3"]);
  assert.equal(r.cost_pico, 80_000_000_000);
});

test("dall-e-3 hd 1024x1792: its own per-image price ($0.12), never the standard one", async () => {
  const { r } = await recordOf("dallehd", "/openai/v1/images/generations", { model: "dall-e-3", prompt: "x", quality: "hd", size: "1024x1792" });
  assert.deepEqual([r.images, r.model, r.priced, r.cost_pico], [1, "hd/1024-x-1792/dall-e-3", true, 120_000_000_000]);
});

test("dall-e-3 at a size OpenAI does not sell it: unpriced with the reason, not billed at the plain row", async () => {
  const { r } = await recordOf("dalle512", "/openai/v1/images/generations", { model: "dall-e-3", prompt: "x", size: "512x512" });
  assert.deepEqual([r.images, r.model, r.priced, r.cost_pico], [1, "standard/512-x-512/dall-e-3", false, null]);
});

test("gpt-image-1: text and image input tokens, image output tokens", async () => {
  const { r } = await recordOf("gptimage", "/openai/v1/images/generations", { model: "gpt-image-1", prompt: "x" });
  // 40 text × $5/M + 10 image × $10/M + 4160 image out × $40/M
  assert.equal(r.cost_pico, 40 * 5_000_000 + 10 * 10_000_000 + 4160 * 40_000_000);
  assert.equal(r.images, 1);
});

test("Cohere rerank: billed search units at $2 per 1,000", async () => {
  const { r } = await recordOf("rerank", "/cohere/v2/rerank", { model: "rerank-v3.5", query: "q", documents: ["a"] });
  assert.deepEqual([r.search_queries, r.usage_source], [1, "reported"]);
  assert.equal(r.cost_pico, 2_000_000_000);
});

test("ElevenLabs: the character-cost header, $0.18 per 1,000 characters; default model when the body names none", async () => {
  const { r, bytes } = await recordOf("eleven", "/elevenlabs/v1/text-to-speech/voice123", { text: "Hello there!" });
  assert.deepEqual(bytes, AUDIO);
  assert.deepEqual([r.model, r.characters, r.usage_source], ["eleven_multilingual_v2", 12, "reported"]);
  assert.equal(r.cost_pico, 12 * 180_000_000);
});

test("Cartesia: characters of the transcript from the request; no table price, so unpriced (never $0)", async () => {
  const { r } = await recordOf("cartesia", "/cartesia/tts/bytes", { model_id: "sonic-2", transcript: "Hi you", voice: { id: "v" } });
  assert.deepEqual([r.model, r.characters, r.usage_source, r.priced, r.cost_pico], ["sonic-2", 6, "request", false, null]);
});

test("whisper-1: the verbose_json duration, in milliseconds, at $0.0001 per second", async () => {
  const { r } = await recordOf("whisper", "/openai/v1/audio/transcriptions", { model: "whisper-1", response_format: "verbose_json" });
  assert.deepEqual([r.audio_ms, r.usage_source], [8470, "reported"]);
  assert.equal(r.cost_pico, 847_000_000); // 8470 ms × 100,000,000 pico/s ÷ 1000
});

test("whisper-1 multipart upload: model read from the form as it streams; bytes to the upstream identical", async () => {
  const boundary = "----kestrel-test-boundary";
  const wav = new Uint8Array(200_000).map((_, i) => (i * 13) & 0xff); // larger than the 64 KB the form tap copies
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="response_format"\r\n\r\nverbose_json\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), wav, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const res = await fetch(`${kestrel.url}/openai/v1/audio/transcriptions`, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "x-kestrel-tags": "multipart", authorization: "Bearer sk-test" },
    body,
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  assert.ok(uploaded !== null && Buffer.compare(uploaded, body) === 0, "upload reached the upstream unchanged");
  let r: UsageRecord | undefined;
  for (let i = 0; i < 400 && r === undefined; i++) {
    const { requests } = await (await fetch(`${kestrel.url}/api/requests?limit=100`)).json() as { requests: UsageRecord[] };
    r = requests.find((x) => x.tags.includes("multipart"));
    if (r === undefined) await sleep(25);
  }
  assert.deepEqual([r?.model, r?.audio_ms, r?.cost_pico], ["whisper-1", 8470, 847_000_000]);
});

test("/metrics: kestrel_units_total by provider, model and unit", async () => {
  await recordOf("metrics-tts", "/openai/v1/audio/speech", { model: "tts-1-hd", input: "abcd", voice: "alloy" });
  const text = await (await fetch(`${kestrel.url}/metrics`)).text();
  assert.match(text, /kestrel_units_total\{provider="openai",model="tts-1-hd",unit="characters"\} 4\b/);
});

test("/api/usage sums the units per group", async () => {
  await recordOf("usage-tts", "/openai/v1/audio/speech", { model: "tts-1-1106", input: "abcdefg", voice: "alloy" });
  const report = await (await fetch(`${kestrel.url}/api/usage?group_by=model&since=30d`)).json() as {
    groups: { key: string; characters: number; cost_usd: string }[];
  };
  const g = report.groups.find((x) => x.key === "tts-1-1106");
  assert.deepEqual([g?.characters, g?.cost_usd], [7, "0.000105"]);
});

/** A PCM WAV file (RIFF, `fmt ` 16 kHz mono 16-bit, `data`), as any encoder writes it (RIFF/WAVE spec). */
function wavFile(ms: number): Buffer {
  const rate = 16_000, bytesPerSample = 2;
  const data = rate * bytesPerSample * ms / 1000;
  const b = Buffer.alloc(44 + data);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + data, 4);
  b.write("WAVE", 8);
  b.write("fmt ", 12);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * bytesPerSample, 28); // byte rate
  b.writeUInt16LE(bytesPerSample, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36);
  b.writeUInt32LE(data, 40);
  return b;
}

test("whisper-1 with response_format json (no duration in the answer): the WAV header's length, from the request", async () => {
  const boundary = "----kestrel-wav";
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), wavFile(1500), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const res = await fetch(`${kestrel.url}/openai/v1/audio/transcriptions`, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "x-kestrel-tags": "wav", authorization: "Bearer sk-test" },
    body,
  });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '{"text":"hi"}');
  assert.ok(uploaded !== null && Buffer.compare(uploaded, body) === 0);
  let r: UsageRecord | undefined;
  for (let i = 0; i < 400 && r === undefined; i++) {
    const { requests } = await (await fetch(`${kestrel.url}/api/requests?limit=100`)).json() as { requests: UsageRecord[] };
    r = requests.find((x) => x.tags.includes("wav"));
    if (r === undefined) await sleep(25);
  }
  assert.deepEqual([r?.model, r?.audio_ms, r?.usage_source, r?.cost_pico], ["whisper-1", 1500, "request", 150_000_000]);
});
