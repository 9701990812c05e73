/**
 * Where a PostgreSQL export's time goes (issue 24), per 1,000-record page, over a seeded cluster: the page query's
 * plan and server time (EXPLAIN ANALYZE with a real cursor), then every page of a whole-table export timed stage by
 * stage on this thread — the query as postgres.js answers it (server, wire, and the driver turning each row into
 * an object; this process's CPU beside it), `rowToRecord`, CSV formatting, UTF-8 encoding.
 *   bun bench/pg-export-profile.ts [records]       seeds a throwaway cluster (bench/lib/pg-seeded.ts)
 *   bun bench/pg-export-profile.ts --url URL       an already seeded database
 */
import postgres from "postgres";
import { readFileSync } from "node:fs";
import { rowToRecord } from "../src/store/columns.ts";
import type { Row } from "../src/store/db.ts";
import { createExportFormatter } from "../src/store/export-format.ts";
import { positional } from "../src/store/pg/positional.ts";
import { exportPageQuery } from "../src/store/queries.ts";
import { seededPostgres } from "./lib/pg-seeded.ts";

const PAGE = 1000;
const urlAt = process.argv.indexOf("--url");
const seeded = urlAt >= 0 ? null : await seededPostgres(Number(process.argv[2] ?? 1_000_000), "export");
const url = urlAt >= 0 ? process.argv[urlAt + 1]! : seeded!.url;
const sql = postgres(url, { max: 2, onnotice: () => {} });
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
type Cursor = { ts: string; id: string } | null;
const query = (after: Cursor) => positional(exportPageQuery({}, after, PAGE));

// The plan of a page in the middle of the table, with its cursor.
const [mid] = await sql`SELECT ts, id FROM requests ORDER BY ts, id OFFSET ${500_000} LIMIT 1`;
const q = query(mid ? { ts: String(mid.ts), id: String(mid.id) } : null);
for (let i = 0; i < 3; i++) await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.values as never[]); // warm
const plan = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.values as never[]);
console.log(plan.map((r) => r["QUERY PLAN"]).join("\n"));

/** Every page of the whole table; stage times in ms summed, then per 1,000 records. */
async function profile(mode: "objects" | "values"): Promise<void> {
  const t = { query: 0, queryCpu: 0, toRecord: 0, csv: 0, encode: 0, server: 0 };
  const formatter = createExportFormatter("csv");
  const encoder = new TextEncoder();
  let after: Cursor = null;
  let rows = 0;
  let pages = 0;
  const wall = performance.now();
  for (;;) {
    const { sql: text, values } = query(after);
    const c0 = process.cpuUsage();
    const s0 = performance.now();
    const result = mode === "values"
      ? await sql.unsafe(text, values as never[]).values()
      : await sql.unsafe(text, values as never[]);
    const s1 = performance.now();
    const cpu = process.cpuUsage(c0);
    t.query += s1 - s0;
    t.queryCpu += (cpu.user + cpu.system) / 1000;
    pages++;
    if (result.length === 0) break;
    rows += result.length;
    if (mode === "values") {
      const last = result[result.length - 1] as unknown as unknown[];
      after = { ts: String(last[1]), id: String(last[0]) };
    } else {
      const records = (result as unknown as Row[]).map(rowToRecord);
      const s2 = performance.now();
      const page = formatter.page(records);
      const s3 = performance.now();
      encoder.encode(page);
      const s4 = performance.now();
      t.toRecord += s2 - s1;
      t.csv += s3 - s2;
      t.encode += s4 - s3;
      const last = records[records.length - 1]!;
      after = { ts: last.ts, id: last.id };
    }
    if (result.length < PAGE) break;
  }
  const seconds = (performance.now() - wall) / 1000;
  const per = (ms: number) => (ms / rows * 1000).toFixed(2);
  console.log(
    `| ${mode} | ${rows.toLocaleString("en-US")} in ${pages} pages | ${per(t.query)} (CPU ${per(t.queryCpu)}) | ` +
      `${mode === "values" ? "— | — | —" : `${per(t.toRecord)} | ${per(t.csv)} | ${per(t.encode)}`} | ` +
      `${Math.round(rows / seconds).toLocaleString("en-US")}/s | ${load()} |`,
  );
}

// Server time alone, every 50th page of the table: EXPLAIN ANALYZE's execution time (no rows sent).
async function serverTime(): Promise<void> {
  let after: Cursor = null;
  const times: number[] = [];
  for (let page = 0;; page++) {
    const { sql: text, values } = query(after);
    const rows = await sql.unsafe(text, values as never[]).values();
    if (page % 50 === 0) {
      const [line] = (await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values as never[])) as unknown as {
        "QUERY PLAN": { "Execution Time": number; "Planning Time": number }[];
      }[];
      const p = line!["QUERY PLAN"][0]!;
      times.push(p["Execution Time"] + p["Planning Time"]);
    }
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1] as unknown as unknown[];
    after = { ts: String(last[1]), id: String(last[0]) };
  }
  times.sort((a, b) => a - b);
  const q = (f: number) => times[Math.floor(f * (times.length - 1))]!.toFixed(2);
  console.log(`server time per page (planning + execution), ${times.length} pages sampled: median ${q(0.5)} ms, p90 ${q(0.9)}, max ${q(1)} (load ${load()})`);
}

console.log("| rows as | records | query ms / 1,000 (this process's CPU in it) | rowToRecord | CSV | encode | records/s | load |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (let round = 0; round < 2; round++) {
  await profile("objects");
  await profile("values");
}
await serverTime();
await sql.end();
seeded?.server.close();
