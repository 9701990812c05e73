/**
 * @module What one open stream holds, in process: `bun bench/child/stream-heap.ts [kestrel|bare] [N]`. Opens N
 * streaming chat requests whose upstream (an in-memory `fetch`) sends two events and then stays open, reads each
 * client's first chunk, and prints the JS heap, RSS and object counts per stream (bun:jsc `heapStats()` after a
 * full GC), with the object types that grew. No sockets: what the runtime's fetch and server hold per connection
 * is not in it. The bench's memory section measures the whole process with sockets.
 */
import { heapStats } from "bun:jsc";
import { chatEvents } from "../lib/bodies.ts";
import { BODY } from "../lib/contenders.ts";
import { type Handler, kestrelInProcess } from "../lib/in-process.ts";

const MODE = process.argv[2] === "bare" ? "bare" : "kestrel";
const N = Number(process.argv[3] ?? 1000);
const events = chatEvents(12);

globalThis.fetch = (async () => {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent < 2) controller.enqueue(events[sent++]!);
      else return new Promise<void>(() => {}); // the rest of the answer never comes
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "x-request-id": "req_1" } });
}) as unknown as typeof fetch;

const bare: Handler = (req) => {
  const headers = new Headers(req.headers);
  headers.delete("host");
  return fetch("http://127.0.0.1:9/v1/chat/completions", { method: "POST", headers, body: req.body });
};
const handler = MODE === "kestrel" ? await kestrelInProcess(new URL("../../src", import.meta.url).pathname) : bare;
const request = () =>
  new Request("http://127.0.0.1:5501/openai/v1/chat/completions", {
    method: "POST",
    headers: { authorization: "Bearer sk-bench", "content-type": "application/json", "content-length": String(BODY.stream.length) },
    body: BODY.stream,
  });

const held: unknown[] = [];
async function open(): Promise<void> {
  const res = await handler(request());
  const reader = res.body!.getReader();
  await reader.read();
  held.push(res, reader);
}

const { Bun } = globalThis as unknown as { Bun: { gc(full: boolean): void } };

async function settled() {
  Bun.gc(true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  Bun.gc(true);
  return { heap: heapStats(), rss: process.memoryUsage().rss };
}

for (let i = 0; i < 50; i++) await open(); // warm: modules, caches, the store worker
const before = await settled();
for (let i = 0; i < N; i++) await open();
const after = await settled();
const counts = (s: { heap: { objectTypeCounts: unknown } }) => s.heap.objectTypeCounts as Record<string, number>;
const grew = Object.entries(counts(after))
  .map(([type, count]) => [type, (count - (counts(before)[type] ?? 0)) / N] as const)
  .filter(([, perStream]) => perStream >= 0.5)
  .sort((a, b) => b[1] - a[1]);
console.log(JSON.stringify({
  mode: MODE,
  streams: N,
  heapBytesPerStream: Math.round((after.heap.heapSize - before.heap.heapSize) / N),
  rssBytesPerStream: Math.round((after.rss - before.rss) / N),
  objectsPerStream: (after.heap.objectCount - before.heap.objectCount) / N,
  grew: Object.fromEntries(grew),
}));
process.exit(0);
