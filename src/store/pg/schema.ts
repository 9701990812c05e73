/**
 * @module The PostgreSQL schema: the same tables and columns as SQLite's (src/store/schema.ts), so the same rows
 * and queries serve both, versioned in `kestrel_schema_version` and applied under an advisory lock.
 */
import type postgres from "postgres";
import { BACKFILL_PAGE, backfillPage, RollupBackfill } from "../backfill.ts";
import { type RecordColumn, rowToRecord } from "../columns.ts";
import type { Row } from "../db.ts";
import { rollupDdl } from "../rollup.ts";
import { LEVELS, levelBackfillSql, levelDdl } from "../rollup-levels.ts";
import { UNIT_FIELDS } from "../../usage/types.ts";
import { positional, type Sql } from "./connect.ts";
import { PG_CONTROL_MIGRATIONS } from "./control-schema.ts";
import { PARTITION_MIGRATION } from "./partitions.ts";
import { writeRollup } from "./rollup-write.ts";

type Tx = postgres.TransactionSql;

/**
 * A migration: its SQL, and for some a step in TypeScript run right after it, in the same transaction (given the
 * migrator's clock).
 */
export type PgMigration = string | { sql: string; then(tx: Tx, now: number): Promise<void> };
import { PG_RECONCILE_MIGRATIONS } from "./reconcile-schema.ts";
import { KEYS_DDL } from "../../keys/store.ts";

/**
 * `ts` and `id` compare bytewise (COLLATE "C") as in SQLite: keyset cursors and their indexes agree whatever the
 * database's locale. `ts` stays ISO text (canonical, so text order is time order and `substr` buckets work unchanged); booleans stay
 * 0/1 integers. Token counts and `cost_pico` are BIGINT: sums come back as NUMERIC, never overflowing.
 */
const REQUESTS = `CREATE TABLE requests (
    id TEXT COLLATE "C" PRIMARY KEY,
    ts TEXT COLLATE "C" NOT NULL,
    request_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    streaming SMALLINT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    ttfb_ms DOUBLE PRECISION,
    input_tokens BIGINT,
    output_tokens BIGINT,
    total_tokens BIGINT,
    cache_read_tokens BIGINT,
    cache_write_tokens BIGINT,
    cache_write_1h_tokens BIGINT,
    reasoning_tokens BIGINT,
    audio_input_tokens BIGINT,
    audio_output_tokens BIGINT,
    web_search_requests BIGINT,
    usage_source TEXT NOT NULL,
    usage_native TEXT,
    cost_usd TEXT,
    cost_pico BIGINT,
    cost_breakdown TEXT,
    priced SMALLINT NOT NULL,
    price_version TEXT,
    key_id TEXT,
    "user" TEXT,
    project TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    usage_error TEXT
  );
  CREATE INDEX requests_ts ON requests (ts, id);
  CREATE INDEX requests_model_ts ON requests (model, ts, id);
  CREATE INDEX requests_key_id_ts ON requests (key_id, ts, id);
  CREATE INDEX requests_user_ts ON requests ("user", ts, id);
  CREATE INDEX requests_project_ts ON requests (project, ts, id);`;

/** Each column's type as in REQUESTS: the flusher binds one array per column (src/store/pg/pg-store.ts). */
export const COLUMN_TYPES: Readonly<Record<RecordColumn, string>> = {
  id: "text",
  ts: "text",
  request_id: "text",
  provider: "text",
  model: "text",
  method: "text",
  path: "text",
  status: "int4",
  outcome: "text",
  streaming: "int2",
  duration_ms: "float8",
  ttfb_ms: "float8",
  input_tokens: "int8",
  output_tokens: "int8",
  total_tokens: "int8",
  cache_read_tokens: "int8",
  cache_write_tokens: "int8",
  cache_write_1h_tokens: "int8",
  reasoning_tokens: "int8",
  audio_input_tokens: "int8",
  audio_output_tokens: "int8",
  web_search_requests: "int8",
  characters: "int8",
  audio_ms: "int8",
  images: "int8",
  search_queries: "int8",
  request_fees: "int8",
  compute_ms: "int8",
  usage_source: "text",
  usage_native: "text",
  cost_usd: "text",
  cost_pico: "int8",
  cost_breakdown: "text",
  priced: "int2",
  price_version: "text",
  key_id: "text",
  user: "text",
  project: "text",
  tags: "text",
  usage_error: "text",
  session_id: "text",
  response_id: "text",
  close_code: "int4",
  bytes_up: "int8",
  bytes_down: "int8",
  frames_up: "int8",
  frames_down: "int8",
  requested_model: "text",
};

/** Realtime sessions' columns (docs/architecture.md §18), as SQLite's migration of the same name. */
const REALTIME = `ALTER TABLE requests ADD COLUMN session_id TEXT;
  ALTER TABLE requests ADD COLUMN response_id TEXT;
  ALTER TABLE requests ADD COLUMN close_code INTEGER;
  ALTER TABLE requests ADD COLUMN bytes_up BIGINT;
  ALTER TABLE requests ADD COLUMN bytes_down BIGINT;
  ALTER TABLE requests ADD COLUMN frames_up BIGINT;
  ALTER TABLE requests ADD COLUMN frames_down BIGINT;
  CREATE INDEX requests_session ON requests (session_id) WHERE session_id IS NOT NULL;`;

/** Migration N brings the version from N-1 to N. Append only. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  REQUESTS,
  ...PG_CONTROL_MIGRATIONS,
  REALTIME,
  ...PG_RECONCILE_MIGRATIONS,
  // SQLite's migration 7 (src/store/schema.ts): `requested_model`, the rollup filled from the rows already there;
  // and shared counters hold each instance's running totals (src/control/shared.ts): rows already there become
  // the seed's.
  {
    sql: `ALTER TABLE requests ADD COLUMN requested_model TEXT;
    CREATE INDEX requests_requested_model_ts ON requests (requested_model, ts, id);
    ${rollupDdl("BIGINT", `TEXT COLLATE "C"`)}
    ALTER TABLE spend_counters ADD COLUMN instance TEXT NOT NULL DEFAULT 'seed';
    ALTER TABLE spend_counters DROP CONSTRAINT spend_counters_pkey;
    ALTER TABLE spend_counters ADD PRIMARY KEY (key, bucket, instance);`,
    then: backfill,
  },
  // SQLite's migration 8: Kestrel-issued keys and runtime provider secrets (src/keys/store.ts).
  KEYS_DDL,
  // SQLite's migration 9: units that are not tokens (docs/architecture.md §21); a rollup made since the previous
  // migration already has their sums. The five units it shipped with; a later unit has its own migration.
  ["characters", "audio_ms", "images", "search_queries", "request_fees"].map((f) =>
    `ALTER TABLE requests ADD COLUMN ${f} BIGINT;
    ALTER TABLE usage_rollup ADD COLUMN IF NOT EXISTS ${f} BIGINT NOT NULL DEFAULT 0;`
  ).join("\n    "),
  // `requests` range-partitioned by month on `ts`, primary key (id, ts) (docs/architecture.md §17).
  PARTITION_MIGRATION,
  // SQLite's migration 11: compute seconds (Replicate `predict_time`) in milliseconds. A rollup made by migration 7
  // since the unit exists already has its sum; on the partitioned parent the column reaches every partition.
  `ALTER TABLE requests ADD COLUMN compute_ms BIGINT;
    ${UNIT_FIELDS.map((f) => `ALTER TABLE usage_rollup ADD COLUMN IF NOT EXISTS ${f} BIGINT NOT NULL DEFAULT 0;`).join("\n    ")}`,
  // SQLite's migration 12: the coarse rollups (src/store/rollup-levels.ts), filled from the quarter-hour rollup.
  LEVELS.map((level) => `${levelDdl(level, "BIGINT", `TEXT COLLATE "C"`, false)}\n    ${levelBackfillSql(level)}`).join("\n    "),
];

async function backfill(tx: Tx): Promise<void> {
  const models = await tx`SELECT DISTINCT model FROM requests WHERE model IS NOT NULL`;
  for (const [model, requested] of RollupBackfill.requested(models.map((r) => String(r.model)))) {
    await tx`UPDATE requests SET requested_model = ${requested} WHERE model = ${model}`;
  }
  const sums = new RollupBackfill();
  for (let after: { ts: string; id: string } | null = null;;) {
    const { sql, values } = positional(backfillPage(after, BACKFILL_PAGE));
    const rows = (await tx.unsafe(sql, values as never[])) as unknown as Row[];
    const { write, next } = sums.fold(rows.map(rowToRecord));
    await writeRollup(tx, write);
    if (next === null) return;
    after = next;
  }
}
export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** Any constant works; this one spells "kestrel" so it is recognisable in pg_locks. */
const LOCK_KEY = 0x6b657374726c;

/**
 * Brings the database to PG_SCHEMA_VERSION (a test stops at `target`, to build an older database). Instances
 * starting together queue on the advisory lock and re-read the version inside it, so each migration runs once.
 * Throws when the database is newer than this build.
 */
export async function migratePg(sql: Sql, now: number = Date.now(), target = PG_SCHEMA_VERSION): Promise<number> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`CREATE TABLE IF NOT EXISTS kestrel_schema_version (version INTEGER NOT NULL)`;
    const rows = await tx<{ version: number }[]>`SELECT version FROM kestrel_schema_version`;
    let version = rows.length === 0 ? 0 : Number(rows[0]?.version);
    if (rows.length === 0) await tx`INSERT INTO kestrel_schema_version (version) VALUES (0)`;
    if (version > PG_SCHEMA_VERSION) {
      throw new Error(`Database schema version ${version} is newer than this Kestrel supports (${PG_SCHEMA_VERSION})`);
    }
    for (; version < target; version++) {
      const m = PG_MIGRATIONS[version]!;
      await tx.unsafe(typeof m === "string" ? m : m.sql);
      if (typeof m !== "string") await m.then(tx, now);
      await tx`UPDATE kestrel_schema_version SET version = ${version + 1}`;
    }
    return version;
  });
}

/** 0 when Kestrel never wrote this database (the CLI refuses it: a wrong --store). Rejects when it cannot ask. */
export async function pgSchemaVersion(sql: Sql): Promise<number> {
  const rows = await sql<{ version: number }[]>`SELECT version FROM kestrel_schema_version`.catch((err) => {
    if ((err as { code?: unknown }).code === "42P01") return []; // undefined_table
    throw err;
  });
  return rows.length === 0 ? 0 : Number(rows[0]?.version);
}
