/**
 * The plans of the queries Kestrel runs on PostgreSQL's partitioned `requests` (docs/architecture.md §17): seeds N
 * records over 90 days (bench/seed.ts), then prints `EXPLAIN (ANALYZE, BUFFERS)` for the listing page, a deep
 * listing page, the usage report's raw edge, an export page, a lookup by id and reprice's two statements, each as
 * a custom plan (values known when planning, as for postgres.js's first runs of a prepared statement) and, where
 * it differs, a generic one (pruning at run time). Starts a throwaway cluster on loopback.
 *   bun bench/pg-plans.ts [records]
 */
import type { SqlValue } from "../src/store/db.ts";
import { connectPg, positional } from "../src/store/pg/connect.ts";
import { OLD_SQL, UPDATE_SQL } from "../src/store/pg/pg-store.ts";
import { exportPageQuery, GET_SQL, listQuery, type Query } from "../src/store/queries.ts";
import { usageQuery } from "../src/store/usage-query.ts";
import { seededPostgres } from "./lib/pg-seeded.ts";

const records = Number(process.argv[2] ?? 300_000);
const { server, url, now } = await seededPostgres(records, "plans");
const sql = connectPg(url, { poolSize: 1 });
await sql`ANALYZE`;
const ago = (days: number) => new Date(now - days * 86_400_000).toISOString();
const [mid] = await sql`SELECT id, ts FROM requests WHERE ts >= ${ago(45)} ORDER BY ts LIMIT 1`;
const cursor = { ts: String(mid!.ts), id: String(mid!.id) };
// A `since` that is not on a quarter hour: the report reads raw rows from it to the first whole bucket.
const since = new Date(now - 30 * 86_400_000 - 7 * 60_000 - 13_000).toISOString();

/** Thrown to end explain()'s transaction with a rollback (an UPDATE explained leaves nothing behind). */
class Rollback {
  constructor(readonly lines: string[]) {}
}

async function explain(title: string, text: string, values: SqlValue[], generic = false): Promise<void> {
  const out = await sql.begin(async (tx) => {
    if (generic) await tx.unsafe("SET LOCAL plan_cache_mode = force_generic_plan");
    await tx.unsafe(`PREPARE q AS ${text}`);
    const list = values.map((v) => (v === null ? "NULL" : `'${String(v).replaceAll("'", "''")}'`)).join(", ");
    const rows = await tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE q${values.length > 0 ? `(${list})` : ""}`);
    await tx.unsafe("DEALLOCATE q");
    throw new Rollback(rows.map((r) => String(r["QUERY PLAN"])));
  }).catch((err) => {
    if (err instanceof Rollback) return err.lines;
    throw err;
  });
  console.log(`### ${title}${generic ? " (generic plan)" : ""}\n${text.replace(/\s+/g, " ").slice(0, 160)}…\n${out.join("\n")}\n`);
}

const show = async (title: string, q: Query, generic = false) => {
  const { sql: text, values } = positional(q);
  await explain(title, text, values, generic);
};
await show("list page, newest first", listQuery({}, { limit: 50, before: null }));
await show("list page 45 days back", listQuery({}, { limit: 50, before: cursor }));
await show("list page 45 days back", listQuery({}, { limit: 50, before: cursor }), true);
await show("list page, one user, 30 days", listQuery({ user: "user-7", since: ago(30) }, { limit: 50, before: null }));
await show("usage since=30d (unaligned) group_by=model: rollup plus raw edge", usageQuery({ since }, "model"));
await show("export page after a cursor", exportPageQuery({ since: ago(60) }, cursor, 1000));
await show("lookup by id", { sql: GET_SQL, params: { id: cursor.id } });
await explain("reprice: old rows by id", OLD_SQL, [`{${cursor.id}}`]);
const update = [null, 1, null, 1, "plans", cursor.id, cursor.ts];
await explain("reprice: update by id and ts", UPDATE_SQL, update);
await explain("reprice: update by id and ts", UPDATE_SQL, update, true);
await sql.end();
server.close();
