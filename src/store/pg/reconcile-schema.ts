/**
 * @module Reconciliation's tables on PostgreSQL: SQLite's migration 5 (src/store/schema.ts) translated. Appended
 * after the spend-control migrations in src/store/pg/schema.ts; never edit a shipped entry.
 */

export const PG_RECONCILE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE reconcile_days (
    provider TEXT NOT NULL,
    day TEXT COLLATE "C" NOT NULL,
    pulled_at TEXT NOT NULL,
    costs SMALLINT NOT NULL,
    PRIMARY KEY (provider, day)
  );
  CREATE TABLE reconcile_usage (
    provider TEXT NOT NULL,
    day TEXT COLLATE "C" NOT NULL,
    model TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    project TEXT NOT NULL,
    service_tier TEXT NOT NULL,
    context_window TEXT NOT NULL,
    requests BIGINT,
    input_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    audio_input_tokens BIGINT NOT NULL,
    audio_output_tokens BIGINT NOT NULL,
    web_search_requests BIGINT NOT NULL,
    units TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (provider, day, model, api_key_id, project, service_tier, context_window)
  );
  CREATE TABLE reconcile_costs (
    provider TEXT NOT NULL,
    day TEXT COLLATE "C" NOT NULL,
    line TEXT NOT NULL,
    model TEXT NOT NULL,
    kind TEXT NOT NULL,
    service_tier TEXT NOT NULL,
    project TEXT NOT NULL,
    amount_pico BIGINT NOT NULL,
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
  // SQLite's migration 6 (src/store/schema.ts): hints become digests. TRUNCATE, not DELETE, so the old rows' key
  // characters leave the tables' files at once instead of waiting in dead tuples for a vacuum.
  `TRUNCATE reconcile_key_hints, reconcile_keys;
  ALTER TABLE reconcile_key_hints RENAME COLUMN hint TO digests;
  ALTER TABLE reconcile_keys RENAME COLUMN hint TO digest;`,
];
