// Over real sockets: Kestrel's own failures are JSON with stable codes — 502 unreachable, 504 connect timeout,
// 504 no answer, and a stream that goes silent past the idle limit ends.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { test } from "node:test";
import { startKestrel } from "../_helpers/kestrel.ts";
import { sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A port whose accept queue is full, so new connections hang in SYN_SENT (a black hole on loopback). */
async function blackHole(): Promise<{ port: number; stop(): void }> {
  const script = `import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    fill.append(c)
print(port, flush=True)
time.sleep(60)`;
  const proc = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => proc.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { port, stop: () => proc.kill() };
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

test("upstream that never accepts the connection → 504 upstream_timeout after the connect timeout", async () => {
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
