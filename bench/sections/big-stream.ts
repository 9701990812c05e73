/** @module Section 4: wall time to stream one long SSE body (usage at the end) through each contender. */
import { BODY, type Contender, configureMock } from "../lib/contenders.ts";
import type { Proc } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";
import { fmt, fmtSummary, pairwise, summarize } from "../lib/stats.ts";
import { runClient } from "./sequential.ts";

export async function bigStreamSection(
  mock: Proc,
  contenders: Contender[],
  o: { bytes: number; rounds: number },
): Promise<SectionResult> {
  await configureMock(mock, { streamBytes: o.bytes, gapMs: 0, delayMs: 0 });
  const rounds = await runClient(contenders, BODY.stream, { rounds: o.rounds, perRound: 1, warmup: 1, expectUsage: true });
  await configureMock(mock, { streamBytes: 0 });
  const wall = (key: string) => rounds.map((r) => r[key]![0]!.ttlb);
  const bytes = rounds[0]!.direct![0]!.bytes;
  const rows = contenders.map((c) => [
    c.label,
    fmtSummary(summarize(wall(c.key)), 0),
    fmtSummary(summarize(wall(c.key).map((ms) => bytes / 1e6 / (ms / 1000))), 0),
    c.key === "bare" ? "1" : fmtSummary(summarize(pairwise(wall(c.key), wall("bare"), (a, b) => a / b)), 2, "×"),
  ]);
  const k = summarize(pairwise(wall("kestrel"), wall("bare"), (a, b) => a / b));
  return {
    title: "4. One long stream",
    markdown: [
      `One SSE response of ${fmt(bytes / 1e6, 1)} MB (recorded chat deltas, usage chunk at the end), 64 KiB`,
      `writes from the mock; ${o.rounds} rounds, one stream per contender per round, interleaved. The client and`,
      "the mock share the load CPU, so direct is not faster than a proxy on its own CPU.",
      "",
      table(["contender", "wall time (ms)", "MB/s", "× bare's time"], rows),
    ].join("\n"),
    targets: [{ target: `${fmt(bytes / 1e6, 0)} MB stream wall time ≤ 1.25× bare's`, measured: fmtSummary(k, 2, "×"), met: k.median <= 1.25 }],
  };
}
