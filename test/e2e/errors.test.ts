// Over real sockets: Kestrel's own failures are JSON with stable codes — 502 unreachable, 504 connect timeout,
// 504 no answer, and a stream that goes silent past the idle limit ends.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { test } from "node:test";
import { nodeMissing, testNeeding } from "../_helpers/host.ts";
import { startKestrel } from "../_helpers/kestrel.ts";
import { closedPort, sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";


/**
 * A Node.js helper that listens with a one-slot accept queue, fills the queue itself, then blocks its event loop
 * for good so nothing is ever accepted: new connections hang in SYN_SENT (a black hole on loopback). The filling
 * connects are issued on the next tick; the blocking tick is queued after them, before the loop could accept.
 */
const BLACK_HOLE = `
const net = require("node:net");
const fs = require("node:fs");
const server = net.createServer();
server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
  const port = server.address().port;
  for (let i = 0; i < 4; i++) net.connect({ port, host: "127.0.0.1" }).on("error", () => {});
  process.nextTick(() => {
    fs.writeSync(1, port + "\\n");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
    process.exit(0);
  });
});`;

async function blackHole(): Promise<{ port: number; stop(): void }> {
  const proc = spawn("node", ["-e", BLACK_HOLE], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once("error", reject); // e.g. node missing: fail the test, not the process
    proc.once("exit", (code) => reject(new Error(`black-hole helper exited (${code}) before listening`)));
    proc.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  return { port, stop: () => proc.kill("SIGKILL") };
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  assert.match(res.headers.get("content-type")!, /application\/json/);
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

test("unreachable upstream → 502 upstream_unreachable", async () => {
  const port = await closedPort();
  const k = await startKestrel(["--upstream", `openai=http://127.0.0.1:${port}`]);
  try {
    const res = await fetch(`${k.url}/openai/v1/models`);
    assert.equal(res.status, 502);
    const err = await errorOf(res);
    assert.equal(err.code, "upstream_unreachable");
    assert.match(err.message, /^Cannot reach upstream "127\.0\.0\.1:\d+"/);
  } finally {
    await k.stop();
  }
});

testNeeding("upstream that never accepts the connection → 504 upstream_timeout after the connect timeout", nodeMissing(), async () => {
  const hole = await blackHole();
  const k = await startKestrel(["--upstream", `openai=http://127.0.0.1:${hole.port}`, "--connect-timeout", "1s"]);
  try {
    const res = await fetch(`${k.url}/openai/v1/models`);
    assert.equal(res.status, 504);
    const err = await errorOf(res);
    assert.equal(err.code, "upstream_timeout");
    assert.match(err.message, /did not accept a connection within 1000 ms/);
  } finally {
    await k.stop();
    hole.stop();
  }
});

test("upstream that accepts but never answers → 504 after the idle timeout", async () => {
  const mock = await startMock(async (_req, res) => {
    await sleep(10_000);
    if (!res.destroyed) res.end();
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--idle-timeout", "1s"]);
  try {
    const res = await fetch(`${k.url}/openai/v1/models`);
    assert.equal(res.status, 504);
    const err = await errorOf(res);
    assert.equal(err.code, "upstream_timeout");
    assert.match(err.message, /did not answer within 1000 ms/);
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("a stream silent past the idle limit ends and the upstream is released", async () => {
  const mock = await startMock(async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n');
    await sleep(10_000);
    if (!res.destroyed) res.end();
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--idle-timeout", "1s"]);
  try {
    const res = await fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
    assert.equal(res.status, 200);
    const text = await res.text().catch(() => "cut");
    assert.ok(text === "cut" || text.includes("hi"));
    await k.waitForLine(/Outcome: timeout/);
    await until("the upstream socket to close", () => mock.aborted > 0);
    assert.equal(mock.aborted, 1);
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("an upstream that breaks off a JSON answer → 502, recorded as upstream_aborted", async () => {
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('{"id":"x","usage":{"prompt_tokens"');
    setTimeout(() => res.destroy(), 50);
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    const res = await fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
    assert.equal(res.status, 502);
    const err = await errorOf(res);
    assert.equal(err.code, "upstream_unreachable");
    assert.match(err.message, /broke off its answer/);
    await k.waitForLine(/OpenAI API Usage .*Tokens: unknown.*Status: 502, Outcome: upstream_aborted/);
  } finally {
    await k.stop();
    await mock.close();
  }
});
