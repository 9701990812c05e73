/**
 * @module The mock provider every contender talks to: `bun bench/mock-upstream.ts [--port N]`.
 * POST any path: a body containing `"stream":true` gets an SSE chat stream with usage at the end, anything
 * else a small chat completion JSON with usage, both with the response headers OpenAI sends.
 * `POST /_config` (JSON, partial MockConfig) shapes the next responses; `GET /_stats` reports open streams.
 */
import { bunServe } from "./lib/bun-serve.ts";
import { buildStream, chatEvents, chatJson, chatShape } from "./lib/bodies.ts";

export interface MockConfig {
  /** Events per stream (ignored when `streamBytes` > 0). */
  events: number;
  /** Pause between events; 0 sends the whole stream at once. */
  gapMs: number;
  /** > 0: one long stream of about this many bytes, sent in 64 KiB chunks. */
  streamBytes: number;
  /** Pause before the response headers. */
  delayMs: number;
}

const CHUNK = 64 * 1024;
const config: MockConfig = { events: 12, gapMs: 0, streamBytes: 0, delayMs: 0 };
const json = chatJson();
let events = chatEvents(config.events);
let whole = concat(events);
let big: Uint8Array | null = null;
let active = 0;
let maxActive = 0;
let served = 0;

/** What api.openai.com sends besides the body (shape and count matter for header-copy costs, not values). */
const HEADERS = {
  "openai-organization": "org-bench",
  "openai-processing-ms": "210",
  "openai-project": "proj_bench",
  "openai-version": "2020-10-01",
  "x-ratelimit-limit-requests": "30000",
  "x-ratelimit-limit-tokens": "150000000",
  "x-ratelimit-remaining-requests": "29999",
  "x-ratelimit-remaining-tokens": "149999985",
  "x-ratelimit-reset-requests": "2ms",
  "x-ratelimit-reset-tokens": "0s",
  "x-request-id": "req_4f9a1b2c3d4e5f60718293a4b5c6d7e8",
  "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
  "cf-cache-status": "DYNAMIC",
  "x-content-type-options": "nosniff",
  "server": "cloudflare",
  "cf-ray": "8f1b2c3d4e5f6a7b-AMS",
  "alt-svc": 'h3=":443"; ma=86400',
};
const JSON_HEADERS = { ...HEADERS, "content-type": "application/json" };
const SSE_HEADERS = { ...HEADERS, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the stream as open until it ends or the reader leaves. */
function tracked(pull: (c: ReadableStreamDefaultController<Uint8Array>) => Promise<boolean> | boolean) {
  active++;
  maxActive = Math.max(maxActive, active);
  let open = true;
  const close = () => {
    if (open) active--;
    open = false;
  };
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (await pull(c)) {
        close();
        c.close();
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

function stream(): ReadableStream<Uint8Array> | Uint8Array {
  if (config.streamBytes > 0) {
    const body = big!;
    let at = 0;
    return tracked((c) => {
      c.enqueue(body.subarray(at, at + CHUNK));
      at += CHUNK;
      return at >= body.length;
    });
  }
  if (config.gapMs === 0) return whole;
  const list = events;
  const gap = config.gapMs;
  let i = 0;
  return tracked(async (c) => {
    if (i > 0) await sleep(gap);
    c.enqueue(list[i++]!);
    return i === list.length;
  });
}

function configure(update: Partial<MockConfig>): void {
  Object.assign(config, update);
  events = chatEvents(config.events);
  whole = concat(events);
  if (config.streamBytes > 0 && big?.length !== config.streamBytes) big = buildStream(chatShape(), config.streamBytes);
  maxActive = active;
}

const portArg = process.argv.indexOf("--port");
const server = bunServe({
  hostname: "127.0.0.1",
  port: portArg < 0 ? 0 : Number(process.argv[portArg + 1]),
  idleTimeout: 0,
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/_config") {
      configure(await req.json());
      return Response.json(config);
    }
    if (path === "/_stats") return Response.json({ active, maxActive, served });
    const body = await req.text();
    served++;
    if (config.delayMs > 0) await sleep(config.delayMs);
    if (body.includes('"stream":true')) return new Response(stream() as BodyInit, { headers: SSE_HEADERS });
    return new Response(json as BodyInit, { headers: JSON_HEADERS });
  },
});
console.log(`mock listening on http://127.0.0.1:${server.port}`);
