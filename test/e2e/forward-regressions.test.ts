// Forwarding over real sockets: compressed answers (zstd, decompression bombs), the request-body timeout and
// methods Kestrel does not forward.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, test } from "node:test";
import zlib from "node:zlib";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";

const JSON_BODY = JSON.stringify({ id: "x", model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
const ZSTD_MAGIC = "28b52ffd";
/** zstd exists in node:zlib on Bun and Deno (Node ≥ 22.15); the installed @types/node predates it. */
const zstd = zlib as unknown as { zstdCompressSync(b: string): Buffer; zstdDecompressSync(b: Buffer): Buffer };

let mock: Mock;
let kestrel: Kestrel;

before(async () => {
  mock = await startMock((req, res) => {
    const accepted = String(req.headers["accept-encoding"] ?? "");
    // Honours Accept-Encoding, preferring zstd as real CDNs do; `/zstd-always` sends zstd whatever was asked.
    if (req.url === "/zstd-always" || /\bzstd\b/.test(accepted)) {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "zstd" });
      res.end(zstd.zstdCompressSync(JSON_BODY));
    } else if (/\bbr\b/.test(accepted)) {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "br" });
      res.end(zlib.brotliCompressSync(JSON_BODY));
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON_BODY);
    }
  });
  kestrel = await startKestrel(["--upstream", `openai=${mock.url}`]);
});

after(async () => {
  await kestrel.stop();
  await mock.close();
});

/** A raw request: no client-side decoding, so the bytes and their label are exactly what Kestrel sent. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${kestrel.url}${path}`, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The body's label matches its bytes: labelled zstd only when the bytes are a zstd frame. */
function assertLabelMatches(res: { headers: Record<string, unknown>; body: Buffer }) {
  const encoding = res.headers["content-encoding"];
  if (encoding === "zstd") {
    assert.equal(res.body.subarray(0, 4).toString("hex"), ZSTD_MAGIC, "labelled zstd but not a zstd frame");
    assert.equal(zstd.zstdDecompressSync(res.body).toString("utf8"), JSON_BODY);
  } else {
    assert.equal(encoding, undefined);
    assert.equal(res.body.toString("utf8"), JSON_BODY);
  }
}

test("Kestrel asks upstreams only for encodings it can decode, and the client gets what the label says", async () => {
  const res = await raw("/openai/v1/chat/completions", { "accept-encoding": "zstd, br, gzip" });
  assert.equal(res.status, 200);
  assertLabelMatches(res);
  const asked = String(mock.received.at(-1)!.headers["accept-encoding"]);
  assert.doesNotMatch(asked, /zstd/);
});

test("a zstd answer nobody asked for is labelled truthfully", async () => {
  const res = await raw("/openai/zstd-always");
  assert.equal(res.status, 200);
  assertLabelMatches(res);
});
