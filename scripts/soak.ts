/**
 * The soak (`npm run test:long`): N mixed requests (default 100,000) through one Kestrel process at 16 connections
 * — JSON, SSE streams, gzip, upstream errors and clients that abort mid-stream — sampling the process's RSS and
 * open file descriptors every 2 % of the run. Passes when RSS grows < 10 % from 20 % to 100 % of the run (median
 * of the samples at 20–30 % against those at 90–100 %: one sample lands anywhere in a GC cycle), the fd count stays
 * flat (± 16) and every exchange has its record. Runs Kestrel on the runtime running this file.
 *   bun scripts/soak.ts [N]      deno run -A scripts/soak.ts [N]
 */
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { openSqlite } from "../src/entry/sqlite-node.ts";
import { startKestrel } from "../test/_helpers/kestrel.ts";
import { startMock } from "../test/_helpers/mock-upstream.ts";
import { RUNTIME } from "../test/_helpers/runtime.ts";

const TOTAL = Number(process.argv[2] ?? 100_000);
const CONNECTIONS = 16;
const SAMPLES = 50;

const JSON_BODY = JSON.stringify({ id: "c", model: "gpt-4o-mini", choices: [{ message: { content: "hello ".repeat(40) } }], usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 } });
const GZIPPED = gzipSync(JSON_BODY);
const CHUNK = `data: ${JSON.stringify({ id: "c", model: "gpt-4o-mini", choices: [{ index: 0, delta: { content: "word " } }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: "c", model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 } })}\n\ndata: [DONE]\n\n`;

const mock = await startMock(async (req, res) => {
  const kind = /kind=(\w+)/.exec(req.url ?? "")?.[1];
  if (kind === "sse" || kind === "slow") {
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (let i = 0; i < 8; i++) {
      if (res.destroyed) return;
      res.write(CHUNK);
      if (kind === "slow") await new Promise((r) => setTimeout(r, 2));
    }
    res.end(USAGE);
  } else if (kind === "gzip") {
    res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": GZIPPED.length });
    res.end(GZIPPED);
  } else if (kind === "error") {
    res.writeHead(500, { "content-type": "application/json" });
    res.end('{"error":{"message":"boom"}}');
  } else {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(JSON_BODY) });
    res.end(JSON_BODY);
  }
});
const k = await startKestrel(["--upstream", `openai=${mock.url}`]); // on Bun it sets its own fetch limit (src/entry/fetch-limit.ts)
const pid = k.proc.pid!;

const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
const fds = () => readdirSync(`/proc/${pid}/fd`).length;

const KINDS = ["json", "json", "json", "json", "sse", "sse", "gzip", "error", "slow", "abort"] as const;
const counts: Record<string, number> = {};
let failures = 0;

async function one(i: number): Promise<void> {
  const kind = KINDS[i % KINDS.length]!;
  counts[kind] = (counts[kind] ?? 0) + 1;
  const controller = new AbortController();
  const res = await fetch(`${k.url}/openai/v1/chat/completions?kind=${kind === "abort" ? "slow" : kind}`, {
    method: "POST",
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: kind === "sse" || kind === "slow" || kind === "abort" }),
    headers: { "content-type": "application/json", authorization: "Bearer sk-soak" },
    signal: controller.signal,
  });
  if (kind === "abort") {
    await res.body!.getReader().read();
    controller.abort();
    return;
  }
  await res.arrayBuffer();
  if (res.status !== (kind === "error" ? 500 : 200)) failures++;
}

const samples: { done: number; rss: number; fds: number }[] = [{ done: 0, rss: rssKiB(), fds: fds() }];
let next = 0;
let done = 0;
const started = Date.now();
await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
  while (next < TOTAL) {
    const i = next++;
    try {
      await one(i);
    } catch {
      if (KINDS[i % KINDS.length] !== "abort") failures++;
    }
    done++;
    if (done % (TOTAL / SAMPLES) === 0) samples.push({ done, rss: rssKiB(), fds: fds() });
  }
}));
const seconds = (Date.now() - started) / 1000;

const exit = await k.stop();
await mock.close();
const conn = openSqlite(k.db);
const records = Number(conn.prepare<{ n: number }>("SELECT COUNT(*) AS n FROM requests").get()!.n);
const outcomes = conn.prepare<{ outcome: string; n: number }>("SELECT outcome, COUNT(*) AS n FROM requests GROUP BY outcome").all();
conn.close();

const median = (from: number, to: number) => {
  const rss = samples.filter((s) => s.done >= TOTAL * from && s.done <= TOTAL * to).map((s) => s.rss).sort((a, b) => a - b);
  return rss[Math.floor(rss.length / 2)]!;
};
const early = median(0.2, 0.3);
const late = median(0.9, 1);
const growth = (late - early) / early;
const fdSpread = Math.max(...samples.slice(1).map((s) => s.fds)) - Math.min(...samples.slice(1).map((s) => s.fds));
console.log(`soak on ${RUNTIME}: ${TOTAL} requests at ${CONNECTIONS} connections in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s)`);
console.log(`mix: ${JSON.stringify(counts)}; client-side failures: ${failures}; exit ${exit}`);
console.log("requests  RSS MiB  fds");
for (const s of samples.filter((_, i) => i % 5 === 0)) console.log(`${String(s.done).padStart(8)}  ${(s.rss / 1024).toFixed(1).padStart(7)}  ${String(s.fds).padStart(3)}`);
console.log(`RSS median at 20–30 %: ${(early / 1024).toFixed(1)} MiB, at 90–100 %: ${(late / 1024).toFixed(1)} MiB: growth ${(growth * 100).toFixed(1)} %; fd spread after start: ${fdSpread}`);
console.log(`records: ${records} of ${TOTAL}; outcomes ${JSON.stringify(Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])))}`);

const problems = [
  growth >= 0.1 && `RSS grew ${(growth * 100).toFixed(1)} % (limit 10 %)`,
  fdSpread > 16 && `fds moved by ${fdSpread}`,
  records !== TOTAL && `${TOTAL - records} records missing`,
  failures > 0 && `${failures} requests failed`,
  exit !== 0 && `Kestrel exited ${exit}`,
].filter(Boolean);
if (problems.length > 0) {
  console.error(`soak FAILED: ${problems.join("; ")}`);
  process.exit(1);
}
console.log("soak passed");
