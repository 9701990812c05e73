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
  // Spend shared by every instance (docs/architecture.md §12). `spend_counters` holds each budget window's (or
  // rolling bucket's, or rate-limit second's) sums, a = pico-USD or requests, b = tokens, added to atomically by
  // every instance; `key` is the definition's JSON, so a changed definition counts afresh. `spend_generations`
  // records which budget keys were seeded from `requests`, once across instances. `expires` (epoch ms) lets old
  // rows be pruned. An alert is delivered by the instance holding its lease (epoch ms); another takes it over
  // once the lease has run out.
  `CREATE TABLE spend_counters (
    key TEXT NOT NULL,
    owner TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    a BIGINT NOT NULL,
    b BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (key, bucket)
  );
  CREATE INDEX spend_counters_owner ON spend_counters (owner);
  CREATE INDEX spend_counters_expires ON spend_counters (expires);
  CREATE TABLE spend_generations (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX spend_generations_owner ON spend_generations (owner);
  ALTER TABLE alert_outbox ADD COLUMN claimed_by TEXT;
  ALTER TABLE alert_outbox ADD COLUMN lease_until BIGINT;`,
  // SQLite's migration 3 (src/store/schema.ts): alert delivery per (alert, webhook), leased on the database's
  // clock (src/store/pg/alert-outbox.ts). `alert_outbox.claimed_by`, `lease_until` and `attempts` are no longer
  // written; `delivered_at` is set when the first webhook took the alert.
  `CREATE TABLE alert_deliveries (
    alert_key TEXT NOT NULL,
    hook TEXT NOT NULL,
    host TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    lease_until BIGINT,
    claimed_by TEXT,
    last_error TEXT,
    done_at BIGINT,
    outcome TEXT,
    PRIMARY KEY (alert_key, hook)
  );
  CREATE INDEX alert_deliveries_due ON alert_deliveries (hook, created_ms, alert_key) WHERE done_at IS NULL;
  CREATE INDEX alert_deliveries_age ON alert_deliveries (created_ms) WHERE done_at IS NULL;`,
];
