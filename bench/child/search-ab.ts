/**
 * @module The meter with and without the runtime's native key search (Traits.byteSearch, src/json/probe.ts), in ONE
 * process: `bun bench/child/search-ab.ts [MB] [ROUNDS]`. Per round the meter runs anchored, native and the
 * eventsource-parser + JSON.parse baseline over the same chunks (order alternating), so load drift hits all three
 * alike; prints the median of per-round ratios to the baseline. Works under `deno run -A` too.
 */
import { createParser } from "eventsource-parser";
import { bufferSearch } from "../../src/entry/byte-search.ts";
import { useByteSearch } from "../../src/json/probe.ts";
import { createMeter } from "../../src/meter/meter.ts";
import { getProvider } from "../../src/providers/registry.ts";
import { anthropicShape, buildStream, chatShape, chunk } from "../lib/bodies.ts";

const MB = Number(process.argv[2] ?? 16);
const ROUNDS = Number(process.argv[3] ?? 11);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;

function meter(provider: string, path: string, chunks: Uint8Array[]): void {
  const facts = { provider, method: "POST", path, query: "", body: { model: "bench", stream: true }, headers: new Headers() };
  const acc = getProvider(provider)!.createAccumulator(facts)!;
  acc.onResponse?.(200, new Headers({ "content-type": "text/event-stream" }));
  const m = createMeter("sse", acc);
  for (const part of chunks) m.push(part);
  const r = m.end(true);
  if (r.usage === null || r.usageError) throw new Error(`${provider}: no usage (${r.usageError})`);
}

function baseline(chunks: Uint8Array[]): void {
  const decoder = new TextDecoder();
  const p = createParser({ onEvent: (e) => void (e.data !== "[DONE]" && JSON.parse(e.data)) });
  for (const part of chunks) p.feed(decoder.decode(part, { stream: true }));
}

const time = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

for (const [name, provider, path, shape] of [
  ["OpenAI chat", "openai", "/v1/chat/completions", chatShape()],
  ["Anthropic", "anthropic", "/v1/messages", anthropicShape()],
] as const) {
  const chunks = chunk(buildStream(shape, MB * 1e6));
  const ratios = { anchored: [] as number[], native: [] as number[] };
  for (let r = -1; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ["anchored", "native"] as const : ["native", "anchored"] as const;
    const ms: Record<string, number> = { base: time(() => baseline(chunks)) };
    for (const k of order) {
      useByteSearch(k === "native" ? bufferSearch : null);
      ms[k] = time(() => meter(provider, path, chunks));
    }
    if (r < 0) continue; // warm-up
    ratios.anchored.push(ms.base! / ms.anchored!);
    ratios.native.push(ms.base! / ms.native!);
  }
  console.log(`${name}: meter / baseline, anchored search ${median(ratios.anchored).toFixed(2)}× (${Math.min(...ratios.anchored).toFixed(2)}–${Math.max(...ratios.anchored).toFixed(2)}), native ${median(ratios.native).toFixed(2)}× (${Math.min(...ratios.native).toFixed(2)}–${Math.max(...ratios.native).toFixed(2)})`);
}
