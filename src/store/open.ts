/** @module `openStore`: a store location (`--store`) → the Store over SQLite or PostgreSQL, for serve and the CLI. */
import type { Db } from "./db.ts";
import type { StoreLocation } from "./location.ts";
import type { PgStoreOptions } from "./pg/pg-store.ts";
import { createStore, type Store, type StoreOptions } from "./store.ts";

export interface OpenStoreOptions extends StoreOptions, Pick<PgStoreOptions, "onReady" | "maxRetryMs"> {
  /** Opens the SQLite file (the runtime's driver). */
  openDb(path: string): Db;
  /** PostgreSQL connections per process (default 10). */
  pgPoolSize?: number | undefined;
}

/**
 * The PostgreSQL driver is loaded only for a postgres:// store (a chunk of its own in the binary; ~10 ms of every
 * SQLite start otherwise). SQLite opens the file now and throws when it cannot; PostgreSQL never throws here: an unreachable server is
 * reported through `onError` and retried, and records wait in the queue.
 */
export async function openStore(location: StoreLocation, options: OpenStoreOptions): Promise<Store> {
  if (location.kind === "postgres") {
    const { openDb: _open, pgPoolSize, reopen: _reopen, busyTimeoutMs: _busy, ...rest } = options;
    const { createPgStore } = await import("./pg/pg-store.ts");
    return createPgStore(location.url, { ...rest, poolSize: pgPoolSize });
  }
  const { openDb, pgPoolSize: _pool, onReady: _ready, maxRetryMs: _max, ...rest } = options;
  // After a write failure (read-only file, disk full) the store reopens the file to resume.
  return createStore(openDb(location.path), { reopen: () => openDb(location.path), ...rest });
}
