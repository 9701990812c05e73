/** @module Opening the usage store for a CLI command: refuse a database Kestrel never wrote (a wrong --db or --store). */
import { describeStore, parseStoreLocation, type StoreLocation } from "../store/location.ts";
import { createPgStore } from "../store/pg/pg-store.ts";
import { pgSchemaVersion } from "../store/pg/schema.ts";
import { connectPg, pgErrorText } from "../store/pg/connect.ts";
import { NoDatabaseFile } from "../store/db.ts";
import { schemaVersion } from "../store/schema.ts";
import { createStore, type Store } from "../store/store.ts";
import { type CommandIo, DEFAULT_DB } from "./io.ts";
import type { Flags } from "./report-flags.ts";

/** `path` names the store in messages: the SQLite file, or the PostgreSQL URL with its password masked. */
export type Opened = { ok: true; store: Store; path: string } | { ok: false; message: string };

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `--store`, else `--db`, else KESTREL_STORE, else KESTREL_DB / the default file. */
export function storeLocation(flags: Flags, io: CommandIo): StoreLocation {
  const store = flags.values.get("store");
  if (store !== undefined) return parseStoreLocation(store);
  const db = flags.values.get("db");
  if (db !== undefined) return { kind: "sqlite", path: db };
  if (io.defaultStore) return parseStoreLocation(io.defaultStore);
  return { kind: "sqlite", path: io.defaultDb ?? DEFAULT_DB };
}

/** How a command may open the store. */
export interface OpenMode {
  /** `--create` was given: a missing file (or a database Kestrel never wrote) becomes a new Kestrel store. */
  create: boolean;
  /** The command takes `--create` (`budgets set`): the refusal says so. */
  creatable: boolean;
}

const READ: OpenMode = { create: false, creatable: false };

/**
 * The store for a command: an existing Kestrel store only, unless `mode.create` (a wrong `--db` must neither
 * "succeed" into a new empty file the server never reads nor leave a 0-byte file behind). The CLI waits on a busy
 * server for up to 5 s instead of failing.
 */
export async function openForCommand(flags: Flags, io: CommandIo, command: string, mode: OpenMode = READ): Promise<Opened> {
  let location: StoreLocation;
  try {
    location = storeLocation(flags, io);
  } catch (err) {
    return { ok: false, message: `Invalid --store: ${messageOf(err)}` };
  }
  const path = location.kind === "sqlite" ? location.path : describeStore(location);
  const flag = location.kind === "sqlite" ? "--db" : "--store";
  const noData = `No Kestrel usage data in ${location.kind === "sqlite" ? JSON.stringify(path) : path} (check ${flag}${
    mode.creatable ? ", or add --create to start a new store there" : ""
  })`;
  const onError = (m: string) => io.err(`kestrel ${command}: ${m}\n`);
  if (location.kind === "postgres") {
    if (!mode.create) {
      const probe = connectPg(location.url, { poolSize: 1 });
      try {
        if ((await pgSchemaVersion(probe)) === 0) return { ok: false, message: noData };
      } catch (err) {
        return { ok: false, message: `Cannot open ${path}: ${pgErrorText(err)}` };
      } finally {
        await probe.end({ timeout: 1 }).catch(() => {});
      }
    }
    // The CLI has no queue to protect: a failed write is an error now, not a retry later.
    return { ok: true, store: createPgStore(location.url, { poolSize: 2, onError, maxRetryMs: 1000 }), path };
  }
  let db = null;
  try {
    db = io.openDb(location.path, { create: mode.create });
    if (!mode.create && schemaVersion(db) === 0) {
      db.close();
      return { ok: false, message: noData };
    }
    return { ok: true, store: createStore(db, { busyTimeoutMs: 5000, onError }), path };
  } catch (err) {
    if (err instanceof NoDatabaseFile) return { ok: false, message: noData };
    try {
      db?.close();
    } catch {
      // Reporting the open error matters more.
    }
    return { ok: false, message: `Cannot open ${JSON.stringify(path)}: ${messageOf(err)}` };
  }
}
