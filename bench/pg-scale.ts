/**
 * Records at scale on PostgreSQL (issue 24): seeds N records through the PostgreSQL store's flusher (bench/seed.ts,
 * rollup on), then times the reports, listing pages, a 10,000-record batch appended after the N, and an export (with
 * the process's RSS sampled on every page), and sizes the tables. Starts a throwaway cluster on loopback (fsync off,
 * as the tests run it: Kestrel's path, not the disk). Each row is printed as soon as it is measured.
 *   bun bench/pg-scale.ts [records]
 */
import postgres from "postgres";
import { createPgStore } from "../src/store/pg/pg-store.ts";
import { seededPostgres } from "./lib/pg-seeded.ts";
import { LEVELS } from "../src/store/rollup-levels.ts";
import { seedRecords } from "./seed.ts";
import { readFileSync } from "node:fs";

const records = Number(process.argv[2] ?? 300_000);
const { server, url, now, rate } = await seededPostgres(records, "scale");
const store = createPgStore(url, { poolSize: 4 });
const ago = (days: number) => new Date(now - days * 86_400_000).toISOString();
const median = async (fn: () => Promise<unknown>) => {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[2]!;
};
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
// Printed as measured, with the load average then: a long run that dies late keeps what it measured.
const out = { push: ([what, figure]: [string, string]) => console.log(`| ${what} | ${figure} | ${load()} |`) };
out.push([`inserts/s, ${records.toLocaleString("en-US")} records, rollup on`, `${Math.round(rate).toLocaleString("en-US")}/s`]);
out.push(["/api/usage?since=30d&group_by=model", `${(await median(() => store.usage({ since: ago(30) }, "model"))).toFixed(0)} ms`]);
out.push(["/api/usage?since=7d&group_by=hour,model", `${(await median(() => store.usage({ since: ago(7) }, ["hour", "model"]))).toFixed(0)} ms`]);
out.push(["/api/requests first page (50)", `${(await median(() => store.listRequests({}, { limit: 50, before: null }))).toFixed(1)} ms`]);
const deep = { ts: ago(45), id: "~" }; // a cursor 45 days back ("~" sorts after every id)
out.push(["/api/requests page 45 days back (50)", `${(await median(() => store.listRequests({}, { limit: 50, before: deep }))).toFixed(1)} ms`]);
// One more batch after the N, as the flusher writes it (10,000 records dated after the seeded ones).
const appender = createPgStore(url, { poolSize: 2, batchSize: 10_000, maxQueue: 20_000 });
await appender.usage({}, "day"); // connected and migrated before the clock starts
const [extra] = [...seedRecords({ records: 10_000, days: 0.01, seed: 2, now: now + 60_000 }, 10_000)];
const as = performance.now();
for (const r of extra!) appender.add(r);
await appender.flush();
out.push(["one 10,000-record batch appended after them", `${((performance.now() - as) / 1000).toFixed(2)} s (${Math.round(10_000 / ((performance.now() - as) / 1000)).toLocaleString("en-US")} records/s)`]);
await appender.close();
let exported = 0;
const mib = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const rss = { start: mib(), max: 0, end: 0 };
const es = performance.now();
for await (const page of store.exportRows({ since: ago(30) })) {
  exported += page.length;
  rss.max = Math.max(rss.max, mib());
}
rss.end = mib();
out.push(["export (30 days)", `${Math.round(exported / ((performance.now() - es) / 1000)).toLocaleString("en-US")} records/s (${exported.toLocaleString("en-US")} records)`]);
out.push(["RSS during the export: before / highest / after", `${rss.start} / ${rss.max} / ${rss.end} MiB`]);
const sql = postgres(url, { max: 1 });
// Every partition's size (a partitioned parent has none of its own); an unpartitioned table has no tree.
const size = async () =>
  Number((await sql`SELECT COALESCE((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('requests')),
    pg_total_relation_size('requests')) AS b`)[0]!.b);
const before = await size();
// Retention of 60 days: a month and more of the 90 go (whole months where partitioned, then the straddling part).
const ps = performance.now();
const pruned = await store.prune(60);
out.push(["--retention-days 60 (prune once)", `${pruned.toLocaleString("en-US")} rows in ${((performance.now() - ps) / 1000).toFixed(1)} s`]);
await store.close();
const [sizes] = await sql`SELECT pg_total_relation_size('usage_rollup') + pg_total_relation_size('usage_rollup_hour')
  + pg_total_relation_size('usage_rollup_day') AS rollup, (SELECT count(*) FROM usage_rollup) AS rollup_rows`;
const after = await size();
const levels = await Promise.all(LEVELS.map(async (l) => Number((await sql.unsafe(`SELECT count(*) AS n FROM ${l.table}`))[0]!.n)));
await sql.end();
const mb = (b: unknown) => Math.round((Number(b) / records) * 1e6 / 2 ** 20);
out.push(["rollup rows: quarter hour / day / hour", [Number(sizes!.rollup_rows), ...levels].map((n) => n.toLocaleString("en-US")).join(" / ")]);
out.push(["disk per 10^6 records: raw rows (with indexes) / rollups (all three levels)", `${mb(before)} MB / ${mb(sizes!.rollup)} MB`]);
out.push(["raw rows on disk after the prune (a DELETE frees nothing until vacuumed)", `${Math.round(after / 2 ** 20)} MB`]);
server.close();
