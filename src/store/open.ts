/** @module `openStore`: a store location (`--store`) → the Store over SQLite or PostgreSQL, for serve and the CLI. */
import type { Db } from "./db.ts";
import type { StoreLocation } from "./location.ts";
import { createPgStore, type PgStoreOptions } from "./pg/pg-store.ts";
import { createStore, type Store, type StoreOptions } from "./store.ts";

export interface OpenStoreOptions extends StoreOptions, Pick<PgStoreOptions, "onReady" | "maxRetryMs"> {
  /** Opens the SQLite file (the runtime's driver). */
  openDb(path: string): Db;
  /** PostgreSQL connections per process (default 10). */
  pgPoolSize?: number | undefined;
}

/**
 * SQLite opens the file now and throws when it cannot; PostgreSQL never throws here: an unreachable server is
 * reported through `onError` and retried, and records wait in the queue.
 */
export function openStore(location: StoreLocation, options: OpenStoreOptions): Store {
  if (location.kind === "postgres") {
    const { openDb: _open, pgPoolSize, reopen: _reopen, busyTimeoutMs: _busy, ...rest } = options;
    return createPgStore(location.url, { ...rest, poolSize: pgPoolSize });
  }
  const { openDb, pgPoolSize: _pool, onReady: _ready, maxRetryMs: _max, ...rest } = options;
  // After a write failure (read-only file, disk full) the store reopens the file to resume.
  return createStore(openDb(location.path), { reopen: () => openDb(location.path), ...rest });
}
