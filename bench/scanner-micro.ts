/**
 * @module SSE scanner micro-benchmark: MB/s of the byte scanner alone, with a `"usage"` probe per event, and of
 * the baseline (eventsource-parser 4.1.3 behind a streaming TextDecoder, JSON.parse of every event), plus ratios,
 * all in the same run. Run: `node_modules/.bin/bun bench/scanner-micro.ts` (or `deno run -A`).
 * The stream is a recorded OpenAI chat stream (~330-byte events) repeated to ~64 MB, cut into seeded chunks of
 * 16–64 KiB, the sizes fetch bodies arrive in. Also: the scanner on other stream shapes, the `"usage"` probe's
 * search strategies, and the AWS event-stream decoder on a Bedrock ConverseStream rebuilt as frames.
 */
import { readFileSync } from "node:fs";
import { createParser } from "eventsource-parser";
import { createSseScanner } from "../src/sse/scanner.ts";
import { findKey, indexOfBytes, isNull, keyPattern } from "../src/json/probe.ts";
import { createEventStreamDecoder } from "../src/eventstream/decoder.ts";
import { encodeEventStreamMessage } from "../src/eventstream/encoder.ts";
import { createRng as rng } from "../test/_chunking.ts";

const FIXTURES = new URL("../test/fixtures", import.meta.url).pathname;
const FIXTURE = `${FIXTURES}/openai-chat/openai-text.sse`;
/** Other shapes, scanner and baseline only: named events (generic path) and CRLF framing. */
const OTHER_FIXTURES = [
  `${FIXTURES}/anthropic-messages/anthropic-compaction.1.sse`,
  `${FIXTURES}/vertex-gemini/google-vertex-stream-tool-call-arguments-nested.1.sse`,
];
const TARGET_BYTES = 64 * 1024 * 1024;
const SEED = 0xc0ffee;
const ROUNDS = 7;


function buildStream(fixture: string): { bytes: Uint8Array; chunks: Uint8Array[] } {
  const file = readFileSync(fixture);
  const one = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const copies = Math.ceil(TARGET_BYTES / one.length);
  const bytes = new Uint8Array(copies * one.length);
  for (let i = 0; i < copies; i++) bytes.set(one, i * one.length);
  const next = rng(SEED);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 16384 + Math.floor(next() * (65536 - 16384 + 1));
    // Each chunk gets its own buffer, as a fetch body's chunks do.
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return { bytes, chunks };
}

/** Best and median MB/s over ROUNDS runs of `run` (after one warm-up run); `run` returns a checksum. */
function measure(label: string, total: number, run: () => number): number {
  const check = run();
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const c = run();
    const ms = performance.now() - t0;
    if (c !== check) throw new Error(`Cannot trust "${label}": checksum changed`);
    rates.push(total / 1e6 / (ms / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] as number;
  console.log(
    `${label.padEnd(46)} ${median.toFixed(0).padStart(6)} MB/s (best ${Math.max(...rates).toFixed(0)})  [${check}]`,
  );
  return median;
}

function scanAlone(chunks: Uint8Array[]): number {
  let n = 0;
  const s = createSseScanner({
    onEvent: (e) => {
      n += e.data.length;
    },
  });
  for (const c of chunks) s.push(c);
  s.end();
  return n;
}

/** What an accumulator does per OpenAI chunk: find `"usage"`, count whether it is null. */
function scanWithProbe(chunks: Uint8Array[]): number {
  let n = 0;
  const s = createSseScanner({
    onEvent: (e) => {
      const at = findKey(e.data, USAGE);
      if (at !== -1) n += isNull(e.data, at) ? 2 : 1;
    },
  });
  for (const c of chunks) s.push(c);
  s.end();
  return n;
}

/** The baseline: strings out of a streaming TextDecoder, eventsource-parser, JSON.parse of every event. */
function eventsourceParserBaseline(chunks: Uint8Array[]): number {
  let n = 0;
  const decoder = new TextDecoder();
  const p = createParser({
    onEvent: (e) => {
      if (e.data === "[DONE]") return;
      const v = JSON.parse(e.data) as { usage?: unknown };
      if (v.usage !== undefined) n += v.usage === null ? 2 : 1;
    },
  });
  for (const c of chunks) p.feed(decoder.decode(c, { stream: true }));
  p.feed(decoder.decode());
  return n;
}

const USAGE = keyPattern("usage");
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "other";
const { bytes, chunks } = buildStream(FIXTURE);
const total = bytes.length;
console.log(
  `${runtime}: openai-chat/openai-text.sse x${Math.round(total / 100411)}, ${
    (total / 1e6).toFixed(1)
  } MB in ${chunks.length} chunks`,
);
const scanOnly = measure("scanner alone", total, () => scanAlone(chunks));
const scanProbe = measure('scanner + findKey("usage") per event', total, () => scanWithProbe(chunks));
const baseline = measure(
  "eventsource-parser + TextDecoder + JSON.parse",
  total,
  () => eventsourceParserBaseline(chunks),
);
console.log(`ratio scanner alone / baseline:   ${(scanOnly / baseline).toFixed(1)}x`);
console.log(`ratio scanner + probe / baseline: ${(scanProbe / baseline).toFixed(1)}x`);

for (const fixture of OTHER_FIXTURES) {
  const other = buildStream(fixture);
  console.log(`${fixture.split("/").slice(-2).join("/")}: ${(other.bytes.length / 1e6).toFixed(1)} MB`);
  const ours = measure("  scanner alone", other.bytes.length, () => scanAlone(other.chunks));
  const theirs = measure(
    "  eventsource-parser + TextDecoder + JSON.parse",
    other.bytes.length,
    () => eventsourceParserBaseline(other.chunks),
  );
  console.log(`  ratio: ${(ours / theirs).toFixed(1)}x`);
}

// indexOfBytes: probe.ts anchors its native search on the needle's least common byte (`g` in `"usage"`);
// the alternatives anchor on the first byte (`"`, which stops at every key) or the second (`u`).
const events: Uint8Array[] = [];
{
  const s = createSseScanner({
    onEvent: (e) => {
      events.push(e.data.slice());
    },
  });
  s.push(bytes.subarray(0, 4 * 1024 * 1024));
  s.end();
}
const eventBytes = events.reduce((n, e) => n + e.length, 0);
function anchoredAt(a: number): (hay: Uint8Array, needle: Uint8Array) => number {
  return (hay, needle) => {
    const anchor = needle[a] as number;
    let i = hay.indexOf(anchor, a);
    while (i !== -1 && i <= hay.length - needle.length + a) {
      let k = 0;
      while (k < needle.length && hay[i - a + k] === needle[k]) k++;
      if (k === needle.length) return i - a;
      i = hay.indexOf(anchor, i + 1);
    }
    return -1;
  };
}
const probes: [string, (hay: Uint8Array, needle: Uint8Array) => number][] = [
  ["indexOfBytes (least common byte)", indexOfBytes],
  ["alternative: first-byte anchor", anchoredAt(0)],
  ["alternative: second-byte anchor", anchoredAt(1)],
];
for (const [label, find] of probes) {
  measure(label, eventBytes, () => {
    let n = 0;
    for (const e of events) n += find(e, USAGE);
    return n;
  });
}

// AWS event-stream decoder: the vercel/ai Bedrock ConverseStream recording framed as Bedrock frames it.
{
  const lines = readFileSync(`${FIXTURES}/bedrock-converse/amazon-bedrock-text.chunks.txt`, "utf8").split("\n");
  const frames = lines.filter((l) => l !== "").map((line) => {
    const [type, body] = Object.entries(JSON.parse(line) as Record<string, unknown>)[0] as [string, unknown];
    const headers = { ":event-type": type, ":content-type": "application/json", ":message-type": "event" };
    return encodeEventStreamMessage(headers, new TextEncoder().encode(JSON.stringify(body)));
  });
  const one = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (one.set(f, at), at + f.length), 0);
  const copies = Math.ceil(TARGET_BYTES / 4 / one.length);
  const stream = new Uint8Array(copies * one.length);
  for (let i = 0; i < copies; i++) stream.set(one, i * one.length);
  const next = rng(SEED);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < stream.length;) {
    const size = 16384 + Math.floor(next() * (65536 - 16384 + 1));
    parts.push(stream.slice(at, at + size));
    at += size;
  }
  console.log(
    `event-stream: ${(stream.length / 1e6).toFixed(1)} MB, ${(one.length / frames.length).toFixed(0)}-byte frames`,
  );
  measure("  decoder (CRCs, headers, payload views)", stream.length, () => {
    let n = 0;
    const d = createEventStreamDecoder({
      onMessage: (m) => {
        n += m.payload.length;
      },
    });
    for (const p of parts) d.push(p);
    d.end();
    return n;
  });
}
