// The TLS listener (--tls-cert / --tls-key) with a throwaway CA made here: the official `openai` client's realtime
// WebSocket class (it forces wss:) through Kestrel to a wss: mock upstream, the certificate re-read on SIGHUP,
// and a bad pair refused at startup with one clear line.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { after, before, test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { until } from "../_helpers/poll.ts";
import { IS_BUN, kestrelCommand, ROOT } from "../_helpers/runtime.ts";
import { encodeFrame, OP_BINARY } from "../../src/realtime/frames.ts";
import { concatBytes } from "../../src/sse/bytes.ts";
import { makeCa, type TestCa } from "../_helpers/tls-ca.ts";
import { startWsMock, type MockWsUpstream } from "../_helpers/ws-mock.ts";
import { OPENAI_EXPECTED, OPENAI_SESSION, wire } from "../realtime/_sequences.ts";

let ca: TestCa;
let mock: MockWsUpstream;
/** Echoes every message back (a session that outlives a SIGHUP). */
let echo: MockWsUpstream;
let k: Kestrel;
let certFile: string;
let keyFile: string;
/** How a child process of this runtime trusts the test CA. */
let caEnv: Record<string, string>;

before(async () => {
  ca = makeCa();
  const upstreamCert = ca.issue("upstream");
  const front = ca.issue("kestrel-1");
  // The listener's files are rewritten in place for the SIGHUP test (as a renewal does).
  const dir = tempDir();
  certFile = join(dir, "kestrel.pem");
  keyFile = join(dir, "kestrel.key");
  writeFileSync(certFile, front.cert);
  writeFileSync(keyFile, front.key);
  caEnv = IS_BUN ? { NODE_EXTRA_CA_CERTS: ca.certFile } : { DENO_CERT: ca.certFile };
  mock = await startWsMock(async (s) => {
    // The SDK sends its events right after the socket opens; then this replays the documented session (its text
    // events: the SDK parses every message as JSON).
    for (const step of OPENAI_SESSION) {
      if ("awaitClient" in step || step.binary) continue;
      const { data, binary } = wire(step);
      s.send(data, { binary });
    }
  }, { tls: { cert: upstreamCert.cert, key: upstreamCert.key } });
  echo = await startWsMock(async (s) => {
    for (;;) {
      await s.waitFor(s.received.length + 1);
      s.send(s.received.at(-1)!.data, { binary: true });
    }
  }, { tls: { cert: upstreamCert.cert, key: upstreamCert.key } });
  // Kestrel reaches the wss: upstreams through the same CA.
  k = await startKestrel(["--upstream", `openai=${mock.url}`, "--upstream", `elevenlabs=${echo.url}`, "--tls-cert", certFile, "--tls-key", keyFile], caEnv);
});

after(async () => {
  await k.stop();
  await mock.close();
  await echo.close();
});

/** The common name of the certificate a fresh TLS connection to Kestrel is served. */
function servedName(): Promise<string> {
  const { port } = new URL(k.url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: Number(port), ca: ca.cert }, () => {
      resolve(String(socket.getPeerCertificate().subject?.CN));
      socket.end();
    });
    socket.on("error", reject);
  });
}

/** Kestrel's records over HTTPS (the test process trusts the CA per connection, not through its environment). */
async function records(): Promise<UsageRecord[]> {
  const { port } = new URL(k.url);
  const body = await new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: Number(port), ca: ca.cert }, () =>
      socket.write("GET /api/requests?limit=100 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    let text = "";
    socket.on("data", (d) => (text += d.toString("utf8")));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
  const json = body.slice(body.indexOf("\r\n\r\n") + 4);
  // The body may be chunked: the JSON object spans from the first "{" to the last "}".
  return (JSON.parse(json.slice(json.indexOf("{"), json.lastIndexOf("}") + 1)) as { requests: UsageRecord[] }).requests;
}

test("the official openai realtime client over wss: through Kestrel's TLS listener to a wss: upstream", async () => {
  assert.match(k.url, /^https:\/\//);
  const [cmd, args] = IS_BUN ? [process.execPath, []] : [process.execPath, ["run", "-A"]];
  const child = spawn(cmd, [...args, `${ROOT}test/realtime/_sdk-client.ts`, `${k.url}/openai/v1`, "sk-sdk-test-key", "gpt-realtime"], {
    env: { ...process.env, ...caEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const code = await new Promise((resolve) => child.on("close", resolve));
  assert.equal(code, 0, err);
  const lines = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines[0], { open: `${k.url.replace("https", "wss")}/openai/v1/realtime` });
  assert.ok(lines.some((l) => l.type === "response.done"), out);
  assert.deepEqual(lines.at(-1), { closed: 1000 });
  assert.ok(!lines.some((l) => "error" in l), out);

  let stored: UsageRecord[] = [];
  await until("the session's records", async () => {
    stored = await records();
    return stored.some((r) => r.close_code !== null);
  });
  const first = stored.find((r) => r.response_id === "resp_1");
  assert.equal(first?.cost_usd, OPENAI_EXPECTED[0]!.cost_usd);
  assert.equal(stored.find((r) => r.close_code !== null)?.close_code, 1000);
});

/** A realtime session over TLS by hand (the test process trusts the CA per connection). */
function wssSession(): Promise<{ socket: tls.TLSSocket; bytes: () => Uint8Array }> {
  const { port } = new URL(k.url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: Number(port), ca: ca.cert }, () =>
      socket.write("GET /elevenlabs/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    let received: Uint8Array = new Uint8Array(0);
    let opened = false;
    socket.on("data", (d: Buffer) => {
      if (!opened) {
        const text = d.toString("latin1");
        if (!text.startsWith("HTTP/1.1 101")) return reject(new Error(text));
        opened = true;
        d = d.subarray(text.indexOf("\r\n\r\n") + 4);
      }
      received = concatBytes([received], received.byteLength + d.byteLength, d);
      if (opened) resolve({ socket, bytes: () => received });
    });
    socket.on("error", reject);
  });
}

test("SIGHUP re-reads the certificate: new connections get the new one", async () => {
  assert.equal(await servedName(), "kestrel-1");
  const open = await wssSession();
  const renewed = ca.issue("kestrel-2");
  writeFileSync(certFile, renewed.cert);
  writeFileSync(keyFile, renewed.key);
  const from = k.lines.length;
  process.kill(k.proc.pid!, "SIGHUP"); // Deno's ChildProcess.kill() sends only once
  await k.waitForLine(/SIGHUP: reloaded .*the TLS certificate/, 15_000, from);
  assert.equal(await servedName(), "kestrel-2");
  if (IS_BUN) {
    // The session opened before the reload goes on (the old listener only stopped accepting).
    open.socket.write(encodeFrame(OP_BINARY, new Uint8Array([1, 2, 3])));
    await until("the echo", () => open.bytes().byteLength >= 5);
    assert.deepEqual([...open.bytes().subarray(0, 5)], [0x82, 3, 1, 2, 3]);
  } else {
    // Deno's listener cannot be let go without closing its upgraded sockets: Kestrel closes them first with 1012
    // (service restart), so clients know to reconnect (docs/architecture.md §18).
    await until("the close frame", () => open.bytes().byteLength >= 4);
    assert.deepEqual([...open.bytes().subarray(0, 4)], [0x88, open.bytes()[1]!, 1012 >> 8, 1012 & 0xff]);
  }
  open.socket.destroy();
});

test("SIGHUP with a key that does not belong to the certificate keeps the running one", async () => {
  const served = await servedName();
  writeFileSync(keyFile, ca.issue("other").key);
  const from = k.lines.length;
  process.kill(k.proc.pid!, "SIGHUP"); // Deno's ChildProcess.kill() sends only once
  const line = await k.waitForLine(/SIGHUP: new configuration rejected/, 15_000, from);
  assert.match(line, /--tls-key .* is not the key of --tls-cert/);
  assert.equal(await servedName(), served);
});

test("a bad certificate or a missing half is refused at startup with one line", async () => {
  const dir = tempDir();
  const garbage = join(dir, "garbage.pem");
  writeFileSync(garbage, "not a certificate");
  const leaf = ca.issue();
  // [arguments, what the error line says]
  const cases: [string[], RegExp][] = [
    [["--tls-cert", leaf.certFile], /--tls-cert and --tls-key go together: --tls-key is missing/],
    [["--tls-cert", garbage, "--tls-key", leaf.keyFile], /is not a PEM certificate/],
    [["--tls-cert", leaf.certFile, "--tls-key", join(dir, "missing.key")], /cannot read --tls-key/],
  ];
  for (const [args, message] of cases) {
    const [cmd, argv] = kestrelCommand(["serve", "--port", "0", "--db", join(dir, "k.db"), ...args]);
    const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.notEqual(code, 0, args.join(" "));
    assert.match(err, message);
    assert.equal(err.trim().split("\n").length, 1, err);
  }
});
