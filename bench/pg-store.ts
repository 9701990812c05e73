/**
 * Sustained records/s through Store.add() + the background flusher into PostgreSQL (target ≥ 20,000/s, one
 * instance), next to SQLite's figure from bench/store.ts. Needs Debian's postgresql server binaries; starts a
 * throwaway cluster on loopback (fsync off, as the tests run it: this measures Kestrel's path, not the disk).
 * Run: node_modules/.bin/bun bench/pg-store.ts [records] [rounds] (also: deno run -A bench/pg-store.ts).
 * Producer as in bench/store.ts (1,000 records per event-loop turn, ids and timestamps ascending), but it waits
 * while 20,000 are queued: the writer is slower than the producer, so this measures what the writer sustains.
 */
import { createPgStore } from "../src/store/pg/pg-store.ts";
import { run as runSqlite } from "./store.ts";
import { pgMissing, startPostgres } from "../test/_helpers/postgres.ts";
import { makeRecord } from "../test/store/helpers.ts";

const BURST = 1000;

export interface PgRates {
  sustained: number;
  drain: number;
  written: number;
  dropped: number;
}

/** The producer stays this far ahead of the writer: a faster one would only measure the queue dropping. */
const AHEAD = 20_000;

export async function runPg(url: string, total: number, poolSize = 10): Promise<PgRates> {
  const store = createPgStore(url, { poolSize, onError: (m) => console.error(m) });
  await store.usage({}, "day"); // connected and migrated before the clock starts
  const t0 = performance.now();
  let produced = 0;
  while (produced < total) {
    if (store.stats().queued < AHEAD) {
      for (let k = 0; k < BURST && produced < total; k++, produced++) store.add(makeRecord(produced));
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await store.flush();
  const ms = performance.now() - t0;
  const stats = store.stats();
  await store.close();

  const drainStore = createPgStore(url, { poolSize, onError: (m) => console.error(m) });
  await drainStore.usage({}, "day");
  const count = Math.min(100_000, total);
  const records = Array.from({ length: count }, (_, i) => makeRecord(total + i));
  const d0 = performance.now();
  for (const r of records) drainStore.add(r);
  await drainStore.flush();
  const drainMs = performance.now() - d0;
  await drainStore.close();
  return {
    sustained: Math.round((stats.written / ms) * 1000),
    drain: Math.round((count / drainMs) * 1000),
    written: stats.written,
    dropped: stats.dropped,
  };
}

if (import.meta.main) {
  const missing = pgMissing();
  const total = Number(process.argv[2] ?? 300_000);
  const rounds = Number(process.argv[3] ?? 3);
  if (missing !== null) {
    console.log(JSON.stringify({ total, missing, rounds: [] }));
    process.exit(0);
  }
  const pg = await startPostgres();
  try {
    const results: (PgRates & { sqlite: number })[] = [];
    for (let r = 0; r < rounds; r++) {
      const rates = await runPg(pg.createDatabase(`bench_${r}`), total);
      console.log(
        `postgres round ${r + 1}: ${rates.sustained.toLocaleString("en-US")} records/s sustained ` +
          `(${rates.written.toLocaleString("en-US")} written, ${rates.dropped} dropped); ` +
          `${rates.drain.toLocaleString("en-US")} records/s draining a full queue`,
      );
      // SQLite in the same round, same records, for the side-by-side figure.
      const sqlite = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
        ? await runSqlite("bun:sqlite", (await import("../src/entry/sqlite-bun.ts")).openSqlite, total)
        : await runSqlite("node:sqlite", (await import("../src/entry/sqlite-node.ts")).openSqlite, total);
      results.push({ ...rates, sqlite: sqlite.sustained });
    }
    console.log(JSON.stringify({ total, missing: null, rounds: results }));
  } finally {
    pg.close();
  }
}
