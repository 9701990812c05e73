// Over real sockets: responses stream through unbuffered, silent stretches survive, a client that leaves
// cancels the upstream, compressed bodies arrive intact and labelled right.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";

let mock: Mock;
let kestrel: Kestrel;
/** The streaming route waits for this before sending the rest of its events. */
let release: () => void = () => {};

const chunk = (i: number) =>
  `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"t${i}"},"finish_reason":null}],"usage":null}\n\n`;
const JSON_BODY = JSON.stringify({ id: "x", model: "gpt-4o-mini", usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 }, filler: "a".repeat(2000) });

before(async () => {
  mock = await startMock(async (req, res) => {
    const path = req.url!;
    if (path.startsWith("/wait-for-client")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk(0));
      await new Promise<void>((resolve) => (release = resolve));
      for (let i = 1; i < 4; i++) res.write(chunk(i));
      res.end("data: [DONE]\n\n");
    } else if (path.startsWith("/endless")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; !res.destroyed && i < 400; i++) {
        res.write(chunk(i));
        await sleep(25);
      }
      res.end();
    } else if (path.startsWith("/hold-headers")) {
      await sleep(5000);
      if (!res.destroyed) res.end("late");
    } else if (path.startsWith("/gap")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk(0));
      await sleep(12_000);
      res.write(chunk(1));
      res.end("data: [DONE]\n\n");
    } else if (path.startsWith("/gzip-json")) {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(JSON_BODY));
    } else if (path.startsWith("/gzip-sse")) {
      res.writeHead(200, { "content-type": "text/event-stream", "content-encoding": "gzip" });
      res.end(gzipSync(chunk(0) + chunk(1) + "data: [DONE]\n\n"));
    }
  });
  kestrel = await startKestrel(["--upstream", `openai=${mock.url}`]);
});

after(async () => {
  await kestrel.stop();
  await mock.close();
});

test("an SSE event reaches the client while the upstream is still streaming", async () => {
  const res = await fetch(`${kestrel.url}/openai/wait-for-client`);
  const reader = res.body!.getReader();
  // If Kestrel buffered, the first event would never arrive: the upstream sends the rest only after it did.
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /"t0"/);
  release();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += new TextDecoder().decode(value);
  }
  assert.match(rest, /"t3"[\s\S]*\[DONE\]/);
});

test("a client that leaves mid-stream cancels the upstream request", async () => {
  const aborted = mock.aborted;
  const controller = new AbortController();
  const res = await fetch(`${kestrel.url}/openai/endless`, { signal: controller.signal });
  const reader = res.body!.getReader();
  await reader.read();
  await reader.read();
  controller.abort();
  await reader.closed.catch(() => {});
  await until("the upstream socket to close", () => mock.aborted !== aborted);
  assert.equal(mock.aborted, aborted + 1, "upstream socket closed before the stream finished");
});

test("a client that leaves before the upstream answers cancels the upstream request", async () => {
  const aborted = mock.aborted;
  const controller = new AbortController();
  const pending = fetch(`${kestrel.url}/openai/hold-headers`, { signal: controller.signal }).catch(() => null);
  await sleep(300);
  controller.abort();
  await pending;
  await until("the upstream socket to close", () => mock.aborted !== aborted);
  assert.equal(mock.aborted, aborted + 1, "upstream closed long before its 5 s answer");
});

test("a 12 s silent gap in a stream survives", async () => {
  const res = await fetch(`${kestrel.url}/openai/gap`);
  const text = await res.text();
  assert.match(text, /"t0"[\s\S]*"t1"[\s\S]*\[DONE\]/);
});

/** A raw request, so the client's Accept-Encoding is exactly what we say (or absent). */
function raw(path: string, headers: Record<string, string>): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${kestrel.url}${path}`, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end();
  });
}

for (const [name, headers] of [["without Accept-Encoding", {}], ["with Accept-Encoding: gzip", { "accept-encoding": "gzip" }]] as const) {
  test(`gzip upstream JSON arrives intact ${name}`, async () => {
    const res = await raw("/openai/gzip-json", headers);
    // Either the original compressed bytes with the header, or decoded bytes without it — never a mismatch.
    const body = res.headers["content-encoding"] === "gzip" ? (await import("node:zlib")).gunzipSync(res.body) : res.body;
    assert.equal(body.toString("utf8"), JSON_BODY);
    if (res.headers["content-length"] !== undefined) assert.equal(Number(res.headers["content-length"]), res.body.length);
  });

  test(`gzip upstream SSE arrives intact ${name}`, async () => {
    const res = await raw("/openai/gzip-sse", headers);
    const body = res.headers["content-encoding"] === "gzip" ? (await import("node:zlib")).gunzipSync(res.body) : res.body;
    assert.equal(body.toString("utf8"), chunk(0) + chunk(1) + "data: [DONE]\n\n");
  });
}
