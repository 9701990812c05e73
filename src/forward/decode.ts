/**
 * @module Compressed answers decoded by Kestrel instead of the runtime's fetch. Bun's fetch prints every decode
 * failure (a corrupt or cut gzip body) straight to stderr, `Decompression error: ZlibError`, from native code no
 * handler sees; so the Bun entry asks its fetch not to decode (`decompress: false`) and wraps it with
 * `decodingFetch`. A bad body then errors the stream like any broken answer: recorded, logged, never printed.
 * Exactly the encodings `isDecoded` names are decoded, so the headers the client gets stay right.
 */
import { isDecoded } from "./headers.ts";

/** Content-Encoding token → DecompressionStream format (`brotli` and `zstd` are Bun's; the DOM type lacks them). */
const FORMAT: Readonly<Record<string, string>> = { gzip: "gzip", "x-gzip": "gzip", deflate: "deflate", br: "brotli", zstd: "zstd" };

const NO_BODY = new Set([204, 205, 304]);

/**
 * `raw` must not decode; the result decodes what `isDecoded(encoding, decodesZstd)` says a decoding fetch would.
 * Cost: a DecompressionStream per compressed answer, on the event loop (Bun's own decoder runs off it).
 */
export function decodingFetch(raw: typeof fetch, decodesZstd: boolean): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await raw(input, init);
    const encoding = res.headers.get("content-encoding");
    // `new Response` refuses a status outside 200-599 (the proxy answers those 502 without reading the body) and
    // a body with 204, 205 or 304.
    if (encoding === null || res.body === null || res.status < 200 || res.status > 599 || NO_BODY.has(res.status)) return res;
    if (!isDecoded(encoding, decodesZstd)) return res;
    let body: ReadableStream<Uint8Array> = res.body;
    // Codings are listed in the order they were applied: undo the last first.
    for (const coding of encoding.split(",").reverse()) {
      const format = FORMAT[coding.trim().toLowerCase()];
      if (format === undefined) continue;
      body = body.pipeThrough(new DecompressionStream(format as CompressionFormat) as ReadableWritablePair<Uint8Array, Uint8Array>);
    }
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;
}
