// decodingFetch: what Bun's fetch would have decoded, decoded by Kestrel (src/forward/decode.ts); a corrupt body
// errors the stream instead of being printed.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as zlib from "node:zlib";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { decodingFetch } from "../../src/forward/decode.ts";
import { testNeeding } from "../_helpers/host.ts";

/** node:zlib's zstd (newer than @types/node 20, absent on some runtimes). */
const zstdCompressSync = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Uint8Array }).zstdCompressSync;

const TEXT = JSON.stringify({ usage: { prompt_tokens: 12 }, pad: "x".repeat(3000) });
const PLAIN = new TextEncoder().encode(TEXT);

/** A raw fetch answering `bytes` with these headers, as Bun's does with `decompress: false`. */
const answering = (bytes: Uint8Array | null, headers: Record<string, string>, status = 200): typeof fetch =>
  (() => Promise.resolve(new Response(bytes as Uint8Array<ArrayBuffer> | null, { status, headers }))) as unknown as typeof fetch;

const formatMissing = (format: string): string | null => {
  try {
    new DecompressionStream(format as CompressionFormat);
    return null;
  } catch {
    return `needs DecompressionStream("${format}") (Bun has it; the Bun entry is the only user)`;
  }
};

const CASES: [encoding: string, bytes: () => Uint8Array, format: string][] = [
  ["gzip", () => gzipSync(PLAIN), "gzip"],
  ["x-gzip", () => gzipSync(PLAIN), "gzip"],
  ["deflate", () => deflateSync(PLAIN), "deflate"],
  ["br", () => brotliCompressSync(PLAIN), "brotli"],
  ["zstd", () => zstdCompressSync?.(PLAIN) ?? PLAIN, "zstd"],
  // Applied gzip first, then brotli: undone in reverse.
  ["gzip, br", () => brotliCompressSync(gzipSync(PLAIN)), "brotli"],
];

for (const [encoding, bytes, format] of CASES) {
  const missing = formatMissing(format) ?? (typeof zstdCompressSync !== "function" && format === "zstd" ? "needs node:zlib zstd" : null);
  testNeeding(`decodes Content-Encoding: ${encoding}`, missing, async () => {
    const res = await decodingFetch(answering(bytes(), { "content-encoding": encoding, "x-kept": "1" }), true)("http://u/");
    assert.equal(await res.text(), TEXT);
    assert.equal(res.headers.get("content-encoding"), encoding, "headers are the upstream's: the proxy drops them");
    assert.equal(res.headers.get("x-kept"), "1");
  });
}

test("what a decoding fetch would not decode is passed as it came", async () => {
  const raw = gzipSync(PLAIN);
  for (const [headers, decodesZstd] of [[{ "content-encoding": "compress" }, true], [{ "content-encoding": "zstd" }, false], [{}, true]] as const) {
    const res = await decodingFetch(answering(raw, headers), decodesZstd)("http://u/");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(raw), JSON.stringify(headers));
  }
  const empty = await decodingFetch(answering(null, { "content-encoding": "gzip" }, 204), true)("http://u/");
  assert.equal(empty.status, 204);
  assert.equal(empty.body, null);
});

test("a corrupt body errors the stream (recorded by the proxy), never the fetch", async () => {
  const res = await decodingFetch(answering(new TextEncoder().encode("not gzip at all"), { "content-encoding": "gzip" }), true)("http://u/");
  assert.equal(res.status, 200);
  await assert.rejects(res.arrayBuffer());
});
