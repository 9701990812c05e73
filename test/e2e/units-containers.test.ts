// Transcription priced from the uploaded file's container (docs/architecture.md §21), end to end over sockets: a
// real Kestrel in front of a loopback mock that answers `response_format: "json"` (`{"text": …}`, no duration), so
// the seconds come from the request: each generated fixture (test/fixtures/audio/README.md) in a multipart upload,
// sent in small chunks. The record's audio_ms and cost are exact (whisper-1 at $0.006 a minute = 100,000 pico-USD
// a millisecond), and the upstream receives the client's bytes unchanged.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { EXPECTED, read } from "../audio/_fixtures.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, sleep, startMock } from "../_helpers/mock-upstream.ts";

const PICO_PER_MS = 100_000;
let mock: Mock;
let kestrel: Kestrel;
/** What the mock received, by the upload's Content-Type (its boundary names the test; x-kestrel-* is not forwarded). */
const received = new Map<string, Buffer>();

before(async () => {
  mock = await startMock((req, res, raw) => {
    received.set(String(req.headers["content-type"]), raw);
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"text":"hi"}');
  });
  kestrel = await startKestrel(["--upstream", `openai=${mock.url}`]);
});

after(async () => {
  await kestrel?.stop();
  await mock?.close();
});

function upload(name: string, file: Uint8Array, boundary: string): Uint8Array {
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
    `Content-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}\r\nContent-Disposition: form-data; name="response_format"\r\n\r\njson\r\n--${boundary}--\r\n`;
  return new Uint8Array(Buffer.concat([Buffer.from(head), file, Buffer.from(tail)]));
}

/** The body as a stream of 997-byte chunks, so the container headers cross chunk boundaries on the socket. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + 997));
      at += 997;
    },
  });
}

async function recordTagged(tag: string): Promise<UsageRecord> {
  for (let i = 0; i < 400; i++) {
    const { requests } = await (await fetch(`${kestrel.url}/api/requests?limit=100`)).json() as { requests: UsageRecord[] };
    const found = requests.find((x) => x.tags.includes(tag));
    if (found) return found;
    await sleep(25);
  }
  throw new Error(`No record tagged ${tag}`);
}

async function send(path: string, tag: string, body: Uint8Array, boundary: string): Promise<UsageRecord> {
  const res = await fetch(`${kestrel.url}/openai/v1/audio/${path}`, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "x-kestrel-tags": tag, authorization: "Bearer sk-test" },
    body: chunked(body),
    duplex: "half",
  } as RequestInit);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '{"text":"hi"}');
  const r = await recordTagged(tag);
  assert.deepEqual(new Uint8Array(received.get(`multipart/form-data; boundary=${boundary}`) ?? []), body, `${tag}: the upstream got the client's bytes`);
  return r;
}

for (const [name, ms] of Object.entries(EXPECTED)) {
  test(`whisper-1 json answer, ${name} uploaded: ${ms} ms from its container, priced exactly; bytes unchanged`, async () => {
    const tag = `file-${name.replace(/\W/g, "-")}`;
    // Translations are metered like transcriptions; every other file goes there.
    const path = Object.keys(EXPECTED).indexOf(name) % 2 === 0 ? "transcriptions" : "translations";
    const r = await send(path, tag, upload(name, read(name), `----kestrel-${tag}`), `----kestrel-${tag}`);
    assert.deepEqual([r.model, r.audio_ms, r.usage_source, r.cost_pico], ["whisper-1", ms, "request", ms * PICO_PER_MS]);
  });
}

test("whisper-1 json answer, a cut-short M4A uploaded: no length, so unpriced as any answer without usage; bytes unchanged", async () => {
  const file = read("tone.m4a");
  const r = await send("transcriptions", "file-cut", upload("cut.m4a", file.subarray(0, file.length - 100), "----kestrel-cut"), "----kestrel-cut");
  // As for any answer without usage: no units, usage_source "none", unpriced (never $0, never a guessed length).
  assert.deepEqual([r.model, r.audio_ms, r.usage_source, r.priced, r.cost_pico], ["whisper-1", null, "none", false, null]);
});
