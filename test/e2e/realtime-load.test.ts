// Realtime sessions under load and at their ends (docs/architecture.md §18): 50 parallel sessions leave memory and
// file descriptors at baseline; a client that stops reading holds Kestrel's memory bounded; a client that outruns
// an upstream that stopped reading meets backpressure on Bun and a 1013 close on Deno (which cannot pause a
// client); the idle limit and SIGTERM close sessions with 1001.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { testNeeding } from "../_helpers/host.ts";
import { startKestrel } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { IS_BUN } from "../_helpers/runtime.ts";
import { openClient } from "../_helpers/ws-client.ts";
import { serverFrame, startWsMock } from "../_helpers/ws-mock.ts";

const PROC = existsSync("/proc/self/status") ? null : "needs Linux /proc to read a process's memory and descriptors";
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const MiB = 1024;

async function sessionRecords(url: string, count: number): Promise<UsageRecord[]> {
  let found: UsageRecord[] = [];
  await until(`${count} session records`, async () => {
    found = ((await (await fetch(`${url}/api/requests?limit=1000`)).json()) as { requests: UsageRecord[] }).requests
      .filter((r) => r.close_code !== null);
    return found.length >= count;
  }, { detail: () => String(found.length) });
  return found;
}

testNeeding("50 parallel sessions leave memory and file descriptors back at baseline after close", PROC, async () => {
  const mock = await startWsMock(async (s) => {
    await s.waitFor(1);
    for (let i = 0; i < 20; i++) s.send(new Uint8Array(16 * 1024).fill(i), { binary: true });
  });
  const k = await startKestrel(["--upstream", `elevenlabs=${mock.url}`]);
  const url = `${k.url.replace(/^http/, "ws")}/elevenlabs/v1/convai/conversation`;
  try {
    const round = async (n: number) => {
      await Promise.all(Array.from({ length: n }, async () => {
        const c = await openClient(url);
        c.ws.send("start");
        await c.waitFor(20);
        c.ws.close(1000);
        await c.closed;
      }));
    };
    await round(5); // warm up: code paths, pools, the store worker
    await sessionRecords(k.url, 5);
    await new Promise((r) => setTimeout(r, 500));
    const pid = k.proc.pid!;
    const baseFds = fds(pid);
    const baseRss = rssKiB(pid);
    await round(50);
    await sessionRecords(k.url, 55);
    await until("descriptors back at baseline", () => fds(pid) <= baseFds + 2, { detail: () => `${fds(pid)} open, ${baseFds} before` });
    await new Promise((r) => setTimeout(r, 500));
    const grown = rssKiB(pid) - baseRss;
    // 50 sessions moved 16 MiB; what stays is allocator slack and JIT, not the sessions.
    assert.ok(grown < 48 * MiB, `RSS grew by ${grown} KiB after the sessions closed`);
  } finally {
    await k.stop();
    await mock.close();
  }
});

/** A raw client: the handshake by hand, then a socket the test can stop reading. */
function rawClient(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () =>
      socket.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    let head = "";
    const onData = (d: Buffer) => {
      head += d.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head));
      socket.pause();
      resolve(socket);
    };
    socket.on("data", onData);
    socket.on("error", reject);
  });
}

testNeeding("a client that stops reading: the upstream is held back and Kestrel's memory stays bounded", PROC, async () => {
  let offered = 0;
  let stop = false;
  const mock = await startWsMock(async (s) => {
    const frame = serverFrame(2, new Uint8Array(64 * 1024).fill(1));
    // The upstream sends as fast as its socket takes it, for as long as the test lets it.
    while (!stop) {
      offered += frame.byteLength;
      if (!s.socket.write(frame)) await new Promise((r) => s.socket.once("drain", r));
    }
  });
  const k = await startKestrel(["--upstream", `elevenlabs=${mock.url}`]);
  try {
    const pid = k.proc.pid!;
    const base = rssKiB(pid);
    const client = await rawClient(`${k.url}/elevenlabs/v1/stream`);
    let peak = 0;
    const until3s = Date.now() + 3000;
    while (Date.now() < until3s) {
      peak = Math.max(peak, rssKiB(pid) - base);
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    // Without backpressure the upstream would have pushed hundreds of MB by now; it was held to a few buffers.
    assert.ok(offered < 64 * 1024 * 1024, `the upstream got ${offered} bytes out`);
    assert.ok(peak < 96 * MiB, `Kestrel's RSS grew by ${peak} KiB with a client that does not read`);
    client.destroy();
  } finally {
    stop = true;
    await k.stop();
    await mock.close();
  }
});

// One name on both runtimes (the runners' test lists are compared): Bun pauses the client (TCP backpressure), Deno
// cannot pause one and closes it with 1013.
test("a client that outruns an upstream that stopped reading: paused on Bun, closed with 1013 on Deno", async () => {
  const mock = await startWsMock((s) => s.pause());
  const k = await startKestrel(["--upstream", `elevenlabs=${mock.url}`]);
  try {
    const next = mock.next();
    const client = await openClient(`${k.url.replace(/^http/, "ws")}/elevenlabs/v1/stream`);
    const upstream = await next;
    const chunk = new Uint8Array(256 * 1024);
    for (let i = 0; i < 160; i++) client.ws.send(chunk); // 40 MiB, past the relay's 16 MiB bound
    if (IS_BUN) {
      // Kestrel stops reading the client: the bytes wait in the client's own buffer, the session stays open.
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(client.ws.bufferedAmount > 8 * 1024 * 1024, `client buffer ${client.ws.bufferedAmount}`);
      assert.equal(client.ws.readyState, WebSocket.OPEN);
      upstream.resume();
      await upstream.waitFor(160);
      client.ws.close(1000);
    } else {
      // Kestrel sends 1013; a Deno client still busy sending sees its socket end (code 0), so the record says it.
      await client.closed;
      const [record] = await sessionRecords(k.url, 1);
      assert.equal(record!.close_code, 1013);
      assert.equal(record!.outcome, "error");
      assert.match(record!.usage_error ?? "", /upstream not reading/);
    }
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("the idle limit closes both sides with 1001 and records a timeout", async () => {
  const mock = await startWsMock(() => {});
  const k = await startKestrel(["--upstream", `elevenlabs=${mock.url}`, "--idle-timeout", "1s"]);
  try {
    const next = mock.next();
    const client = await openClient(`${k.url.replace(/^http/, "ws")}/elevenlabs/v1/stream`);
    const upstream = await next;
    assert.deepEqual(await client.closed, { code: 1001, reason: "idle timeout" });
    assert.equal((await upstream.closed).code, 1001);
    const [record] = await sessionRecords(k.url, 1);
    assert.equal(record!.outcome, "timeout");
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("SIGTERM: a session runs on through the grace period, then both sides get 1001 and the record is written", async () => {
  const mock = await startWsMock(async (s) => {
    for (;;) {
      await s.waitFor(s.received.length + 1);
      s.send(`echo ${new TextDecoder().decode(s.received.at(-1)!.data)}`);
    }
  });
  const k = await startKestrel(["--upstream", `elevenlabs=${mock.url}`, "--shutdown-grace", "1500ms", "--log-format", "json"]);
  const next = mock.next();
  const client = await openClient(`${k.url.replace(/^http/, "ws")}/elevenlabs/v1/stream`);
  const upstream = await next;
  const started = Date.now();
  const stopped = k.stop();
  await k.waitForLine(/SIGTERM: no new connections/);
  client.ws.send("during the grace");
  await client.waitFor(1);
  assert.equal(client.messages[0]!.data, "echo during the grace");
  assert.deepEqual(await client.closed, { code: 1001, reason: "Kestrel is shutting down" });
  assert.ok(Date.now() - started >= 1000, "not before the grace period ran out");
  assert.equal((await upstream.closed).code, 1001);
  assert.equal(await stopped, 0);
  assert.ok(k.lines.some((l) => /"close_code":1001/.test(l) && /cut at shutdown/.test(l)), k.lines.join("\n"));
  assert.ok(k.lines.some((l) => /Stopped: 1 records written/.test(l)), k.lines.join("\n"));
  await mock.close();
});
