/** @module Section 6: records/s through the store's queue + flusher into SQLite, vs direct batched inserts. */
import { BUN, CPU, run } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";
import { fmtSummary, summarize } from "../lib/stats.ts";

interface Round {
  sustained: number;
  drain: number;
  raw: number;
  dropped: number;
}

export async function storeSection(o: { records: number; rounds: number }): Promise<SectionResult> {
  const out = await run(CPU.proxy, BUN, ["bench/child/store.ts", String(o.records), String(o.rounds)]);
  const { rounds } = JSON.parse(out.trim().split("\n").pop()!) as { rounds: Round[] };
  const sustained = summarize(rounds.map((r) => r.sustained));
  const ratio = summarize(rounds.map((r) => r.sustained / r.raw));
  const dropped = rounds.reduce((n, r) => n + r.dropped, 0);
  return {
    title: "6. Store",
    markdown: [
      `${o.records.toLocaleString("en-US")} records per round, ${o.rounds} rounds, bun:sqlite (WAL, synchronous=NORMAL), one`,
      "thread. Sustained: `Store.add()` 1,000 per event-loop turn (as request completions arrive) until every record is",
      "committed by the background flusher (bench/store.ts). Baseline: the same rows inserted directly, 1,000 per",
      `transaction. Dropped records: ${dropped}.`,
      "",
      table(["path", "records/s"], [
        ["Store.add() + flusher, sustained", fmtSummary(sustained, 0)],
        ["flusher draining a full queue", fmtSummary(summarize(rounds.map((r) => r.drain)), 0)],
        ["baseline: direct batched INSERT", fmtSummary(summarize(rounds.map((r) => r.raw)), 0)],
        ["sustained / baseline", fmtSummary(ratio, 2, "×")],
      ]),
    ].join("\n"),
    targets: [
      {
        target: "≥ 50,000 records/s into SQLite",
        measured: `${fmtSummary(sustained, 0)} /s (${fmtSummary(ratio, 2, "×")} direct inserts)`,
        met: sustained.median >= 50_000 && dropped === 0,
      },
    ],
  };
}
