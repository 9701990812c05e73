// Bun's fetch keeps at most 256 upstream requests open unless BUN_CONFIG_MAX_HTTP_REQUESTS is in the environment
// at startup (src/entry/fetch-limit.ts, issue 20 item 27). Kestrel on Bun started without it — the binary and the
// source entry — must still have more than 256 upstream requests open at once, as the same process (execve keeps
// the pid that systemd, Docker and these tests signal) and without the warning. Both runners start Bun here.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { hostBinary } from "../_helpers/binary.ts";
import { startKestrel } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { ROOT } from "../_helpers/runtime.ts";

/** More than Bun's default of 256. */
const N = 300;
const BODY = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });

/** An upstream that holds every request open until told to answer, counting how many are open at once. */
async function holdingUpstream() {
  const held: ServerResponse[] = [];
  let most = 0;
  const server = createServer((req, res) => {
    req.resume();
    held.push(res);
    most = Math.max(most, held.length);
  });
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    most: () => most,
    answerAll() {
      for (const res of held.splice(0)) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
      }
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Raw sockets: the test process's own fetch would queue beyond 256 on Bun. Resolves when every answer came. */
function sendAtOnce(url: string, n: number): { sockets: Socket[]; answered: Promise<number> } {
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  const done: Promise<boolean>[] = [];
  for (let i = 0; i < n; i++) {
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    socket.write(
      `POST /openai/v1/chat/completions HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(BODY)}\r\nconnection: close\r\n\r\n${BODY}`,
    );
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
    socket.on("error", () => {});
    done.push(new Promise((resolve) => socket.on("close", () => resolve(text.startsWith("HTTP/1.1 200")))));
  }
  return { sockets, answered: Promise.all(done).then((oks) => oks.filter(Boolean).length) };
}

const TARGETS: [string, () => { binary?: string; command?: [string, string[]] }][] = [
  ["the binary", () => ({ binary: hostBinary() })],
  ["the Bun source entry", () => ({ command: [join(ROOT, "node_modules/.bin/bun"), [join(ROOT, "src/entry/bun.ts")]] })],
];

for (const [name, target] of TARGETS) {
  test(`${name}, started without BUN_CONFIG_MAX_HTTP_REQUESTS, has ${N} upstream requests open at once`, async () => {
    const upstream = await holdingUpstream();
    // Empty counts as unset (also for Bun), whatever the test runner's own environment holds.
    const k = await startKestrel(["--upstream", `openai=${upstream.url}`], { BUN_CONFIG_MAX_HTTP_REQUESTS: "" }, target());
    let sockets: Socket[] = [];
    try {
      const environ = `/proc/${k.proc.pid}/environ`;
      // The pid that was started is the one serving, now with the limit in its environment (Linux shows it).
      if (existsSync(environ)) assert.match(readFileSync(environ, "latin1"), /(^|\0)BUN_CONFIG_MAX_HTTP_REQUESTS=4096\0/);
      const sent = sendAtOnce(k.url, N);
      sockets = sent.sockets;
      await until(`${N} requests open upstream at once`, () => upstream.most() >= N, {
        timeoutMs: 20_000,
        detail: () => `at most ${upstream.most()} were`,
      });
      upstream.answerAll();
      assert.equal(await sent.answered, N);
      assert.equal(await k.stop(), 0);
      const said = `${k.lines.join("\n")}\n${k.stderr()}`;
      assert.doesNotMatch(said, /BUN_CONFIG_MAX_HTTP_REQUESTS/);
      assert.match(said, new RegExp(`Stopped: ${N} records written`));
    } finally {
      for (const s of sockets) s.destroy();
      await k.stop("SIGKILL");
      await upstream.close();
    }
  });
}
