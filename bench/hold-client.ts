/**
 * @module Many slow streams at once over raw sockets (no client-side connection pool or fetch limit):
 * `bun bench/hold-client.ts '{"url":…,"n":1000,"headers":{…},"body":"…","timeoutMs":…}'`.
 * Prints one JSON line when every stream has delivered its first event ({"phase":"open",…}) or the timeout
 * passed, and one when all ended ({"phase":"done",…}): counts of streams opened, completed and failed, and the
 * most that were delivering events at the same time.
 */
import { connect, type Socket } from "node:net";

interface Job {
  url: string;
  n: number;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const url = new URL(job.url);
const head = [
  `POST ${url.pathname} HTTP/1.1`,
  `host: ${url.host}`,
  "connection: close",
  `content-length: ${Buffer.byteLength(job.body)}`,
  ...Object.entries(job.headers).map(([k, v]) => `${k}: ${v}`),
  "",
  "",
].join("\r\n");
const request = head + job.body;

const t0 = performance.now();
let streaming = 0;
let maxStreaming = 0;
let firstEvents = 0;
let completed = 0;
let failed = 0;
let ended = 0;
let reportedOpen = false;

const report = (phase: string) =>
  console.log(JSON.stringify({
    phase,
    ms: Math.round(performance.now() - t0),
    n: job.n,
    firstEvents,
    maxStreaming,
    completed,
    failed,
  }));

function openOne(): void {
  let seen = "";
  let first = false;
  let ok = false;
  const socket: Socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(request));
  socket.setNoDelay(true);
  socket.on("data", (chunk: Buffer) => {
    // Only the first event and the usage event at the end matter; keep a short window of text.
    seen = (seen + chunk.toString("latin1")).slice(-4096);
    if (!first && seen.includes("data:")) {
      first = true;
      firstEvents++;
      streaming++;
      maxStreaming = Math.max(maxStreaming, streaming);
      if (firstEvents === job.n && !reportedOpen) {
        reportedOpen = true;
        report("open");
      }
    }
    if (seen.includes("[DONE]")) ok = true;
  });
  const end = () => {
    if (first) streaming--;
    if (ok) completed++;
    else failed++;
    if (++ended === job.n) {
      report("done");
      process.exit(0);
    }
  };
  socket.on("close", end);
  socket.on("error", () => {});
}

for (let i = 0; i < job.n; i++) openOne();
setTimeout(() => {
  if (!reportedOpen) {
    reportedOpen = true;
    report("open");
  }
}, job.timeoutMs).unref();
setTimeout(() => {
  report("done");
  process.exit(0);
}, job.timeoutMs * 3).unref();
