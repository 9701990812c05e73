/**
 * The store suite's two backends: SQLite (each driver of the running runtime) and PostgreSQL (a throwaway cluster,
 * one per test file, a fresh database per test). One table of tests runs over `backends()`; PostgreSQL is skipped
 * with the reason only when its server binaries are missing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { createStore, type Store, type StoreOptions } from "../../src/store/store.ts";
import { pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { drivers } from "./helpers.ts";

/** Opens a store over one database; every call opens another connection to the same data. */
export type OpenStore = (options?: StoreOptions) => Store;

export interface Backend {
  name: string;
  /** Why this backend cannot run here (for testNeeding), or null. */
  missing: string | null;
  /** A new, empty database. */
  database(): Promise<OpenStore>;
}

/**
 * Call once per test file, at top level: the cleanup hook belongs to the calling file (Bun runs several files in
 * one process and loads this module once, so state kept at module level would be closed by the first file).
 */
export async function backends(): Promise<Backend[]> {
  let server: Promise<Postgres> | null = null;
  let databases = 0;
  const dirs: string[] = [];
  const opened: Store[] = [];
  const track = (store: Store): Store => {
    opened.push(store);
    return store;
  };
  after(async () => {
    for (const store of opened) await store.close();
    if (server !== null) (await server).close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const list: Backend[] = (await drivers()).map(({ name, open, missing }) => ({
    name,
    missing,
    database: () => {
      const dir = mkdtempSync(join(tmpdir(), "kestrel-store-"));
      dirs.push(dir);
      const path = join(dir, "k.db");
      return Promise.resolve((options?: StoreOptions) => track(createStore(open(path), options)));
    },
  }));
  list.push({
    name: "postgres",
    missing: pgMissing(),
    database: async () => {
      server ??= startPostgres();
      const url = (await server).createDatabase(`store_${++databases}`);
      return (options?: StoreOptions) => track(createPgStore(url, { poolSize: 3, ...options }));
    },
  });
  return list;
}
