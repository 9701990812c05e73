/**
 * @module What one open SSE meter holds (meter + scanner + accumulator), in process:
 * `bun bench/child/meter-heap.ts SRC_DIR [N]`. For OpenAI chat and Anthropic, opens N meters through the provider
 * registry, pushes each a stream's first events (one chunk, no usage yet) and keeps it open, then prints the JS
 * heap and objects per meter (bun:jsc `heapStats()` after a full GC). Run two trees' SRC_DIR interleaved.
 */
import { heapStats } from "bun:jsc";

const SRC = process.argv[2];
if (SRC === undefined) throw new Error("usage: meter-heap.ts SRC_DIR [N]");
const N = Number(process.argv[3] ?? 2000);
const { createMeter } = await import(`${SRC}/meter/meter.ts`);
const { getProvider } = await import(`${SRC}/providers/registry.ts`);
const { Bun } = globalThis as unknown as { Bun: { gc(full: boolean): void } };
const enc = new TextEncoder();

const CASES = {
  chat: {
    provider: "openai",
    path: "/v1/chat/completions",
    first: 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini",' +
      '"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n' +
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini",' +
      '"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}\n\n',
  },
  anthropic: {
    provider: "anthropic",
    path: "/v1/messages",
    first: 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",' +
      '"role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":12,' +
      '"output_tokens":1}}}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,' +
      '"content_block":{"type":"text","text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta",' +
      '"index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
  },
} as const;

function settled() {
  Bun.gc(true);
  Bun.gc(true);
  return heapStats();
}

const out: Record<string, unknown> = { src: SRC, meters: N };
for (const [name, c] of Object.entries(CASES)) {
  const facts = { provider: c.provider, method: "POST", path: c.path, query: "", body: { model: "bench", stream: true }, headers: new Headers() };
  const headers = new Headers({ "content-type": "text/event-stream" });
  const open = () => {
    const acc = getProvider(c.provider).createAccumulator(facts);
    acc.onResponse?.(200, headers);
    const meter = createMeter("sse", acc);
    // A fresh chunk per meter, as each stream has its own; the scanner must not keep it.
    meter.push(enc.encode(c.first));
    return meter;
  };
  for (let i = 0; i < 100; i++) open();
  const held: unknown[] = [];
  const before = settled();
  for (let i = 0; i < N; i++) held.push(open());
  const after = settled();
  out[name] = {
    heapBytesPerMeter: Math.round((after.heapSize - before.heapSize) / N),
    objectsPerMeter: Number(((after.objectCount - before.objectCount) / N).toFixed(2)),
  };
  held.length = 0;
}
console.log(JSON.stringify(out));
process.exit(0);
