/**
 * @module The bare proxy with one change at a time, to price single decisions on Bun without Kestrel around
 * them: `FLAGS=a,b bun bench/bare-probe.ts --upstream http://127.0.0.1:PORT` (used by bench/experiments.ts).
 *   readbody  send `new Uint8Array(await req.arrayBuffer())` instead of streaming `req.body` (Kestrel does this)
 *   ctrl      an own AbortController tied to req.signal (Kestrel does this)
 *   wrap      `new Response(up.body, init)` instead of returning the fetch Response itself
 *   pull      a JS pull ReadableStream around up.body (Kestrel's meter wrapper, without metering)
 *   buffer    `await up.arrayBuffer()` then `new Response(bytes, init)` (buffering a small JSON answer)
 */
import { bunServe } from "./lib/bun-serve.ts";

const upstream = process.argv[process.argv.indexOf("--upstream") + 1]!;
const flags = new Set((process.env.FLAGS ?? "").split(",").filter(Boolean));

function pull(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const { done, value } = await reader.read();
      if (done) c.close();
      else c.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

async function handle(req: Request): Promise<Response> {
  const url = req.url;
  const headers = new Headers(req.headers);
  headers.delete("host");
  headers.delete("accept-encoding");
  let signal = req.signal;
  if (flags.has("ctrl")) {
    const own = new AbortController();
    req.signal.addEventListener("abort", () => own.abort(), { once: true });
    signal = own.signal;
  }
  const body = flags.has("readbody") && req.body ? new Uint8Array(await req.arrayBuffer()) : req.body;
  const up = await fetch(upstream + url.slice(url.indexOf("/", url.indexOf("//") + 2)), {
    method: req.method,
    headers,
    body,
    signal,
    redirect: "manual",
    duplex: "half",
  } as RequestInit);
  const init = { status: up.status, statusText: up.statusText, headers: up.headers };
  if (flags.has("pull") && up.body) return new Response(pull(up.body), init);
  if (flags.has("buffer")) return new Response(new Uint8Array(await up.arrayBuffer()), init);
  if (flags.has("wrap")) return new Response(up.body, init);
  return up;
}

const server = bunServe({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: handle });
console.log(`probe listening on http://127.0.0.1:${server.port}`);
