/**
 * Records at scale on PostgreSQL (issue 24): seeds N records through the PostgreSQL store's flusher (bench/seed.ts,
 * rollup on), then times the reports, a listing page and an export, and sizes the tables. Starts a throwaway cluster
 * on loopback (fsync off, as the tests run it: Kestrel's path, not the disk).
 *   bun bench/pg-scale.ts [records]
 */
import postgres from "postgres";
import { createPgStore } from "../src/store/pg/pg-store.ts";
import { seededPostgres } from "./lib/pg-seeded.ts";
import { LEVELS } from "../src/store/rollup-levels.ts";

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
const out: [string, string][] = [[`inserts/s, ${records.toLocaleString("en-US")} records, rollup on`, `${Math.round(rate).toLocaleString("en-US")}/s`]];
out.push(["/api/usage?since=30d&group_by=model", `${(await median(() => store.usage({ since: ago(30) }, "model"))).toFixed(0)} ms`]);
out.push(["/api/usage?since=7d&group_by=hour,model", `${(await median(() => store.usage({ since: ago(7) }, ["hour", "model"]))).toFixed(0)} ms`]);
out.push(["/api/requests first page (50)", `${(await median(() => store.listRequests({}, { limit: 50, before: null }))).toFixed(1)} ms`]);
const deep = { ts: ago(45), id: "~" }; // a cursor 45 days back ("~" sorts after every id)
out.push(["/api/requests page 45 days back (50)", `${(await median(() => store.listRequests({}, { limit: 50, before: deep }))).toFixed(1)} ms`]);
let exported = 0;
const es = performance.now();
for await (const page of store.exportRows({ since: ago(30) })) exported += page.length;
out.push(["export (30 days)", `${Math.round(exported / ((performance.now() - es) / 1000)).toLocaleString("en-US")} records/s`]);
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
const [sizes] = await sql`SELECT pg_total_relation_size('usage_rollup') AS rollup, (SELECT count(*) FROM usage_rollup) AS rollup_rows`;
const after = await size();
const levels = await Promise.all(LEVELS.map(async (l) => Number((await sql.unsafe(`SELECT count(*) AS n FROM ${l.table}`))[0]!.n)));
await sql.end();
const mb = (b: unknown) => Math.round((Number(b) / records) * 1e6 / 2 ** 20);
out.push(["rollup rows: quarter hour / day / hour", [Number(sizes!.rollup_rows), ...levels].map((n) => n.toLocaleString("en-US")).join(" / ")]);
out.push(["disk per 10^6 records: raw rows (with indexes) / rollup", `${mb(before)} MB / ${mb(sizes!.rollup)} MB`]);
out.push(["raw rows on disk after the prune (a DELETE frees nothing until vacuumed)", `${Math.round(after / 2 ** 20)} MB`]);
server.close();
console.log(out.map(([a, b]) => `| ${a} | ${b} |`).join("\n"));
