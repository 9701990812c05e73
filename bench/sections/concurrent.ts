/**
 * @module Section 3: closed-loop throughput at 1, 16 and 64 connections, small JSON responses with usage.
 * Rounds go level by level and contender by contender (order rotated each round); ratios are taken per round.
 */
import { BODY, type Contender, configureMock } from "../lib/contenders.ts";
import type { LoadGen, LoadResult } from "../lib/load.ts";
import type { Proc } from "../lib/proc.ts";
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

  const results: Record<string, Record<number, LoadResult[]>> = {};
  for (const c of contenders) results[c.key] = Object.fromEntries(o.levels.map((l) => [l, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const level of o.levels) {
      const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]!);
      for (const c of order) results[c.key]![level]!.push(await gen.run(job(c, level, o.seconds)));
    }
  }

  const series = (key: string, level: number, f: (x: LoadResult) => number) => results[key]![level]!.map(f);
  const ratio = (a: string, b: string, level: number) =>
    summarize(pairwise(series(a, level, (x) => x.rps), series(b, level, (x) => x.rps), (x, y) => x / y));
  const sections: string[] = [];
  for (const level of o.levels) {
    const rows = contenders.map((c) => [
      c.label,
      fmtSummary(summarize(series(c.key, level, (x) => x.rps)), 0),
      fmtSummary(summarize(series(c.key, level, (x) => x.p50)), 2),
      fmtSummary(summarize(series(c.key, level, (x) => x.p99)), 2),
      c.key === "bare" ? "1" : fmtSummary(ratio(c.key, "bare", level), 2, "×"),
      c.key === "portkey" ? "1" : fmtSummary(ratio(c.key, "portkey", level), 2, "×"),
      String(series(c.key, level, (x) => x.errors).reduce((a, b) => a + b, 0)),
    ]);
    sections.push(
      `**${level} connection${level === 1 ? "" : "s"}**`,
      "",
      table(["contender", "requests/s", "p50 (ms)", "p99 (ms)", "× bare", "× Portkey", "errors"], rows),
      "",
    );
  }
  const top = o.levels[o.levels.length - 1]!;
  const targets = o.levels.flatMap((level) => {
    const vsBare = ratio("kestrel", "bare", level);
    const vsPortkey = ratio("kestrel", "portkey", level);
    return [
      { target: `concurrent RPS ≥ 0.9× bare (${level} conn.)`, measured: fmtSummary(vsBare, 2, "×"), met: vsBare.median >= 0.9 },
      { target: `concurrent RPS ≥ 3× Portkey (${level} conn.)`, measured: fmtSummary(vsPortkey, 2, "×"), met: vsPortkey.median >= 3 },
    ];
  });
  const rps = Object.fromEntries(contenders.map((c) => [c.key, summarize(series(c.key, top, (x) => x.rps)).median]));
  return {
    title: "3. Proxy, concurrent: throughput",
    markdown: [
      `${gen.version}; ${o.rounds} rounds × ${fmt(o.seconds, 0)} s per contender and level, after a`,
      `${fmt(o.warmupSeconds, 0)} s warm-up at 16 connections. Ratios are computed per round, then summarized.`,
      "",
      ...sections,
    ].join("\n"),
    targets,
    rps,
  };
}
