/**
 * @module Scanner section (one thread, run pinned by bench/run.ts): `bun bench/child/scanner.ts MB ROUNDS`.
 * MB/s over the same seeded bytes of (a) Kestrel's meter — SSE scanner + the real provider accumulator from the
 * registry via createMeter, (b) the scanner alone, (c) eventsource-parser 4.1.3 + streaming TextDecoder +
 * JSON.parse of every event (the baseline). Streams: one long OpenAI chat stream, one long Anthropic stream,
 * built from the recorded fixtures with usage at the end, cut into 16–64 KiB chunks. Prints one JSON object.
 */
import { createParser } from "eventsource-parser";
import { createMeter } from "../../src/meter/meter.ts";
import { getProvider } from "../../src/providers/registry.ts";
import type { RequestFacts } from "../../src/providers/types.ts";
import { createSseScanner } from "../../src/sse/scanner.ts";
import { useByteSearch } from "../../src/json/probe.ts";
import { bufferSearch } from "../../src/entry/byte-search.ts";
import { anthropicShape, buildStream, chatShape, chunk, type StreamShape } from "../lib/bodies.ts";

// As src/entry/bun.ts does for the server (Traits.byteSearch); ANCHORED=1 measures the meter's own search instead.
if ("Bun" in globalThis && process.env.ANCHORED !== "1") useByteSearch(bufferSearch);

const MB = Number(process.argv[2] ?? 32);
const ROUNDS = Number(process.argv[3] ?? 7);

interface Case {
  key: "chat" | "anthropic";
  provider: string;
  path: string;
  shape: StreamShape;
}

const CASES: Case[] = [
  { key: "chat", provider: "openai", path: "/v1/chat/completions", shape: chatShape() },
  { key: "anthropic", provider: "anthropic", path: "/v1/messages", shape: anthropicShape() },
];

function facts(c: Case): RequestFacts {
  return {
    provider: c.provider,
    method: "POST",
    path: c.path,
    query: "",
    body: { model: "bench", stream: true },
    headers: new Headers({ "content-type": "application/json" }),
  };
}

/** Kestrel's path: scanner + provider accumulator through the meter. Returns output tokens (a checksum). */
function meter(c: Case, chunks: Uint8Array[]): number {
  const acc = getProvider(c.provider)!.createAccumulator(facts(c))!;
  acc.onResponse?.(200, new Headers({ "content-type": "text/event-stream" }));
  const m = createMeter("sse", acc);
  for (const part of chunks) m.push(part);
  const r = m.end(true);
  if (r.usageError) throw new Error(`${c.key}: ${r.usageError}`);
  return r.usage?.output_tokens ?? -1;
}

function scannerAlone(chunks: Uint8Array[]): number {
  let n = 0;
  // The data's length from its offsets: reading `data` would make the view the meter no longer makes.
  const s = createSseScanner({ onEvent: (e) => void (n += e.dataEnd - e.dataStart) });
  for (const part of chunks) s.push(part);
  s.end();
  return n;
}

/** The baseline a typical gateway runs: strings, eventsource-parser, JSON.parse of every event, usage read. */
function baseline(chunks: Uint8Array[]): number {
  let output = -1;
  const decoder = new TextDecoder();
  const p = createParser({
    onEvent: (e) => {
      if (e.data === "[DONE]") return;
      const v = JSON.parse(e.data) as { usage?: { completion_tokens?: number; output_tokens?: number } | null };
      const u = v.usage ?? (v as { message?: { usage?: { output_tokens?: number } } }).message?.usage;
      if (u) output = (u as { completion_tokens?: number }).completion_tokens ?? u.output_tokens ?? output;
    },
  });
  for (const part of chunks) p.feed(decoder.decode(part, { stream: true }));
  p.feed(decoder.decode());
  return output;
}

const result: Record<string, unknown> = { mb: MB, rounds: ROUNDS };
for (const c of CASES) {
  const bytes = buildStream(c.shape, MB * 1e6);
  const chunks = chunk(bytes);
  const runs: Record<string, () => number> = {
    meter: () => meter(c, chunks),
    scanner: () => scannerAlone(chunks),
    baseline: () => baseline(chunks),
  };
  const checks: Record<string, number> = {};
  for (const [name, fn] of Object.entries(runs)) checks[name] = (fn(), fn());
  if (checks.meter !== c.shape.usage.output || checks.baseline !== c.shape.usage.output) {
    throw new Error(`${c.key}: usage mismatch meter=${checks.meter} baseline=${checks.baseline}`);
  }
  const rates: Record<string, number[]> = { meter: [], scanner: [], baseline: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(runs)) {
      const t0 = performance.now();
      if (fn() !== checks[name]) throw new Error(`${c.key}/${name}: result changed between rounds`);
      rates[name]!.push(bytes.length / 1e6 / ((performance.now() - t0) / 1000));
    }
  }
  result[c.key] = { bytes: bytes.length, chunks: chunks.length, events: countEvents(bytes), rates };
}
console.log(JSON.stringify(result));

function countEvents(bytes: Uint8Array): number {
  let n = 0;
  const s = createSseScanner({ onEvent: () => void n++ });
  s.push(bytes);
  s.end();
  return n;
}
