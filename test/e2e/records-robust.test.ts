// Over real sockets: every exchange is recorded exactly once, with the status the client got and an honest
// outcome, whatever ends it — a shutdown, a client that stopped reading, an upstream that resets, truncates, or
// answers with an impossible status or impossible usage — and Kestrel keeps serving afterwards.
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { openSqlite } from "../../src/entry/sqlite-node.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { recordTagged } from "../_helpers/records.ts";

/** A raw TCP upstream: `handler` gets the socket once the request head and its declared body have arrived. */
async function startRaw(handler: (path: string, socket: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const head = buf.indexOf("\r\n\r\n");
      if (head < 0) return;
      const text = buf.subarray(0, head).toString("latin1");
      const length = Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? 0);
      if (buf.byteLength < head + 4 + length) return;
      socket.off("data", onData);
      handler(text.split(" ")[1]!, socket);
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP/1.1 request over a raw socket whose answer is never read (the client stopped reading). */
function stalledClient(url: string, path: string, tag: string): Socket {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => {});
  socket.write(`POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\n` +
    `x-kestrel-tags: ${tag}\r\ncontent-length: 2\r\n\r\n{}`);
  socket.pause();
  return socket;
}

const CHUNK = `data: {"id":"c","model":"gpt-4o-mini","choices":[{"delta":{"content":"${"x".repeat(16_000)}"}}]}\n\n`;
const USAGE_CHUNK = 'data: {"id":"c","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\n\n';

/** Streams big chunks while the reader keeps up, `count` of them (forever when 0), then the usage chunk. */
async function flood(res: import("node:http").ServerResponse, count: number): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (let i = 0; (count === 0 || i < count) && !res.destroyed; i++) {
    if (!res.write(CHUNK)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
  }
  if (!res.destroyed) res.end(USAGE_CHUNK + "data: [DONE]\n\n");
}

/** The stored row with this tag, read from the database file (for a Kestrel that has stopped). */
function storedRow(db: string, tag: string): Record<string, unknown> | undefined {
  const conn = openSqlite(db);
  try {
    return conn.prepare<Record<string, unknown>>("SELECT * FROM requests WHERE tags LIKE ?").get([`%"${tag}"%`]) ?? undefined;
  } finally {
    conn.close();
  }
}


async function healthy(url: string): Promise<void> {
  const res = await fetch(`${url}/health`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "Healthy");
}

test("shutdown cuts a client that stopped reading, and its record is written before exit", async () => {
  const mock = await startMock((_req, res) => flood(res, 0));
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--shutdown-grace", "300ms"]);
  const client = stalledClient(k.url, "/openai/v1/chat/completions", "t-stalled");
  try {
    // Wait until the pipe is full: the mock blocks on backpressure once Kestrel stops pulling.
    await until("the upstream request", () => mock.received.length > 0);
    await sleep(1000);
    assert.equal(await k.stop(), 0);
    assert.ok(k.lines.some((l) => /Stopped: 1 records written, 0 queued, 0 dropped/.test(l)), k.lines.join("\n"));
    const row = storedRow(k.db, "t-stalled");
    assert.ok(row, "the cut exchange has a row");
    assert.equal(row.status, 200);
    assert.equal(row.outcome, "error");
    assert.match(String(row.usage_error), /cut at shutdown/);
  } finally {
    client.destroy();
    await mock.close();
  }
});

test("shutdown cut before the upstream answered: 503 JSON, recorded as cut at shutdown (not client_aborted)", async () => {
  const mock = await startMock(async (_req, res) => {
    await sleep(10_000);
    if (!res.destroyed) res.end();
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--shutdown-grace", "300ms"]);
  try {
    const pending = fetch(`${k.url}/openai/v1/chat/completions`, {
      method: "POST",
      headers: { "x-kestrel-tags": "t-shut-early" },
      body: "{}",
    });
    await until("the upstream request", () => mock.received.length > 0);
    const stopped = k.stop();
    const res = await pending;
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "shutting_down");
    assert.equal(await stopped, 0);
    const row = storedRow(k.db, "t-shut-early");
    assert.ok(row);
    assert.equal(row.status, 503);
    assert.equal(row.outcome, "error");
    assert.match(String(row.usage_error), /cut at shutdown/);
  } finally {
    await mock.close();
  }
});

test("a slow reader is not an upstream timeout: the idle limit counts only upstream silence", async () => {
  const mock = await startMock((_req, res) => flood(res, 600));
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--idle-timeout", "2s"]);
  try {
    const res = await fetch(`${k.url}/openai/v1/chat/completions`, {
      method: "POST",
      headers: { "x-kestrel-tags": "t-slow-reader" },
      body: "{}",
    });
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(5000); // the client reads nothing for 2.5× the idle limit; the upstream is never silent
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    assert.ok(bytes > 600 * 16_000 * 0.9, `got ${bytes} bytes`);
    const r = await recordTagged(k.url, "t-slow-reader");
    assert.equal(r.outcome, "ok");
    assert.equal(r.status, 200);
    assert.equal(r.usage_source, "reported");
    assert.equal(r.total_tokens, 7);
    await healthy(k.url);
  } finally {
    await k.stop();
    await mock.close();
  }
});

let raw: { url: string; close(): Promise<void> };
let k: Kestrel;

before(async () => {
  raw = await startRaw((path, socket) => {
    switch (path) {
      case "/v1/chat/completions?case=600":
        socket.end("HTTP/1.1 600 Odd\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
        return;
      case "/v1/chat/completions?case=reset":
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n", () => {
          setTimeout(() => (socket.resetAndDestroy?.() ?? socket.destroy()), 50);
        });
        return;
      case "/v1/chat/completions?case=short-json":
        // A declared length far past what arrives, then a reset: not small, so it streams through.
        socket.write(
          "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n" +
            `{"model":"gpt-4o-mini","choices":[{"message":{"content":"${"x".repeat(1000)}`,
          () => setTimeout(() => (socket.resetAndDestroy?.() ?? socket.destroy()), 50),
        );
        return;
      case "/v1/chat/completions?case=truncated":
        // Close-delimited: no length, no chunking; the connection closes mid-event.
        socket.end(
          "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n" +
            'data: {"id":"c","model":"gpt-4o-mini","choices":[{"delta":{"content":"hi"}}]}\n\n' +
            'data: {"id":"c","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tok',
        );
        return;
      case "/v1/chat/completions?case=no-done":
        // Close-delimited and closed cleanly at an event boundary, but before the usage chunk and `data: [DONE]`.
        socket.end(
          "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n" +
            'data: {"id":"c","model":"gpt-4o-mini","choices":[{"delta":{"content":"hi"}}]}\n\n' +
            'data: {"id":"c","model":"gpt-4o-mini","choices":[{"delta":{"content":" there"}}]}\n\n',
        );
        return;
      case "/v1/messages?case=empty-usage": {
        const body = '{"id":"m","type":"message","model":"claude-sonnet-4-5-20250929","content":[],"usage":{}}';
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      case "/v1/messages?case=no-stop":
        // Close-delimited and closed cleanly at an event boundary, but before message_delta / message_stop.
        socket.end(
          "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n" +
            'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1200,"output_tokens":1}}}\n\n' +
            'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word word "}}\n\n',
        );
        return;
      case "/model/amazon.nova-pro-v1:0/converse-stream":
        // An AWS event-stream frame whose prelude promises 200 bytes, then the connection closes.
        socket.end(Buffer.concat([
          Buffer.from("HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\nconnection: close\r\n\r\n"),
          Buffer.from([0, 0, 0, 200, 0, 0, 0, 40, 1, 2, 3, 4, 5, 6, 7, 8]),
        ]));
        return;
      case "/v1/messages?case=overloaded":
        // A stream that started and then reported an error event: an upstream error, not a truncation.
        socket.end(
          "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n" +
            'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1200,"output_tokens":1}}}\n\n' +
            'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
        );
        return;
      default:
        socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    }
  });
  k = await startKestrel([
    "--upstream",
    `together=${raw.url}`,
    "--upstream",
    `anthropic=${raw.url}`,
    "--upstream",
    `aws-bedrock=${raw.url}`,
  ]);
});

after(async () => {
  await k.stop();
  await raw.close();
});

async function send(path: string, tag: string, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(`${k.url}${path}`, { method: "POST", headers: { "x-kestrel-tags": tag, ...headers }, body: "{}" });
}

test("an upstream status outside 200–599 → 502 JSON (no debug page), recorded once", async () => {
  const res = await send("/together/v1/chat/completions?case=600", "t-600");
  assert.equal(res.status, 502);
  assert.match(res.headers.get("content-type")!, /application\/json/);
  const body = await res.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, "bad_upstream_response");
  assert.match(body.error.message, /600/);
  const r = await recordTagged(k.url, "t-600");
  assert.equal(r.status, 502);
  assert.equal(r.outcome, "upstream_error");
  assert.match(r.usage_error!, /600/);
  await healthy(k.url);
});

test("a connection reset after the headers: upstream_aborted with the reason, not a clean 200", async () => {
  const res = await send("/together/v1/chat/completions?case=reset", "t-reset");
  await res.arrayBuffer().catch(() => {});
  const r = await recordTagged(k.url, "t-reset");
  assert.equal(r.outcome, "upstream_aborted");
  assert.ok(r.status === 200 || r.status === 0, `status ${r.status}`);
  assert.ok(r.usage_error, "the reason is recorded");
  await healthy(k.url);
});

test("a JSON answer reset short of its declared length: upstream_aborted with the reason", async () => {
  const res = await send("/together/v1/chat/completions?case=short-json", "t-short-json");
  const got = await res.arrayBuffer().then((b) => b.byteLength, () => -1);
  const r = await recordTagged(k.url, "t-short-json");
  assert.equal(r.outcome, "upstream_aborted", `client got ${res.status} and ${got} bytes`);
  assert.equal(r.status, res.status);
  assert.ok(r.usage_error, "the reason is recorded");
  await healthy(k.url);
});

test("a close-delimited SSE stream truncated mid-event is not ok", async () => {
  const res = await send("/together/v1/chat/completions?case=truncated", "t-truncated");
  await res.arrayBuffer().catch(() => {});
  const r = await recordTagged(k.url, "t-truncated");
  assert.equal(r.status, 200);
  assert.equal(r.outcome, "upstream_aborted");
  assert.match(r.usage_error!, /truncated/);
  assert.notEqual(r.usage_source, "reported");
  await healthy(k.url);
});

// Closed cleanly at an event boundary before the provider's final event: upstream_aborted with an estimate.
const NO_FINAL_EVENT: [name: string, path: string, tag: string, estimated: Partial<UsageRecord>][] = [
  // Anthropic without message_delta / message_stop: the start's input plus an output estimate.
  ["Anthropic, no message_delta", "/anthropic/v1/messages?case=no-stop", "t-no-stop", { input_tokens: 1200 }],
  // OpenAI-style chat without `data: [DONE]` (and so without its usage chunk): one output token per chunk.
  ["OpenAI-style chat, no [DONE]", "/together/v1/chat/completions?case=no-done", "t-no-done", { output_tokens: 2 }],
];

for (const [name, path, tag, estimated] of NO_FINAL_EVENT) {
  test(`an SSE stream that ends cleanly without its provider's final event is not ok (${name})`, async () => {
    const res = await send(path, tag, { "content-type": "application/json" });
    assert.equal(res.status, 200);
    await res.arrayBuffer().catch(() => {});
    const r = await recordTagged(k.url, tag);
    assert.deepEqual([r.status, r.outcome, r.usage_source], [200, "upstream_aborted", "estimated"]);
    assert.match(r.usage_error!, /truncated/);
    for (const [field, value] of Object.entries(estimated)) assert.equal(r[field as keyof UsageRecord], value, field);
  });
}

test("an empty usage object is `none` with the reason, not a reported 0 tokens at $0", async () => {
  const res = await send("/anthropic/v1/messages?case=empty-usage", "t-empty-usage", { "content-type": "application/json" });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const r = await recordTagged(k.url, "t-empty-usage");
  assert.equal(r.outcome, "ok");
  assert.deepEqual([r.usage_source, r.input_tokens, r.output_tokens, r.cost_pico], ["none", null, null, null]);
  assert.match(r.usage_error!, /usage reported without any count/);
});

test("a stream ended by an error event stays an upstream_error", async () => {
  const res = await send("/anthropic/v1/messages?case=overloaded", "t-overloaded", { "content-type": "application/json" });
  await res.arrayBuffer();
  const r = await recordTagged(k.url, "t-overloaded");
  assert.equal(r.outcome, "upstream_error");
  assert.match(r.usage_error!, /Overloaded/);
  assert.doesNotMatch(r.usage_error!, /truncated/);
});

test("an AWS event stream that closes inside a frame is not ok", async () => {
  const res = await send("/aws-bedrock/bedrock-runtime/us-east-1/model/amazon.nova-pro-v1:0/converse-stream", "t-frame");
  assert.equal(res.status, 200);
  await res.arrayBuffer().catch(() => {});
  const r = await recordTagged(k.url, "t-frame");
  assert.equal(r.status, 200);
  assert.equal(r.outcome, "upstream_aborted");
  assert.match(r.usage_error!, /truncated/);
});
