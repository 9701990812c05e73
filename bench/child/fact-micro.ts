/**
 * @module The sink's own main-thread work per exchange, without the server around it (issue 25):
 * `bun bench/child/fact-micro.ts [SRC_DIR] [N]` (or `deno run -A`). From SRC_DIR (default src/): a tree whose sink
 * makes facts runs `factOf` + the text usage line + the fact's ring entry (src/store/worker/fact-codec.ts); an older
 * one `buildRecord` + the text usage line + `JSON.stringify` + `encodeInto`, as their sinks do. Same exchanges (an
 * OpenAI chat answer with usage, upstream request id present / absent every other one), pricing included in both.
 * Prints µs per exchange for 5 rounds of N (the first is warm-up).
 */
import { resolve } from "node:path";

const SRC = resolve(process.argv[2] ?? new URL("../../src", import.meta.url).pathname);
const N = Number(process.argv[3] ?? 100_000);

const { createPricer } = await import(`${SRC}/pricing/pricer.ts`);
const { getProvider } = await import(`${SRC}/providers/registry.ts`);
const { requestAttributes } = await import(`${SRC}/attributes/attributes.ts`);
const record = await import(`${SRC}/sink/record.ts`);
const { usageLine } = await import(`${SRC}/sink/usage-line.ts`);
const facts = typeof record.factOf === "function";
const codec = facts ? await import(`${SRC}/store/worker/fact-codec.ts`) : null;

const pricer = createPricer();
const spec = getProvider("openai");
const requestFacts = {
  provider: "openai",
  method: "POST",
  path: "/v1/chat/completions",
  query: "",
  body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
  headers: new Headers({ authorization: "Bearer sk-test-0001", "content-type": "application/json" }),
};
const attributes = await requestAttributes(spec, requestFacts);
const usage = {
  input_tokens: 12, output_tokens: 30, total_tokens: 42, cache_read_tokens: 0, cache_write_tokens: 0, cache_write_1h_tokens: 0,
  reasoning_tokens: 0, audio_input_tokens: 0, audio_output_tokens: 0, web_search_requests: 0, characters: 0, audio_ms: 0,
  images: 0, search_queries: 0, request_fees: 0, compute_ms: 0,
};
const exchange = (i: number) => ({
  spec,
  facts: requestFacts,
  clientPath: "/openai/v1/chat/completions",
  upstreamUrl: "https://api.openai.com/v1/chat/completions",
  startedAt: Date.now(),
  durationMs: 212.4,
  ttfbMs: 180.2,
  addedMs: 0.4,
  status: 200,
  outcome: "ok",
  streaming: false,
  responseHeaders: new Headers(i % 2 === 0 ? { "x-request-id": `req_4f9a1b2c3d4e5f60718293a4b5c6d7${i % 100}` } : {}),
  meter: {
    usage, model: "gpt-4o-mini-2024-07-18", source: "reported", native: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
    usageError: null, upstreamError: null, serviceTier: null, geo: null, reportedCostPico: null, searchContext: null, responseId: "chatcmpl-1",
  },
  error: null,
  attributes,
  reservation: null,
});
const exchanges = Array.from({ length: 1000 }, (_, i) => exchange(i));
const ring = new Uint8Array(64 * 1024);
const encoder = new TextEncoder();
const enc = codec ? new codec.FactEncoder() : null;
let bytes = 0;
let chars = 0;

async function one(i: number): Promise<void> {
  const ex = exchanges[i % 1000]!;
  if (enc) {
    const fact = await record.factOf(ex, pricer);
    chars += usageLine(spec, fact).length;
    const entry = enc.encode(fact, i, i);
    ring.set(entry, 0);
    bytes += entry.length;
  } else {
    const { record: r, breakdown } = await record.buildRecord(ex, pricer);
    chars += usageLine(spec, r, breakdown).length;
    bytes += encoder.encodeInto(JSON.stringify(r), ring).written;
  }
}

const rounds: number[] = [];
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  for (let i = 0; i < N; i++) await one(i);
  rounds.push(Math.round(((performance.now() - t) * 1000 / N) * 100) / 100);
}
console.log(JSON.stringify({ src: SRC, facts, n: N, us: rounds, bytesPerEntry: Math.round(bytes / (5 * N)), chars: chars > 0 }));
