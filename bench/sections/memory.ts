/**
 * @module Section 5: memory. (a) Peak RSS of each proxy while N slow streams are open at once (raw-socket
 * client, so the client has no pool limit; the mock counts how many upstream streams were open at once).
 * (b) RSS growth over M further requests after everything before (warm state), at 16 connections.
 */
import { BODY, type Contender, configureMock, mockStats } from "../lib/contenders.ts";
import type { LoadGen } from "../lib/load.ts";
import { BUN, CPU, type Proc, run } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";
import { fmt } from "../lib/stats.ts";

export interface MemoryOptions {
  streams: number;
  events: number;
  gapMs: number;
  requests: number;
  /** Pause after the load before the second RSS reading. */
  settleMs: number;
  /** Extra row: a Kestrel started without the raised fetch cap, to show Bun's default queueing. */
  capDemo: (() => Promise<Proc>) | null;
}

interface Hold {
  idle: number;
  peak: number;
  upstreamOpen: number;
  openMs: number;
  firstEvents: number;
  completed: number;
  failed: number;
}

const MB = (bytes: number) => fmt(bytes / 2 ** 20, 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function hold(mock: Proc, proc: Proc, endpoint: string, headers: Record<string, string>, o: MemoryOptions) {
  await configureMock(mock, { events: o.events, gapMs: o.gapMs, streamBytes: 0 });
  const idle = proc.rss();
  let peak = idle;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, proc.rss() || 0);
      await sleep(50);
    }
  })();
  const streamMs = o.events * o.gapMs;
  const job = { url: endpoint, n: o.streams, headers, body: BODY.stream, timeoutMs: Math.max(5000, streamMs * 6) };
  const out = await run(CPU.load, BUN, ["bench/hold-client.ts", JSON.stringify(job)]);
  sampling = false;
  await sampler;
  const lines = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  const open = lines.find((l) => (l.phase as unknown) === "open")!;
  const done = lines.find((l) => (l.phase as unknown) === "done")!;
  const stats = await mockStats(mock);
  return {
    idle,
    peak,
    upstreamOpen: stats.maxActive,
    openMs: open.ms!,
    firstEvents: done.firstEvents!,
    completed: done.completed!,
    failed: done.failed!,
  } satisfies Hold;
}

/** Sends about `total` requests at 16 connections (wrk runs of whole seconds, sized from the last rate). */
async function send(c: Contender, gen: LoadGen, total: number): Promise<number> {
  let sent = 0;
  let seconds = 1;
  while (sent < total) {
    const r = await gen.run({ url: c.endpoint, headers: c.headers, body: BODY.json, connections: 16, seconds });
    sent += r.requests;
    seconds = Math.min(30, Math.max(1, Math.floor((total - sent) / Math.max(1, r.rps))));
  }
  return sent;
}

/** RSS before, after half the requests and after all: a leak keeps growing in the second half. */
async function growth(proc: Proc, c: Contender, gen: LoadGen, total: number, settleMs: number) {
  const before = proc.rss();
  let sent = await send(c, gen, total / 2);
  await sleep(settleMs);
  const half = proc.rss();
  sent += await send(c, gen, total - sent);
  await sleep(settleMs);
  const after = proc.rss();
  return { before, half, after, sent, growth: (after - before) / before, secondHalf: (after - half) / half };
}

export async function memorySection(
  mock: Proc,
  contenders: Contender[],
  gen: LoadGen,
  o: MemoryOptions,
): Promise<SectionResult> {
  const proxies = contenders.filter((c) => c.proc !== null);
  const holds: [string, Hold][] = [];
  for (const c of proxies) holds.push([c.label, await hold(mock, c.proc!, c.endpoint, c.headers, o)]);
  if (o.capDemo) {
    const k = contenders.find((c) => c.key === "kestrel")!;
    const proc = await o.capDemo();
    const endpoint = k.endpoint.replace(k.proc!.url, proc.url);
    holds.push(["Kestrel (Bun), default fetch cap", await hold(mock, proc, endpoint, k.headers, o)]);
    await proc.stop();
  }
  const grow: [Contender, Awaited<ReturnType<typeof growth>>][] = [];
  for (const c of proxies) grow.push([c, await growth(c.proc!, c, gen, o.requests, o.settleMs)]);

  const holdRows = holds.map(([label, h]) => [
    label,
    MB(h.idle),
    MB(h.peak),
    MB(h.peak - h.idle),
    String(h.upstreamOpen),
    `${h.openMs} ms`,
    `${h.completed}/${o.streams}${h.failed ? ` (${h.failed} failed)` : ""}`,
  ]);
  const pct = (v: number) => `${v >= 0 ? "+" : ""}${fmt(v * 100, 1)} %`;
  const growRows = grow.map(([c, g]) => [
    c.label,
    g.sent.toLocaleString("en-US"),
    MB(g.before),
    MB(g.half),
    MB(g.after),
    pct(g.growth),
    pct(g.secondHalf),
  ]);
  const k = holds.find(([l]) => l === "Kestrel (Bun, source)")?.[1];
  const bare = holds.find(([l]) => l === "bare Bun proxy")?.[1];
  const kg = grow.find(([c]) => c.key === "kestrel")?.[1];
  const streamMs = o.events * o.gapMs;
  return {
    title: "5. Memory",
    markdown: [
      `${o.streams} streams opened at once over raw sockets (no client pool), each ${o.events} events ${o.gapMs} ms apart`,
      `(~${fmt(streamMs / 1000, 1)} s). RSS sampled every 50 ms. "upstream open" = most streams the mock had open at`,
      "once (a proxy that queues upstream requests shows fewer than the client opened).",
      "",
      table(["contender", "idle RSS (MB)", "peak RSS (MB)", "peak − idle", "upstream open", "all first events after", "completed"], holdRows),
      "",
      `RSS before, halfway through and after ${o.requests.toLocaleString("en-US")} more non-streaming requests at 16`,
      `connections, after every earlier section (warm), each reading ${o.settleMs} ms after the load stops. Growth that`,
      "stops in the second half is allocator/GC/SQLite-cache warm-up, not a leak (the JS heap of an in-process run",
      "stays flat: bench/child/request-cost.ts).",
      "",
      table(["contender", "requests", "RSS before (MB)", "halfway", "after", "growth", "second half"], growRows),
    ].join("\n"),
    targets: [
      {
        target: `RSS ≤ 100 MB with ${o.streams.toLocaleString("en-US")} open streams`,
        measured: k && bare ? `${MB(k.peak)} MB peak (bare: ${MB(bare.peak)} MB), ${k.upstreamOpen} open upstream` : "n/a",
        met: k ? k.peak <= 100 * 2 ** 20 && k.upstreamOpen >= o.streams : null,
      },
      {
        target: `RSS with ${o.streams.toLocaleString("en-US")} open streams ≤ 1.5× bare's`,
        measured: k && bare ? `${(k.peak / bare.peak).toFixed(2)}× (${MB(k.peak)} vs ${MB(bare.peak)} MB)` : "n/a",
        met: k && bare ? k.peak <= 1.5 * bare.peak : null,
      },
      {
        target: `RSS growth < 10 % over ${o.requests.toLocaleString("en-US")} requests`,
        measured: kg
          ? `${pct(kg.growth)} (${MB(kg.before)} → ${MB(kg.after)} MB; second half ${pct(kg.secondHalf)})`
          : "n/a",
        met: kg ? kg.growth < 0.1 : null,
      },
    ],
  };
}
