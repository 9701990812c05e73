/**
 * @module Realtime relay cost: frames/s and CPU per frame through Kestrel (source, Bun) against a bare WebSocket
 * relay (bench/child/realtime-bare.ts), both pinned to the proxy CPU, with the upstream
 * (bench/child/realtime-upstream.ts) and this client on the load CPU. Down: OpenAI audio deltas (every 100th a
 * metered `response.done`, so Kestrel writes a record per 100 frames); up: `input_audio_buffer.append` events.
 * CPU per frame is the relay process's user + system time (all threads) over the frames of a round.
 * Run: `node_modules/.bin/bun bench/realtime.ts` (`--quick`: a harness check, not a measurement).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import process from "node:process";
import { BUN, CPU, PINNING, type Proc, ROOT, start, stopAll, threadCpu } from "./lib/proc.ts";

const QUICK = process.argv.includes("--quick");
const FRAMES = QUICK ? 2_000 : 100_000;
const SIZE = 4096; // base64 bytes of audio per delta: ~64 ms of 24 kHz pcm16
const ROUNDS = QUICK ? 1 : 5;
const WORK = `${ROOT}bench/.work/realtime`;

interface Result {
  framesPerSecond: number;
  cpuMicrosPerFrame: number;
}

/** One session through `relay`: `dir` down (upstream floods) or up (client floods), until `bench.end`. */
async function round(relay: Proc, dir: "down" | "up"): Promise<Result> {
  const url = `${relay.url.replace(/^http/, "ws")}/openai/v1/realtime?model=gpt-realtime&dir=${dir}&frames=${FRAMES}&size=${SIZE}`;
  const ws = new WebSocket(url, ["realtime", "openai-insecure-api-key.sk-bench"]);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot open ${url}`));
  });
  const before = threadCpu(relay.pid);
  const t0 = performance.now();
  const ended = new Promise<void>((resolve) => {
    ws.onmessage = (e) => {
      if (typeof e.data === "string" && e.data.startsWith('{"type":"bench.end"')) resolve();
    };
  });
  if (dir === "up") {
    const append = `{"type":"input_audio_buffer.append","audio":"${"A".repeat(SIZE)}"}`;
    for (let i = 0; i < FRAMES; i++) {
      ws.send(append);
      // Keep the client's own buffer bounded: a real client sends at the audio's pace.
      while (ws.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 1));
    }
  }
  await ended;
  const seconds = (performance.now() - t0) / 1000;
  const after = threadCpu(relay.pid);
  ws.close(1000);
  await new Promise((r) => setTimeout(r, 100));
  const cpu = after.main + after.others - before.main - before.others;
  return { framesPerSecond: FRAMES / seconds, cpuMicrosPerFrame: (cpu * 1e6) / FRAMES };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], f: (n: number) => string) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  if (PINNING) spawnSync("taskset", ["-pc", CPU.load, String(process.pid)]);
  const upstream = await start({ name: "upstream", cmd: BUN, args: ["bench/child/realtime-upstream.ts"], cpu: CPU.load, log: `${WORK}/upstream.log`, ready: /ready (http:\S+)/ });
  const bare = await start({ name: "bare", cmd: BUN, args: ["bench/child/realtime-bare.ts"], cpu: CPU.proxy, log: `${WORK}/bare.log`, ready: /ready (http:\S+)/, env: { UPSTREAM: upstream.url } });
  const kestrel = await start({
    name: "kestrel",
    cmd: BUN,
    args: ["src/entry/bun.ts", "serve", "--port", "0", "--db", `${WORK}/kestrel.db`, "--upstream", `openai=${upstream.url}`],
    cpu: CPU.proxy,
    log: `${WORK}/kestrel.log`,
    ready: /listening on (http:\S+)/,
  });
  try {
    const rows: string[] = [];
    for (const dir of ["down", "up"] as const) {
      await round(bare, dir); // warm up both
      await round(kestrel, dir);
      const results: Record<string, Result[]> = { bare: [], kestrel: [] };
      for (let r = 0; r < ROUNDS; r++) {
        results.bare!.push(await round(bare, dir));
        results.kestrel!.push(await round(kestrel, dir));
      }
      const k = results.kestrel!;
      const b = results.bare!;
      const rate = (xs: Result[]) => range(xs.map((x) => x.framesPerSecond), (n) => Math.round(n).toLocaleString("en-US"));
      const cpu = (xs: Result[]) => range(xs.map((x) => x.cpuMicrosPerFrame), (n) => n.toFixed(1));
      const ratios = (f: (x: Result) => number) => range(k.map((x, i) => f(x) / f(b[i]!)), (n) => `${n.toFixed(2)}×`);
      const what = dir === "down" ? "upstream → client, audio deltas" : "client → upstream, audio appends";
      rows.push(`| ${what} (${SIZE} B base64) | ${rate(k)} | ${rate(b)} | ${ratios((x) => x.framesPerSecond)} | ${cpu(k)} | ${cpu(b)} | ${ratios((x) => x.cpuMicrosPerFrame)} |`);
    }
    console.log(`Realtime relay, ${FRAMES.toLocaleString("en-US")} frames per round, ${ROUNDS} rounds, median (min–max)${PINNING ? "; relays pinned to cpu" + CPU.proxy : ""}`);
    console.log("| direction | Kestrel frames/s | bare relay frames/s | Kestrel / bare | Kestrel CPU µs/frame | bare CPU µs/frame | Kestrel / bare CPU |");
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    for (const row of rows) console.log(row);
  } finally {
    await stopAll();
  }
}

await main();
