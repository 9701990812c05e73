/** @module The `requests` schema, versioned by `PRAGMA user_version`, and connection settings. */
import { BACKFILL_PAGE, backfillPage, RollupBackfill } from "./backfill.ts";
import { rowToRecord } from "./columns.ts";
import type { Db } from "./db.ts";
import { ROLLUP_COLUMN_SQL, ROLLUP_INSERT_SQL, rollupDdl, rollupParams } from "./rollup.ts";
import { LEVELS, levelBackfillSql, levelDdl } from "./rollup-levels.ts";
import { KEYS_DDL } from "../keys/store.ts";
import { UNIT_FIELDS } from "../usage/types.ts";

/** The unit columns migration 9 added to `requests`; later units have their own migrations. */
const FIRST_UNITS = ["characters", "audio_ms", "images", "search_queries", "request_fees"] as const;

/** A migration: its SQL, and for some a step in TypeScript run right after it, in the same transaction. */
export type Migration = string | { sql: string; then(db: Db): void };

/**
 * Migration N (1-based) brings user_version from N-1 to N. Append only; never edit a shipped entry.
 * Types are SQLite's; the queries elsewhere stay portable (a PostgreSQL backend has its own DDL).
 * Every listing, export and prune walks `(ts, id)` in order, so each index ends with `ts, id`: the filter
 * and the keyset order use one index and no query sorts its matches.
 */
export const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    ts TEXT NOT NULL,
    request_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    streaming INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    ttfb_ms REAL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    total_tokens INTEGER,
    cache_read_tokens INTEGER,
    cache_write_tokens INTEGER,
    cache_write_1h_tokens INTEGER,
    reasoning_tokens INTEGER,
    audio_input_tokens INTEGER,
    audio_output_tokens INTEGER,
    web_search_requests INTEGER,
    usage_source TEXT NOT NULL,
    usage_native TEXT,
    cost_usd TEXT,
    cost_pico INTEGER,
    cost_breakdown TEXT,
    priced INTEGER NOT NULL,
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
  CREATE INDEX requests_project_ts ON requests (project, ts, id);`,
  // Spend control: definitions (JSON, as the API shows them), a counter bumped by every definition write so
  // another process's change (the CLI) is seen by polling, and the alerts claimed once across restarts.
  `CREATE TABLE budgets (
    id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE rate_limits (
    id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE definitions_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
  );
  INSERT INTO definitions_version (id, version) VALUES (1, 0);
  CREATE TABLE alert_outbox (
    key TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    delivered_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX alert_outbox_pending ON alert_outbox (claimed_at, key) WHERE delivered_at IS NULL;`,
  // Alert delivery per (alert, webhook), so a restart resumes exactly what is left (src/store/alert-outbox.ts):
  // `hook` is a fingerprint of the webhook's format and URL, times are epoch ms, `next_at` is when the next
  // attempt is due, `lease_until` holds it for the instance attempting it, `done_at` ends it (`outcome`
  // delivered or expired). From here `alert_outbox.delivered_at` is set when the first webhook took the alert;
  // `alert_outbox.attempts` is no longer written.
  `CREATE TABLE alert_deliveries (
    alert_key TEXT NOT NULL,
    hook TEXT NOT NULL,
    host TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    lease_until INTEGER,
    claimed_by TEXT,
    last_error TEXT,
    done_at INTEGER,
    outcome TEXT,
    PRIMARY KEY (alert_key, hook)
  );
  CREATE INDEX alert_deliveries_due ON alert_deliveries (hook, created_ms, alert_key) WHERE done_at IS NULL;
  CREATE INDEX alert_deliveries_age ON alert_deliveries (created_ms) WHERE done_at IS NULL;`,
  // Realtime sessions (docs/architecture.md §18): the session a record belongs to, and the session record's close
  // code and traffic both ways. Null for HTTP requests.
  `ALTER TABLE requests ADD COLUMN session_id TEXT;
  ALTER TABLE requests ADD COLUMN response_id TEXT;
  ALTER TABLE requests ADD COLUMN close_code INTEGER;
  ALTER TABLE requests ADD COLUMN bytes_up INTEGER;
  ALTER TABLE requests ADD COLUMN bytes_down INTEGER;
  ALTER TABLE requests ADD COLUMN frames_up INTEGER;
  ALTER TABLE requests ADD COLUMN frames_down INTEGER;
  CREATE INDEX requests_session ON requests (session_id) WHERE session_id IS NOT NULL;`,
  // Reconciliation (docs/architecture.md §19): what the providers' admin APIs reported, per day, replaced whole
  // at every re-pull (restatements); the providers' key lists; and each Kestrel key fingerprint's hint (first 16
  // and last 4 characters, never the key). '' stands for "none" in key columns. Money is integer pico-USD.
  `CREATE TABLE reconcile_days (
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    pulled_at TEXT NOT NULL,
    costs INTEGER NOT NULL,
    PRIMARY KEY (provider, day)
  );
  CREATE TABLE reconcile_usage (
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    project TEXT NOT NULL,
    service_tier TEXT NOT NULL,
    context_window TEXT NOT NULL,
    requests INTEGER,
    input_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    audio_input_tokens INTEGER NOT NULL,
    audio_output_tokens INTEGER NOT NULL,
    web_search_requests INTEGER NOT NULL,
    units TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (provider, day, model, api_key_id, project, service_tier, context_window)
  );
  CREATE TABLE reconcile_costs (
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    line TEXT NOT NULL,
    model TEXT NOT NULL,
    kind TEXT NOT NULL,
    service_tier TEXT NOT NULL,
    project TEXT NOT NULL,
    amount_pico INTEGER NOT NULL,
    PRIMARY KEY (provider, day, line, model, kind, service_tier, project)
  );
  CREATE TABLE reconcile_keys (
    provider TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    hint TEXT NOT NULL,
    name TEXT,
    project TEXT NOT NULL,
    PRIMARY KEY (provider, api_key_id)
  );
  CREATE TABLE reconcile_key_hints (
    provider TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    hint TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (provider, fingerprint)
  );`,
  // Key hints become digests (docs/architecture.md §19): the plain hints (a key's first 16 and last 4 characters)
  // and the providers' masked keys stored so far are key characters, so they go, zeroed in the file too; each comes
  // back as digests at the key's next sighting and the next pull. ON then OFF: SQLite's default is off.
  `PRAGMA secure_delete = ON;
  DELETE FROM reconcile_key_hints;
  DELETE FROM reconcile_keys;
  PRAGMA secure_delete = OFF;
  ALTER TABLE reconcile_key_hints RENAME COLUMN hint TO digests;
  ALTER TABLE reconcile_keys RENAME COLUMN hint TO digest;`,
  // A request's attributes are stored as computed at admission (`requested_model` beside the billed `model`), and
  // the rollup that spend control rebuilds from, filled from the rows already there (src/store/backfill.ts).
  {
    sql: `ALTER TABLE requests ADD COLUMN requested_model TEXT;
  CREATE INDEX requests_requested_model_ts ON requests (requested_model, ts, id);
  ${rollupDdl("INTEGER", "TEXT")}`,
    then: backfill,
  },
  // Kestrel-issued keys (src/keys/store.ts): hashes, never secrets.
  KEYS_DDL,
  // Units that are not tokens (docs/architecture.md §21). The rollup of a file created since migration 7 already
  // has their sums (its DDL is made from USAGE_FIELDS); an older file's rollup gets them here. The requests columns
  // are the five this migration shipped with: a unit added later comes in its own migration.
  {
    sql: FIRST_UNITS.map((f) => `ALTER TABLE requests ADD COLUMN ${f} INTEGER;`).join("\n  "),
    then: addMissingRollupSums,
  },
  // The rollup clustered by its key (time first): a report's range is one sequential stretch of the table instead of
  // an index walk with a row lookup each, and an upsert touches one b-tree, not two (docs/architecture.md §8).
  // Columns named: an upgraded file's rollup got the unit columns last (migration 9), a new one's in place. The copy
  // names today's columns, so a rollup made before a later unit existed gets that sum first (0, as it was).
  {
    sql: "",
    then(db: Db): void {
      addMissingRollupSums(db);
      db.exec(`${rollupDdl("INTEGER", "TEXT").replace("CREATE TABLE usage_rollup (", "CREATE TABLE usage_rollup_clustered (").replace(/;\s*$/, " WITHOUT ROWID;")}
  INSERT INTO usage_rollup_clustered (${ROLLUP_COLUMN_SQL}) SELECT ${ROLLUP_COLUMN_SQL} FROM usage_rollup;
  DROP TABLE usage_rollup;
  ALTER TABLE usage_rollup_clustered RENAME TO usage_rollup;`);
    },
  },
  // Compute seconds (Replicate `predict_time`, docs/architecture.md §21), in milliseconds.
  { sql: "ALTER TABLE requests ADD COLUMN compute_ms INTEGER;", then: addMissingRollupSums },
  // The coarse rollups, hour and day × provider × model × outcome (src/store/rollup-levels.ts), filled from the
  // quarter-hour rollup: a 30-day report reads thousands of rows instead of millions (docs/architecture.md §8).
  LEVELS.map((level) => `${levelDdl(level, "INTEGER", "TEXT", true)}\n  ${levelBackfillSql(level)}`).join("\n  "),
];

/** The rollup's unit sums it lacks (a rollup made before a unit existed), added at 0: what it summed so far. */
function addMissingRollupSums(db: Db): void {
  const have = new Set(db.prepare<{ name: string }>("PRAGMA table_info(usage_rollup)").all().map((r) => r.name));
  for (const f of UNIT_FIELDS) {
    if (!have.has(f)) db.exec(`ALTER TABLE usage_rollup ADD COLUMN ${f} INTEGER NOT NULL DEFAULT 0`);
  }
}

function backfill(db: Db): void {
  const models = db.prepare<{ model: string }>("SELECT DISTINCT model FROM requests WHERE model IS NOT NULL").all();
  const set = db.prepare("UPDATE requests SET requested_model = ? WHERE model = ?");
  for (const [model, requested] of RollupBackfill.requested(models.map((r) => r.model))) set.run([requested, model]);
  const insert = db.prepare(ROLLUP_INSERT_SQL);
  const sums = new RollupBackfill();
  for (let after: { ts: string; id: string } | null = null;;) {
    const q = backfillPage(after, BACKFILL_PAGE);
    const { write, next } = sums.fold(db.prepare(q.sql).all(q.params).map(rowToRecord));
    for (const row of write) insert.run(rollupParams(row));
    if (next === null) return;
    after = next;
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Per-connection settings. WAL lets CLI readers work while the server writes; NORMAL is durable to the last
 * checkpoint and never corrupts (≈10× faster than FULL: docs/architecture.md §11). Tolerates a read-only file.
 */
export function configure(db: Db, busyTimeoutMs?: number): void {
  if (busyTimeoutMs !== undefined) db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  try {
    db.exec("PRAGMA journal_mode = WAL");
  } catch {
    // A read-only file cannot switch modes; reads still work, and writes report their own error.
  }
  db.exec("PRAGMA synchronous = NORMAL");
}

export function schemaVersion(db: Db): number {
  const row = db.prepare<{ user_version: number }>("PRAGMA user_version").get();
  return Number(row?.user_version ?? 0);
}

/**
 * Brings the file to SCHEMA_VERSION; idempotent and safe against a concurrent migrator (the version is
 * re-read inside BEGIN IMMEDIATE). Throws when the file is newer than this build.
 */
export function migrate(db: Db): void {
  const seen = schemaVersion(db);
  if (seen > SCHEMA_VERSION) {
    throw new Error(`Database schema version ${seen} is newer than this Kestrel supports (${SCHEMA_VERSION})`);
  }
  if (seen === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let v = schemaVersion(db); v < SCHEMA_VERSION; v++) {
      const m = MIGRATIONS[v]!;
      const sql = typeof m === "string" ? m : m.sql;
      if (sql !== "") db.exec(sql);
      if (typeof m !== "string") m.then(db);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    }
  });
}
