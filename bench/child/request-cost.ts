/**
 * @module In-process cost per request, no sockets: `bun bench/child/request-cost.ts [SRC_DIR] [N] [json|stream|inject]`.
 * Runs `serve()` from SRC_DIR (default src/; a variant copy from bench/lib/variants.ts works too) behind a fake
 * Runtime that captures the fetch handler, with `globalThis.fetch` answering from memory (the mock's JSON or
 * SSE bytes and headers), a real SQLite store and the real logger writing to /dev/null. Measures CPU µs per
 * request (every thread, records committed included) for Kestrel, for a bare handler (copy headers, fetch,
 * return) and for making the request alone; 64 in flight. Prints one JSON object. Profile with `--cpu-prof-md`.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { chatEvents, chatJson } from "../lib/bodies.ts";
import { BODY } from "../lib/contenders.ts";
import { kestrelInProcess } from "../lib/in-process.ts";

const SRC = resolve(process.argv[2] ?? new URL("../../src", import.meta.url).pathname);
const N = Number(process.argv[3] ?? 50_000);
/** `inject`: a stream request that does not ask for usage, so Kestrel adds include_usage and strips the chunk. */
const KIND = (process.argv[4] ?? "json") as "json" | "stream" | "inject";
const IN_FLIGHT = 64;

const HEADERS = {
  "openai-processing-ms": "210",
  "openai-version": "2020-10-01",
  "x-ratelimit-remaining-requests": "29999",
  "x-request-id": "req_4f9a1b2c3d4e5f60718293a4b5c6d7e8",
  "cf-ray": "8f1b2c3d4e5f6a7b-AMS",
};
const json = chatJson();
const events = chatEvents(12);

/** The upstream, from memory. */
const upstream = (): Response => {
  if (KIND === "json") {
    // With its length, as the provider (and the mock) send it: Kestrel reads a small JSON answer whole.
    const headers = { ...HEADERS, "content-type": "application/json", "content-length": String(json.byteLength) };
    return new Response(json as BodyInit, { headers });
  }
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(events[i++]!);
      if (i === events.length) c.close();
    },
  });
  return new Response(body, { headers: { ...HEADERS, "content-type": "text/event-stream" } });
};
globalThis.fetch = (async () => upstream()) as unknown as typeof fetch;

const handler = await kestrelInProcess(SRC);

const bare = (req: Request): Promise<Response> => {
  const headers = new Headers(req.headers);
  headers.delete("host");
  headers.delete("accept-encoding");
  return fetch("http://127.0.0.1:9/v1/chat/completions", {
    method: req.method,
    headers,
    body: req.body,
    signal: req.signal,
    redirect: "manual",
  });
};

const body = KIND === "json" ? BODY.json : KIND === "inject" ? BODY.streamInjected : BODY.stream;
const reqHeaders = { "authorization": "Bearer sk-bench-0123456789abcdef", "content-type": "application/json" };
const request = () =>
  new Request("http://127.0.0.1:5501/openai/v1/chat/completions", {
    method: "POST",
    headers: { ...reqHeaders, "content-length": String(body.length) },
    body,
  });

/** This process's main-thread CPU seconds (/proc, 10 ms ticks). */
function mainThreadSeconds(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
let lastMainUs = 0;

/**
 * CPU µs per request (user + system, every thread), including the records' trip to SQLite afterwards; the main
 * thread's share is left in `lastMainUs`.
 */
async function measure(fn: (req: Request) => Response | Promise<Response>, n: number): Promise<number> {
  let sent = 0;
  const main0 = mainThreadSeconds();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (sent < n) {
      sent++;
      const res = await fn(request());
      await res.arrayBuffer();
      // Through the event loop, as socket I/O would: timers (the store's flusher) get their turns.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  // Records reach SQLite within the flush interval (100 ms): idle time costs no CPU, their writes do.
  await new Promise((resolve) => setTimeout(resolve, 250));
  const cpu = process.cpuUsage(cpu0);
  lastMainUs = ((mainThreadSeconds() - main0) * 1e6) / n;
  return (cpu.user + cpu.system) / n;
}

const nothing = async () => new Response("");
await measure(handler, Math.min(N, 5000));
await measure(bare, Math.min(N, 5000));
const rounds: { kestrel: number; kestrelMain: number; bare: number; request: number }[] = [];
for (let r = 0; r < 3; r++) {
  const request = await measure(nothing, N);
  const bareUs = await measure(bare, N);
  const kestrel = await measure(handler, N);
  rounds.push({ request, bare: bareUs, kestrel, kestrelMain: lastMainUs });
}
console.log(JSON.stringify({ src: SRC, kind: KIND, n: N, rounds }));
process.exit(0);
