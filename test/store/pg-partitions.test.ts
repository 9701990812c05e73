// PostgreSQL only: `requests` range-partitioned by month (docs/architecture.md §17) — the migration from an unpartitioned
// table, months made ahead, DEFAULT for a clock far off, and retention by whole months.
import assert from "node:assert/strict";
import { after } from "node:test";
import { COLUMN_SQL, RECORD_COLUMNS, recordToParams } from "../../src/store/columns.ts";
import { connectPg, type Sql } from "../../src/store/pg/connect.ts";
import { createMonths, PARTITION_MIGRATION } from "../../src/store/pg/partitions.ts";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { writeRollup } from "../../src/store/pg/rollup-write.ts";
import { migratePg, PG_MIGRATIONS } from "../../src/store/pg/schema.ts";
import { addToRollup, type RollupRow, sortedRollup } from "../../src/store/rollup.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { testNeeding } from "../_helpers/host.ts";
import { pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { makeRecord } from "./helpers.ts";

const missing = pgMissing();
let server: Promise<Postgres> | null = null;
const pg = () => (server ??= startPostgres());
after(async () => {
  if (server !== null) (await server).close();
});

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
/** Record `i` at `iso` (its id keeps `i`, so ids stay distinct). */
const recordAt = (i: number, iso: string): UsageRecord => ({ ...makeRecord(i), ts: new Date(at(iso)).toISOString() });

async function partitions(sql: Sql): Promise<string[]> {
  const rows = await sql`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'requests'::regclass ORDER BY 1`;
  return rows.map((r) => String(r.relname));
}

/** `requests`' indexes by name (a partitioned table's are partitioned indexes, each partition has its own). */
async function indexes(sql: Sql): Promise<string[]> {
  const rows = await sql`SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'requests'::regclass`;
  return rows.map((r) => String(r.name)).sort();
}

const count = async (sql: Sql, table: string) => Number((await sql.unsafe(`SELECT count(*) AS n FROM ${table}`))[0]?.n);
const rollupText = async (sql: Sql) =>
  JSON.stringify(await sql`SELECT * FROM usage_rollup ORDER BY ts, provider, model, key_id, "user", project, tags, outcome`);

testNeeding("migrating an unpartitioned database keeps every row, every column and the rollup", missing, async () => {
  const url = (await pg()).createDatabase("migrate");
  const sql = connectPg(url, { poolSize: 1 });
  try {
    await migratePg(sql, Date.now(), PG_MIGRATIONS.indexOf(PARTITION_MIGRATION)); // the version just before it
    // Rows in four months, one with a `ts` no month takes, written as the flusher wrote them then.
    const records = [
      ...[0, 1, 2].map((i) => recordAt(i, "2026-08-31T23:59:59.999Z")),
      ...[3, 4].map((i) => recordAt(i, "2026-09-01T00:00:00.000Z")),
      recordAt(5, "2026-10-15T10:00:00.000Z"),
      { ...recordAt(6, "2026-11-30T12:00:00.000Z"), tags: ["prod", "eval"], user: "alice" },
      { ...makeRecord(7), ts: "not a time" },
    ];
    const sums = new Map<string, RollupRow>();
    // The columns of that version: `compute_ms` comes in a later migration.
    const then = RECORD_COLUMNS.flatMap((c, i) => (c === "compute_ms" ? [] : [i]));
    const columns = COLUMN_SQL.split(", ").filter((_, i) => then.includes(i)).join(", ");
    for (const r of records) {
      const values = recordToParams(r).filter((_, i) => then.includes(i));
      await sql.unsafe(`INSERT INTO requests (${columns}) VALUES (${then.map((_, i) => `$${i + 1}`).join(", ")})`, values as never[]);
      addToRollup(sums, r);
    }
    await writeRollup(sql, sortedRollup(sums));
    const rowsBefore = JSON.stringify(await sql`SELECT * FROM requests ORDER BY id`);
    const indexesBefore = await indexes(sql);
    const rollupBefore = await rollupText(sql);

    await migratePg(sql, at("2026-11-20T00:00:00Z"), PG_MIGRATIONS.indexOf(PARTITION_MIGRATION) + 1);
    assert.equal(JSON.stringify(await sql`SELECT * FROM requests ORDER BY id`), rowsBefore);
    assert.equal(await rollupText(sql), rollupBefore);
    assert.deepEqual(await indexes(sql), indexesBefore, "every index made again, by name");
    assert.equal((await sql`SELECT relkind FROM pg_class WHERE oid = 'requests'::regclass`)[0]?.relkind, "p");
    // The months with rows, the current one and two ahead, and DEFAULT (which took "not a time").
    assert.deepEqual(await partitions(sql), [
      "requests_2026_08",
      "requests_2026_09",
      "requests_2026_10",
      "requests_2026_11",
      "requests_2026_12",
      "requests_2027_01",
      "requests_default",
    ]);
    assert.equal(await count(sql, "requests_2026_08"), 3);
    assert.equal(await count(sql, "requests_2026_09"), 2);
    assert.equal(await count(sql, "requests_default"), 1);
    const keys = await sql`SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
      AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'requests'::regclass AND i.indisprimary ORDER BY a.attname`;
    assert.deepEqual(keys.map((r) => r.attname), ["id", "ts"]);
    // The migrations after it (compute_ms) reach the partitioned parent and every partition; the rows are kept.
    await migratePg(sql, at("2026-11-20T00:00:00Z"));
    assert.equal(await count(sql, "requests_2026_08"), 3);
    const nulls = await sql`SELECT count(*) AS n FROM requests_2026_08 WHERE compute_ms IS NULL`;
    assert.equal(Number(nulls[0]?.n), 3);

    // The store reads and writes the migrated table: a lookup by id, a retried record skipped, a reprice.
    const store = createPgStore(url, { poolSize: 2, now: () => at("2026-11-20T00:00:00Z") });
    try {
      assert.equal((await store.getRequest(records[6]!.id))?.user, "alice");
      store.add(records[6]!);
      store.add(recordAt(8, "2026-11-21T00:00:00.000Z"));
      await store.flush();
      assert.equal(await count(sql, "requests"), records.length + 1);
      const changed = await store.updateCosts([
        { id: records[5]!.id, cost_usd: "1", cost_pico: 1_000_000_000_000, cost_breakdown: null, priced: true, price_version: "t" },
        { id: "no-such-id", cost_usd: "1", cost_pico: 1, cost_breakdown: null, priced: true, price_version: "t" },
      ]);
      assert.equal(changed, 1);
      assert.equal((await store.getRequest(records[5]!.id))?.cost_pico, 1_000_000_000_000);
    } finally {
      await store.close();
    }
  } finally {
    await sql.end();
  }
});

testNeeding("a record dated three years ahead is stored in DEFAULT and moves to its month when that is made", missing, async () => {
  const url = (await pg()).createDatabase("future");
  const now = Date.now();
  const store = createPgStore(url, { poolSize: 2, now: () => now });
  const sql = connectPg(url, { poolSize: 1 });
  try {
    const future = { ...makeRecord(1), ts: new Date(now + 3 * 365 * DAY).toISOString() };
    store.add(future);
    store.add({ ...makeRecord(2), ts: new Date(now).toISOString() });
    await store.flush();
    assert.deepEqual(store.stats(), { queued: 0, written: 2, dropped: 0, write_errors: 0 });
    assert.equal(await count(sql, "requests_default"), 1);
    assert.equal((await store.getRequest(future.id))?.ts, future.ts);

    // Three years on, the daily upkeep makes that month: the row leaves DEFAULT for it.
    const made = await createMonths(sql, Date.parse(future.ts));
    assert.equal(made[0], future.ts.slice(0, 7));
    assert.equal(await count(sql, "requests_default"), 0);
    assert.equal(await count(sql, `requests_${future.ts.slice(0, 7).replace("-", "_")}`), 1);
    assert.equal((await store.getRequest(future.id))?.id, future.id);
    assert.deepEqual(await createMonths(sql, Date.parse(future.ts)), [], "made once");
  } finally {
    await sql.end();
    await store.close();
  }
});

/** Nine records from August to December 2026 and one in 1999 (DEFAULT), in months a server running since August made. */
async function retentionDatabase(name: string) {
  const url = (await pg()).createDatabase(name);
  const store = createPgStore(url, { poolSize: 2, now: () => at("2026-12-05T12:00:00Z") });
  const sql = connectPg(url, { poolSize: 2 });
  await store.usage({}, "day"); // migrated
  await createMonths(sql, at("2026-08-10T00:00:00Z"));
  await createMonths(sql, at("2026-10-10T00:00:00Z"));
  const times = [
    "2026-08-02T00:00:00.000Z",
    "2026-08-31T23:59:59.999Z",
    "2026-09-15T00:00:00.000Z",
    "2026-10-01T00:00:00.000Z", // before the cutoff: trimmed
    "2026-10-14T23:00:00.000Z", // before the cutoff: trimmed
    "2026-10-16T00:00:00.000Z", // after: kept
    "2026-11-10T00:00:00.000Z",
    "2026-12-01T00:00:00.000Z",
    "1999-01-01T00:00:00.000Z", // a clock far off, in DEFAULT: deleted
  ];
  times.forEach((ts, i) => store.add(recordAt(i, ts)));
  await store.flush();
  const before = await store.usage({}, "day");
  assert.equal(before.total.requests, times.length);
  return { store, sql, before };
}

/** 51.5 days before 2026-12-05T12:00Z: the cutoff is 2026-10-15T00:00Z. */
const RETENTION_DAYS = 51.5;
const KEPT = ["requests_2026_10", "requests_2026_11", "requests_2026_12", "requests_2027_01", "requests_2027_02", "requests_default"];

testNeeding("retention drops whole old months, trims the month straddling the cutoff, and keeps the rollup", missing, async () => {
  const { store, sql, before } = await retentionDatabase("retention");
  try {
    assert.equal(await store.prune(RETENTION_DAYS), 6);
    assert.deepEqual(await partitions(sql), KEPT);
    assert.equal(await count(sql, "requests_2026_10"), 1);
    assert.equal(await count(sql, "requests_default"), 0);
    assert.deepEqual(await store.usage({}, "day"), before, "the rollup keeps the money");
    assert.equal(await store.prune(RETENTION_DAYS), 0);
  } finally {
    await sql.end();
    await store.close();
  }
});

testNeeding("a month whose lock stays busy is emptied row by row, then dropped whole the next time", missing, async () => {
  const { store, sql, before } = await retentionDatabase("retention_busy");
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  // A long read of August (an export, say): its lock conflicts with the drop, not with deleting rows.
  const reader = sql.begin(async (tx) => {
    await tx.unsafe("LOCK TABLE requests_2026_08 IN ACCESS SHARE MODE");
    locked();
    await held;
  });
  try {
    await isLocked;
    assert.equal(await store.prune(RETENTION_DAYS), 6, "every row counted once, whichever way it went");
    assert.ok((await partitions(sql)).includes("requests_2026_08"));
    release();
    await reader;
    assert.equal(await count(sql, "requests_2026_08"), 0);
    assert.equal(await store.prune(RETENTION_DAYS), 0);
    assert.deepEqual(await partitions(sql), KEPT);
    assert.deepEqual(await store.usage({}, "day"), before);
  } finally {
    release();
    await reader;
    await sql.end();
    await store.close();
  }
});
