/**
 * Records at scale on PostgreSQL (issue 24): seeds N records through the PostgreSQL store's flusher (bench/seed.ts,
 * rollup on), then times the reports, a listing page and an export, and sizes the tables. Starts a throwaway cluster
 * on loopback (fsync off, as the tests run it: Kestrel's path, not the disk).
 *   bun bench/pg-scale.ts [records]
 */
import postgres from "postgres";
import { createPgStore } from "../src/store/pg/pg-store.ts";
import { pgMissing, startPostgres } from "../test/_helpers/postgres.ts";
import { seed } from "./seed.ts";

const records = Number(process.argv[2] ?? 300_000);
const missing = pgMissing();
if (missing !== null) {
  console.error(`PostgreSQL: ${missing}`);
  process.exit(1);
}
const server = await startPostgres();
const url = server.createDatabase("scale");
const now = Date.now();
const { rate } = await seed(url, { records, days: 90, seed: 1, now }, (line) => console.error(line));
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
let exported = 0;
const es = performance.now();
for await (const page of store.exportRows({ since: ago(30) })) exported += page.length;
out.push(["export (30 days)", `${Math.round(exported / ((performance.now() - es) / 1000)).toLocaleString("en-US")} records/s`]);
await store.close();
const sql = postgres(url, { max: 1 });
const [sizes] = await sql`SELECT pg_total_relation_size('requests') AS raw, pg_total_relation_size('usage_rollup') AS rollup,
  (SELECT count(*) FROM usage_rollup) AS rollup_rows`;
await sql.end();
const mb = (b: unknown) => Math.round((Number(b) / records) * 1e6 / 2 ** 20);
out.push(["rollup rows", Number(sizes!.rollup_rows).toLocaleString("en-US")]);
out.push(["disk per 10^6 records: raw rows (with indexes) / rollup", `${mb(sizes!.raw)} MB / ${mb(sizes!.rollup)} MB`]);
server.close();
console.log(out.map(([a, b]) => `| ${a} | ${b} |`).join("\n"));
