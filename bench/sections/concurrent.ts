/**
 * @module Section 3: closed-loop throughput at 1, 16 and 64 connections, small JSON responses with usage.
 * Rounds go level by level and contender by contender (order rotated each round); ratios are taken per round.
 */
import { BODY, type Contender, configureMock } from "../lib/contenders.ts";
import type { LoadGen, LoadResult } from "../lib/load.ts";
import { type Proc, threadCpu } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";
import { fmt, fmtSummary, pairwise, summarize } from "../lib/stats.ts";

export interface ConcurrentOptions {
  levels: number[];
  rounds: number;
  seconds: number;
  warmupSeconds: number;
}

export async function concurrentSection(
  mock: Proc,
  contenders: Contender[],
  gen: LoadGen,
  o: ConcurrentOptions,
): Promise<SectionResult & { rps: Record<string, number> }> {
  await configureMock(mock, { events: 12, gapMs: 0, streamBytes: 0, delayMs: 0 });
  const job = (c: Contender, connections: number, seconds: number) => ({
    url: c.endpoint,
    headers: c.headers,
    body: BODY.json,
    connections,
    seconds,
  });
  if (o.warmupSeconds > 0) for (const c of contenders) await gen.run(job(c, 16, o.warmupSeconds));

  const results: Record<string, Record<number, Measured[]>> = {};
  for (const c of contenders) results[c.key] = Object.fromEntries(o.levels.map((l) => [l, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const level of o.levels) {
      const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]!);
      for (const c of order) results[c.key]![level]!.push(await measured(c, () => gen.run(job(c, level, o.seconds))));
    }
  }

  const series = (key: string, level: number, f: (x: Measured) => number) => results[key]![level]!.map(f);
  const ratio = (a: string, b: string, level: number) =>
    summarize(pairwise(series(a, level, (x) => x.rps), series(b, level, (x) => x.rps), (x, y) => x / y));
  const sections: string[] = [];
  for (const level of o.levels) {
    const rows = contenders.map((c) => [
      c.label,
      fmtSummary(summarize(series(c.key, level, (x) => x.rps)), 0),
      fmtSummary(summarize(series(c.key, level, (x) => x.p50)), 2),
      fmtSummary(summarize(series(c.key, level, (x) => x.p99)), 2),
      cpuCell(series(c.key, level, (x) => x.mainUs)),
      cpuCell(series(c.key, level, (x) => x.othersUs)),
      c.key === "bare" ? "1" : fmtSummary(ratio(c.key, "bare", level), 2, "×"),
      c.key === "portkey" ? "1" : fmtSummary(ratio(c.key, "portkey", level), 2, "×"),
      String(series(c.key, level, (x) => x.errors).reduce((a, b) => a + b, 0)),
    ]);
    sections.push(
      `**${level} connection${level === 1 ? "" : "s"}**`,
      "",
      table(["contender", "requests/s", "p50 (ms)", "p99 (ms)", "CPU µs/req, main thread", "CPU µs/req, other threads", "× bare", "× Portkey", "errors"], rows),
      "",
    );
  }
  const top = o.levels[o.levels.length - 1]!;
  const cpuRatio = (f: (x: Measured) => number) =>
    summarize(pairwise(series("kestrel", top, f), series("bare", top, f), (x, y) => x / y));
  const mainRatio = cpuRatio((x) => x.mainUs);
  const wholeRatio = cpuRatio((x) => x.mainUs + x.othersUs);
  const targets = [
    { target: `event-loop CPU per request ≤ 1.5× bare (${top} conn.)`, measured: fmtSummary(mainRatio, 2, "×"), met: mainRatio.median <= 1.5 },
    { target: `whole-process CPU per request ≤ 2× bare (${top} conn.)`, measured: fmtSummary(wholeRatio, 2, "×"), met: wholeRatio.median <= 2 },
    ...o.levels.flatMap((level) => {
    const vsBare = ratio("kestrel", "bare", level);
    const vsPortkey = ratio("kestrel", "portkey", level);
    return [
      { target: `concurrent RPS ≥ 0.9× bare (${level} conn.)`, measured: fmtSummary(vsBare, 2, "×"), met: vsBare.median >= 0.9 },
      { target: `concurrent RPS ≥ 3× Portkey (${level} conn.)`, measured: fmtSummary(vsPortkey, 2, "×"), met: vsPortkey.median >= 3 },
    ];
    }),
  ];
  const rps = Object.fromEntries(contenders.map((c) => [c.key, summarize(series(c.key, top, (x) => x.rps)).median]));
  return {
    title: "3. Proxy, concurrent: throughput",
    markdown: [
      `${gen.version}; ${o.rounds} rounds × ${fmt(o.seconds, 0)} s per contender and level, after a`,
      `${fmt(o.warmupSeconds, 0)} s warm-up at 16 connections. Ratios are computed per round, then summarized.`,
      "CPU per request is the proxy's own (every thread, from /proc/PID/task/*/stat around each run, 10 ms ticks):",
      "the main thread runs the event loop; work on other threads (Bun's HTTP client, Deno's tokio workers, a",
      "store worker) shows in the second column.",
      "",
      ...sections,
    ].join("\n"),
    targets,
    rps,
  };
}

/** A load run plus the proxy's CPU µs per request, main thread and the rest (NaN for the mock, which is no proxy). */
type Measured = LoadResult & { mainUs: number; othersUs: number };

async function measured(c: Contender, fn: () => Promise<LoadResult>): Promise<Measured> {
  const before = c.proc === null ? null : threadCpu(c.proc.pid);
  const result = await fn();
  if (before === null || result.requests === 0) return { ...result, mainUs: NaN, othersUs: NaN };
  const after = threadCpu(c.proc!.pid);
  const per = (s: number) => (s * 1e6) / result.requests;
  return { ...result, mainUs: per(after.main - before.main), othersUs: per(after.others - before.others) };
}

const cpuCell = (values: number[]) => (values.some(Number.isNaN) ? "—" : fmtSummary(summarize(values), 1));
