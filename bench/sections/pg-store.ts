/** @module Section 6b: records/s through the store's queue + flusher into PostgreSQL, next to SQLite in the same rounds. */
import { BUN, run } from "../lib/proc.ts";
import { type SectionResult, table } from "../lib/report.ts";
import { fmtSummary, summarize } from "../lib/stats.ts";

interface Round {
  sustained: number;
  drain: number;
  dropped: number;
  sqlite: number;
}

export async function pgStoreSection(o: { records: number; rounds: number }): Promise<SectionResult> {
  // Not pinned: the PostgreSQL server is a child of this process and would share the pinned core.
  const out = await run(null, BUN, ["bench/pg-store.ts", String(o.records), String(o.rounds)]);
  const result = JSON.parse(out.trim().split("\n").pop()!) as { missing: string | null; rounds: Round[] };
  const title = "6b. Store on PostgreSQL";
  if (result.missing !== null) {
    return {
      title,
      markdown: `Not measured: bench/pg-store.ts ${result.missing}.`,
      targets: [{ target: "≥ 20,000 records/s into PostgreSQL", measured: "not measured", met: null }],
    };
  }
  const { rounds } = result;
  const sustained = summarize(rounds.map((r) => r.sustained));
  const dropped = rounds.reduce((n, r) => n + r.dropped, 0);
  return {
    title,
    markdown: [
      `${o.records.toLocaleString("en-US")} records per round, ${o.rounds} rounds, one Kestrel store (pool of 10) into a`,
      "throwaway PostgreSQL cluster on loopback, on the same machine (fsync off: Kestrel's path, not the disk). Sustained:",
      "`Store.add()` 1,000 per event-loop turn while fewer than 20,000 wait, until every record is committed",
      "(bench/pg-store.ts); drain: a full queue of 100,000 emptied by the flusher. SQLite: bench/store.ts's sustained",
      `rate in the same round. Dropped records: ${dropped}.`,
      "",
      table(["path", "records/s"], [
        ["PostgreSQL: Store.add() + flusher, sustained", fmtSummary(sustained, 0)],
        ["PostgreSQL: flusher draining a full queue", fmtSummary(summarize(rounds.map((r) => r.drain)), 0)],
        ["SQLite: Store.add() + flusher, sustained", fmtSummary(summarize(rounds.map((r) => r.sqlite)), 0)],
      ]),
    ].join("\n"),
    targets: [
      {
        target: "≥ 20,000 records/s into PostgreSQL (one instance)",
        measured: `${fmtSummary(sustained, 0)} /s`,
        met: sustained.median >= 20_000 && dropped === 0,
      },
    ],
  };
}
