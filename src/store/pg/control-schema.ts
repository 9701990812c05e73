/**
 * @module Spend control's tables on PostgreSQL: SQLite's migration 2 (src/store/schema.ts) translated. The spend-control
 * side of the PostgreSQL store appends its own migrations after these; never edit a shipped entry.
 */

export const PG_CONTROL_MIGRATIONS: readonly string[] = [
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
    version BIGINT NOT NULL
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
];
