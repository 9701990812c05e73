/**
 * @module Usage-strip micro-benchmark: MB/s of the meter (scanner + OpenAI accumulator) alone and with the
 * usage strip that edits an injected stream for the client, on a recorded OpenAI chat stream (every event
 * carries `"usage":null`) repeated to ~64 MB in seeded 16–64 KiB chunks, as scanner-micro.ts does.
 * Run: `node_modules/.bin/bun bench/strip-micro.ts` (or `deno run -A`).
 */
import { readFileSync } from "node:fs";
import { createMeter } from "../src/meter/meter.ts";
import { createUsageStrip } from "../src/meter/usage-strip.ts";
import { getProvider } from "../src/providers/registry.ts";
import type { RequestFacts } from "../src/providers/types.ts";
import { createRng } from "../test/_chunking.ts";

const FIXTURE = new URL("../test/fixtures/openai-chat/openai-text.sse", import.meta.url).pathname;
const TARGET_BYTES = 64 * 1024 * 1024;
const ROUNDS = 7;

const one = new Uint8Array(readFileSync(FIXTURE));
const copies = Math.ceil(TARGET_BYTES / one.length);
const all = new Uint8Array(copies * one.length);
for (let i = 0; i < copies; i++) all.set(one, i * one.length);
const next = createRng(0xc0ffee);
const chunks: Uint8Array[] = [];
for (let at = 0; at < all.length;) {
  const size = 16384 + Math.floor(next() * (65536 - 16384 + 1));
  chunks.push(all.slice(at, at + size));
  at += size;
}

const facts: RequestFacts = {
  provider: "openai",
  method: "POST",
  path: "/v1/chat/completions",
  query: "",
  body: { stream: true },
  headers: new Headers(),
};

/** Runs every chunk through the meter (and the strip); returns the client byte count as a checksum. */
function run(withStrip: boolean): number {
  const acc = getProvider("openai")!.createAccumulator(facts)!;
  const strip = withStrip ? createUsageStrip() : null;
  const meter = createMeter("sse", acc, strip ? { onEvent: strip.onEvent } : {});
  let out = 0;
  for (const chunk of chunks) {
    meter.push(chunk);
    out += strip ? strip.chunk(chunk, meter.settled()).byteLength : chunk.byteLength;
  }
  out += strip?.flush()?.byteLength ?? 0;
  meter.end(true);
  return out;
}

function measure(label: string, withStrip: boolean): number {
  const check = run(withStrip);
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    if (run(withStrip) !== check) throw new Error("checksum changed");
    rates.push(all.length / 1e6 / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[ROUNDS >> 1]!;
  console.log(`${label.padEnd(28)} ${median.toFixed(0).padStart(6)} MB/s (best ${Math.max(...rates).toFixed(0)})  [client bytes ${check}]`);
  return median;
}

const bare = measure("meter alone", false);
const stripped = measure("meter + usage strip", true);
console.log(`strip costs ${(100 * (1 - stripped / bare)).toFixed(1)}% of meter throughput`);
