/**
 * How long the partitioning migration (src/store/pg/partitions.ts) takes: N narrow synthetic rows over 90 days in
 * an unpartitioned `requests` (the schema just before the partitioning migration), then the rest, timed. Real records carry
 * JSON columns and are wider, so this is a lower bound. Starts a throwaway cluster on loopback.
 *   bun bench/pg-migrate.ts [rows]
 */
import { connectPg } from "../src/store/pg/connect.ts";
import { PARTITION_MIGRATION } from "../src/store/pg/partitions.ts";
import { migratePg, PG_MIGRATIONS } from "../src/store/pg/schema.ts";
import { startPostgres } from "../test/_helpers/postgres.ts";

const n = Number(process.argv[2] ?? 1_000_000);
const server = await startPostgres();
const sql = connectPg(server.createDatabase("migrate"), { poolSize: 1 });
await migratePg(sql, Date.now(), PG_MIGRATIONS.indexOf(PARTITION_MIGRATION)); // the version just before it
const now = Date.now();
await sql.unsafe(`INSERT INTO requests (id, ts, request_id, provider, model, requested_model, method, path, status,
  outcome, streaming, duration_ms, input_tokens, output_tokens, total_tokens, usage_source, priced, cost_pico, key_id,
  "user", project, tags)
  SELECT lpad(to_hex(g), 26, '0'),
    to_char(to_timestamp(${now / 1000} - 90 * 86400 + g * (90 * 86400.0 / ${n})) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'req_' || g, 'openai', 'gpt-4o', 'gpt-4o', 'POST', '/v1/chat/completions', 200, 'ok', 1, 100, 1000, 100, 1100,
    'reported', 1, 12345, 'k' || (g % 800), 'user-' || (g % 400), 'project-' || (g % 40), '["prod"]'
  FROM generate_series(1, ${n}) g`);
await sql`ANALYZE requests`;
const t = performance.now();
await migratePg(sql, now);
const seconds = (performance.now() - t) / 1000;
const [{ rows }] = (await sql`SELECT count(*) AS rows FROM requests`) as unknown as [{ rows: number }];
console.log(`${rows.toLocaleString("en-US")} rows partitioned in ${seconds.toFixed(1)} s: ${Math.round(n / seconds).toLocaleString("en-US")} rows/s`);
await sql.end();
server.close();
