/**
 * @module `requests` on PostgreSQL, range-partitioned by month on `ts` (docs/architecture.md §17): the migration
 * that converts the table, the upkeep that makes months ahead, and retention by whole months.
 *
 * `ts` is canonical ISO text in byte order (COLLATE "C"), so a month's bounds are plain text: '2026-11-01' to
 * '2026-12-01' holds every `2026-11-…T…Z`. Rows no month holds (a clock far off, a `ts` that is not canonical)
 * land in the DEFAULT partition: an insert never fails for lack of a partition.
 */
import type postgres from "postgres";
import type { Sql } from "./connect.ts";

type Tx = postgres.TransactionSql;

const DEFAULT_PARTITION = "requests_default";
/** Months kept ready after the current one (the migration and the daily upkeep make them). */
const AHEAD = 2;
/** A month we make a partition for: four-digit years only, so both bounds stay canonical text. */
const MONTH = /^[1-9]\d{3}-(0[1-9]|1[0-2])$/;
const NAME = /^requests_(\d{4})_(\d{2})$/;
/**
 * DDL on the live table waits at most this long for its lock and then gives up until the next run: a waiting
 * ACCESS EXCLUSIVE request would queue every insert and read behind it. Nothing breaks meanwhile (DEFAULT takes
 * the rows; the chunked delete trims what a drop left).
 */
const LOCK_TIMEOUT = "2s";
const LOCK_NOT_AVAILABLE = "55P03";

const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);

function nextMonth(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  // Date.UTC's month is 0-based, so `m` (1-based) is the next one; years from 1000 on are never mapped to 19xx.
  return new Date(Date.UTC(year, m, 1)).toISOString().slice(0, 7);
}

const partitionName = (month: string) => `requests_${month.replace("-", "_")}`;
const bounds = (month: string) => `FROM ('${month}-01') TO ('${nextMonth(month)}-01')`;

/** `count` months from the one `from` falls in (UTC): by default the current one and the AHEAD after it. */
function monthsFrom(from: number, count = AHEAD + 1): string[] {
  const months = [monthOf(from)];
  while (months.length < count) months.push(nextMonth(months[months.length - 1]!));
  return months;
}

/** `requests`' columns, named and quoted, in table order (copies name them rather than rely on `*`). */
async function columnsOf(tx: Tx): Promise<string> {
  const rows = await tx`SELECT attname FROM pg_attribute
    WHERE attrelid = 'requests'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
  return rows.map((r) => `"${String(r.attname)}"`).join(", ");
}

/**
 * The migration (src/store/pg/schema.ts PG_MIGRATIONS): a partitioned copy of `requests` with a partition for
 * every month its rows fall in plus the months ahead, every row moved by named columns, the old table dropped and
 * the copy renamed. The primary key holds the partition key, as PostgreSQL requires: `(id, ts)`. The old table's
 * other indexes are made again, by their own definitions, on the parent after the copy (one bulk build per
 * partition, not row by row); each partition gets its own.
 */
export const PARTITION_MIGRATION = {
  sql: `CREATE TABLE requests_by_month (LIKE requests INCLUDING DEFAULTS) PARTITION BY RANGE (ts);
    CREATE TABLE ${DEFAULT_PARTITION} PARTITION OF requests_by_month DEFAULT;`,
  async then(tx: Tx, now: number): Promise<void> {
    const columns = await columnsOf(tx);
    const found = (await tx`SELECT DISTINCT left(ts, 7) AS month FROM requests`).map((r) => String(r.month));
    for (const month of new Set([...found, ...monthsFrom(now)])) {
      if (!MONTH.test(month)) continue; // DEFAULT holds it
      await tx.unsafe(`CREATE TABLE ${partitionName(month)} PARTITION OF requests_by_month FOR VALUES ${bounds(month)}`);
    }
    await tx.unsafe(`INSERT INTO requests_by_month (${columns}) SELECT ${columns} FROM requests`);
    // `CREATE INDEX requests_ts ON public.requests USING btree (ts, id)` and the like: valid again once the old
    // table is gone and the copy has its name.
    const indexes = await tx`SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index
      WHERE indrelid = 'requests'::regclass AND NOT indisprimary ORDER BY indexrelid`;
    await tx.unsafe(`DROP TABLE requests;
      ALTER TABLE requests_by_month RENAME TO requests;
      ALTER TABLE requests ADD PRIMARY KEY (id, ts);`);
    for (const { def } of indexes) await tx.unsafe(String(def));
  },
};

/**
 * Makes the partitions for `count` months from `from` that do not exist yet (the current month and the two after
 * it, at startup and daily; bench/seed.ts also makes the months of the history it writes); the months made. Rows
 * DEFAULT already holds for such a month (a clock that ran ahead) move into it first, since PostgreSQL refuses a
 * partition whose rows sit in DEFAULT. A standalone table attached afterwards, rather than `CREATE TABLE …
 * PARTITION OF`, because attaching locks the parent only against other DDL (SHARE UPDATE EXCLUSIVE), not against
 * inserts and reads.
 */
export async function createMonths(sql: Sql, from: number, count = AHEAD + 1): Promise<string[]> {
  const made: string[] = [];
  for (const month of monthsFrom(from, count)) {
    const name = partitionName(month);
    if (await exists(sql, name)) continue; // the daily case: no lock taken
    const created = await sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      // Holds off inserts routed to DEFAULT (reads go on) and serialises instances doing this at once.
      await tx.unsafe(`LOCK TABLE ${DEFAULT_PARTITION} IN EXCLUSIVE MODE`);
      if (await exists(tx, name)) return false;
      const columns = await columnsOf(tx);
      await tx.unsafe(`CREATE TABLE ${name} (LIKE requests INCLUDING DEFAULTS)`);
      await tx.unsafe(
        `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE ts >= $1 AND ts < $2 RETURNING ${columns})
         INSERT INTO ${name} (${columns}) SELECT ${columns} FROM moved`,
        [`${month}-01`, `${nextMonth(month)}-01`],
      );
      await tx.unsafe(`ALTER TABLE requests ATTACH PARTITION ${name} FOR VALUES ${bounds(month)}`);
      return true;
    });
    if (created) made.push(month);
  }
  return made;
}

async function exists(sql: Sql | Tx, name: string): Promise<boolean> {
  return (await sql`SELECT to_regclass(${name}) IS NOT NULL AS found`)[0]?.found === true;
}

const PRUNE_CHUNK = 5000;

/**
 * Retention: drops every month that lies wholly before `cutoff` (no row-by-row delete, no vacuum debt), then
 * deletes rows before it in 5,000-row statements, which partition pruning keeps to the month straddling the cutoff
 * and DEFAULT (and a month whose drop met a busy lock: it goes row by row now and whole tomorrow). The rows removed.
 */
export async function pruneRequests(sql: Sql, cutoff: string): Promise<number> {
  const parts = await sql`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'requests'::regclass`;
  const old = parts.map((r) => String(r.relname)).filter((name) => {
    const m = NAME.exec(name);
    return m !== null && `${nextMonth(`${m[1]}-${m[2]}`)}-01` <= cutoff;
  }).sort();
  let total = 0;
  for (const name of old) total += await dropMonth(sql, name);
  for (;;) {
    const result = await sql.unsafe(
      `DELETE FROM requests WHERE ts < $1
       AND (id, ts) IN (SELECT id, ts FROM requests WHERE ts < $1 ORDER BY ts LIMIT ${PRUNE_CHUNK})`,
      [cutoff],
    );
    total += result.count;
    if (result.count < PRUNE_CHUNK) return total;
  }
}

/** Counts a month's rows and drops it, both under its lock so no row goes uncounted; 0 when the lock is busy. */
async function dropMonth(sql: Sql, name: string): Promise<number> {
  try {
    return await sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      await tx.unsafe(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
      const [row] = await tx.unsafe(`SELECT count(*) AS n FROM ${name}`);
      await tx.unsafe(`DROP TABLE ${name}`);
      return Number(row?.n ?? 0);
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return 0;
    throw err;
  }
}
