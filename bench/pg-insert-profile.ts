/**
 * Where one flush batch's time goes on PostgreSQL (issue 24): seeds N records (bench/seed.ts's mix) in 10,000-record
 * batches, doing writeBatch's steps (src/store/pg/pg-store.ts) one by one with a clock around each.
 *   bun bench/pg-insert-profile.ts [records]
 */
import { startPostgres } from "../test/_helpers/postgres.ts";
import { seedRecords } from "./seed.ts";
import { createPgStore } from "../src/store/pg/pg-store.ts";
import { connectPg } from "../src/store/pg/connect.ts";
import { createMonths } from "../src/store/pg/partitions.ts";
import { COLUMN_SQL, recordToParams } from "../src/store/columns.ts";
import { addToRollup, sortedRollup, type RollupRow } from "../src/store/rollup.ts";
import { writeRollups } from "../src/store/pg/rollup-write.ts";
import { copyInsert, copyLine } from "../src/store/pg/copy-in.ts";

const N = Number(process.argv[2] ?? 200_000);
const server = await startPostgres();
const url = server.createDatabase("prof");
const now = Date.now();
const store = createPgStore(url, { poolSize: 1 });
await store.usage({}, "day");
await store.close();
const sql = connectPg(url, { poolSize: 2 });
await createMonths(sql, now - 90 * 86_400_000, 5);
const t: Record<string, number> = { gen: 0, params: 0, insert: 0, insertCpu: 0, rollupJs: 0, rollupSql: 0, rollupCpu: 0, commit: 0 };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let clock = performance.now();
const lap = (k: string) => {
  const n = performance.now();
  t[k]! += n - clock;
  clock = n;
};
const t0 = performance.now();
const gen = seedRecords({ records: N, days: 90, seed: 1, now });
for (;;) {
  clock = performance.now();
  const next = gen.next();
  if (next.done) break;
  const batch = next.value;
  lap("gen");
  let text = "";
  for (const r of batch) text += copyLine(recordToParams(r));
  lap("params");
  await sql.begin(async (tx) => {
    let c0 = cpu();
    const inserted = new Set((await copyInsert(tx, "requests", COLUMN_SQL, text, "ON CONFLICT (id, ts) DO NOTHING RETURNING id")).map((r) => String(r.id)));
    t.insertCpu! += cpu() - c0;
    lap("insert");
    const sums = new Map<string, RollupRow>();
    for (const r of batch) if (inserted.has(r.id)) addToRollup(sums, r);
    const rows = sortedRollup(sums);
    lap("rollupJs");
    c0 = cpu();
    await writeRollups(tx, rows);
    t.rollupCpu! += cpu() - c0;
    lap("rollupSql");
  });
  lap("commit");
}
const total = performance.now() - t0;
console.log(`${N} records: ${Math.round(N / (total / 1000))}/s; ms per 10k batch:`, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v / (N / 10000))])));
await sql.end();
server.close();
