// Kestrel's client handshake towards an upstream (src/realtime/handshake.ts, upstream.ts) over an in-memory byte
// stream: what it sends, how it reads a 101 (and the frames that come with it), and refusals read whole.
import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptFor, parseHead } from "../../src/realtime/handshake.ts";
import type { ByteStream, Dial } from "../../src/realtime/types.ts";
import { connectUpstream, UpstreamFailure } from "../../src/realtime/upstream.ts";
import { serverFrame } from "../_helpers/ws-mock.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A stream whose peer answers the request head with `answer(head)`, chunk by chunk. */
function fakeDial(answer: (head: string) => Promise<Uint8Array[]> | Uint8Array[], log: { sent: string; destroyed: boolean }): Dial {
  return () => {
    let events: Parameters<ByteStream["attach"]>[0] | null = null;
    const stream: ByteStream = {
      write(bytes) {
        const first = log.sent === "";
        log.sent += dec(bytes);
        if (first) {
          void Promise.resolve(answer(log.sent)).then(async (chunks) => {
            for (const c of chunks) {
              await new Promise((r) => setTimeout(r, 1));
              events?.data(c);
            }
          });
        }
        return true;
      },
      buffered: 0,
      pause() {},
      resume() {},
      end() {},
      destroy() {
        log.destroyed = true;
        events?.closed(null);
      },
      attach(e) {
        events = e;
      },
    };
    return Promise.resolve(stream);
  };
}

const options = { connectTimeoutMs: 1000, answerTimeoutMs: 1000, maxMessage: 1 << 20 };

async function accept101(head: string, protocol = "realtime"): Promise<Uint8Array> {
  const key = /sec-websocket-key: (\S+)/.exec(head)![1]!;
  return enc(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${await acceptFor(key)}\r\nSec-WebSocket-Protocol: ${protocol}\r\nx-request-id: req_9\r\n\r\n`);
}

test("the accept value is RFC 6455's", async () => {
  assert.equal(await acceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

test("the request goes out with the raw path and query, the client's headers and Kestrel's own handshake", async () => {
  const log = { sent: "", destroyed: false };
  const headers = new Headers({ authorization: "Bearer sk-x", "openai-beta": "realtime=v1", "sec-websocket-protocol": "realtime" });
  const up = await connectUpstream(fakeDial(async (h) => [await accept101(h)], log), "https://api.example/v1/realtime?model=gpt%2Drealtime&x=%7E", headers, ["realtime"], options);
  assert.equal(up.kind, "open");
  const lines = log.sent.split("\r\n");
  assert.equal(lines[0], "GET /v1/realtime?model=gpt%2Drealtime&x=%7E HTTP/1.1");
  for (const line of ["host: api.example", "upgrade: websocket", "connection: Upgrade", "sec-websocket-version: 13", "authorization: Bearer sk-x", "openai-beta: realtime=v1", "sec-websocket-protocol: realtime"]) {
    assert.ok(lines.includes(line), line);
  }
  if (up.kind === "open") assert.equal(up.head.headers.get("x-request-id"), "req_9");
});

test("frames that arrive with the 101, in the same chunk, are the first messages", async () => {
  const log = { sent: "", destroyed: false };
  const up = await connectUpstream(fakeDial(async (h) => {
    const head = await accept101(h);
    const first = serverFrame(1, enc('{"type":"session.created"}'));
    const both = new Uint8Array(head.byteLength + first.byteLength);
    both.set(head);
    both.set(first, head.byteLength);
    return [both, serverFrame(2, new Uint8Array([1, 2]))];
  }, log), "http://h/v1/realtime", new Headers(), ["realtime"], options);
  assert.equal(up.kind, "open");
  if (up.kind !== "open") return;
  const got: unknown[] = [];
  await new Promise<void>((resolve) => {
    up.socket.attach({
      message: (d, text) => (got.push(text ? dec(d as Uint8Array) : [...(d as Uint8Array)]), got.length === 2 && resolve()),
      drain() {},
      closed() {},
    });
  });
  assert.deepEqual(got, ['{"type":"session.created"}', [1, 2]]);
});

test("a refusal is read whole: status, headers and body, Content-Length or chunked", async () => {
  const body = '{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}';
  const cases: [string, Uint8Array[]][] = [
    ["content-length", [enc(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`), enc(body.slice(10))]],
    ["chunked", [enc(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${(10).toString(16)}\r\n${body.slice(0, 10)}\r\n`), enc(`${(body.length - 10).toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`)]],
  ];
  for (const [what, chunks] of cases) {
    const log = { sent: "", destroyed: false };
    const up = await connectUpstream(fakeDial(() => chunks, log), "http://h/v1/realtime", new Headers(), [], options);
    assert.equal(up.kind, "refused", what);
    if (up.kind !== "refused") continue;
    assert.equal(up.status, 401, what);
    assert.equal(up.headers.get("content-type"), "application/json", what);
    assert.equal(dec(up.body), body, what);
    assert.equal(log.destroyed, true, `${what}: the connection is not kept`);
  }
});

test("a 101 that is not a proper WebSocket answer is refused by Kestrel", async () => {
  const table: [string, (h: string) => Promise<Uint8Array[]>][] = [
    ["wrong accept", async () => [enc("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope\r\n\r\n")]],
    ["an extension not offered", async (h) => [enc(dec(await accept101(h)).replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"))]],
    ["a subprotocol not offered", async (h) => [await accept101(h, "other")]],
    ["not HTTP", async () => [enc("SSH-2.0-OpenSSH\r\n\r\n")]],
  ];
  for (const [what, answer] of table) {
    const log = { sent: "", destroyed: false };
    await assert.rejects(connectUpstream(fakeDial(answer, log), "http://h/x", new Headers(), ["realtime"], options), UpstreamFailure, what);
    assert.equal(log.destroyed, true, what);
  }
});

test("an upstream that never answers the upgrade times out", async () => {
  const log = { sent: "", destroyed: false };
  const err = await connectUpstream(fakeDial(() => [], log), "http://h/x", new Headers(), [], { ...options, answerTimeoutMs: 50 })
    .then(() => null, (e) => e);
  assert.ok(err instanceof UpstreamFailure && err.timeout);
});

test("response heads: incomplete, complete, malformed", () => {
  assert.equal(parseHead(enc("HTTP/1.1 101 Switching")), null);
  const head = parseHead(enc("HTTP/1.1 403 Forbidden\r\nA: b\r\n\r\nbody"));
  assert.ok(typeof head === "object" && head !== null);
  assert.equal(head.status, 403);
  assert.equal(head.size, "HTTP/1.1 403 Forbidden\r\nA: b\r\n\r\n".length);
  assert.equal(typeof parseHead(enc("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")), "string");
  assert.equal(typeof parseHead(new Uint8Array(70_000).fill(65)), "string");
});
