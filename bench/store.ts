/**
 * Sustained records/s through Store.add() + the background flusher into a SQLite file (target ≥ 50,000/s).
 * Run: node_modules/.bin/bun bench/store.ts [records] (also: deno run -A bench/store.ts).
 * Records are produced 1,000 per event-loop turn, as request completions would arrive, so the flusher's
 * timers interleave with the producer; the clock stops when every record is committed. Ids and timestamps
 * ascend as ULIDs do in production (random ids would measure B-tree page splits, not the store).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OpenSqlite } from "../src/store/db.ts";
import { createStore } from "../src/store/store.ts";
import { makeRecord } from "../test/store/helpers.ts";

const DEFAULT_TOTAL = Number(process.argv[2] ?? 300_000);
const BURST = 1000;

export interface StoreRates {
  sustained: number;
  drain: number;
  written: number;
  dropped: number;
}

export async function run(name: string, open: OpenSqlite, TOTAL = DEFAULT_TOTAL): Promise<StoreRates> {
  const dir = mkdtempSync(join(tmpdir(), "kestrel-bench-"));
  const path = join(dir, "bench.db");
  const store = createStore(open(path), { onError: (m) => console.error(m) });
  const t0 = performance.now();
  let produced = 0;
  let maxQueued = 0;
  while (produced < TOTAL) {
    for (let k = 0; k < BURST && produced < TOTAL; k++, produced++) {
      store.add(makeRecord(produced));
    }
    maxQueued = Math.max(maxQueued, store.stats().queued);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const produceMs = performance.now() - t0;
  await store.flush();
  const totalMs = performance.now() - t0;
  const stats = store.stats();
  await store.close();
  const rate = Math.round((stats.written / totalMs) * 1000);
  const drain = await drainRate(open, dir, Math.min(100_000, TOTAL));
  console.log(
    `${name.padEnd(12)} ${rate.toLocaleString("en-US").padStart(9)} records/s sustained ` +
      `(${stats.written.toLocaleString("en-US")} in ${totalMs.toFixed(0)} ms; add() loop ${produceMs.toFixed(0)} ms; ` +
      `max queued ${maxQueued}; dropped ${stats.dropped}; write errors ${stats.write_errors})`,
  );
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `${"".padEnd(12)} ${
      drain.toLocaleString("en-US").padStart(9)
    } records/s background drain of a full queue (writer only)`,
  );
  return { sustained: rate, drain, written: stats.written, dropped: stats.dropped };
}

/** `count` (100,000) records enqueued at once; the background flusher alone empties the queue (one batch per turn). */
async function drainRate(open: OpenSqlite, dir: string, count: number): Promise<number> {
  const store = createStore(open(join(dir, "drain.db")));
  const records = Array.from({ length: count }, (_, i) => makeRecord(i));
  const t0 = performance.now();
  for (const r of records) store.add(r);
  while (store.stats().queued > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const ms = performance.now() - t0;
  await store.close();
  return Math.round((records.length / ms) * 1000);
}

if (import.meta.main) {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
    await run("bun:sqlite", (await import("../src/entry/sqlite-bun.ts")).openSqlite);
  }
  await run("node:sqlite", (await import("../src/entry/sqlite-node.ts")).openSqlite);
}
