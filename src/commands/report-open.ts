/** @module Opening the usage store for a CLI command: refuse a database Kestrel never wrote (a wrong --db or --store). */
import { describeStore, parseStoreLocation, type StoreLocation } from "../store/location.ts";
import { createPgStore } from "../store/pg/pg-store.ts";
import { pgSchemaVersion } from "../store/pg/schema.ts";
import { connectPg, pgErrorText } from "../store/pg/connect.ts";
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

/**
 * The store for a command. The CLI waits on a busy server for up to 5 s instead of failing. `create` (budgets set)
 * accepts a database Kestrel has not written yet; otherwise one without Kestrel's schema is refused.
 */
export async function openForCommand(flags: Flags, io: CommandIo, command: string, create = false): Promise<Opened> {
  let location: StoreLocation;
  try {
    location = storeLocation(flags, io);
  } catch (err) {
    return { ok: false, message: `Invalid --store: ${messageOf(err)}` };
  }
  const path = location.kind === "sqlite" ? location.path : describeStore(location);
  const onError = (m: string) => io.err(`kestrel ${command}: ${m}\n`);
  if (location.kind === "postgres") {
    if (!create) {
      const probe = connectPg(location.url, { poolSize: 1 });
      try {
        if ((await pgSchemaVersion(probe)) === 0) {
          return { ok: false, message: `No Kestrel usage data in ${path} (check --store)` };
        }
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
    db = io.openDb(location.path);
    if (!create && schemaVersion(db) === 0) {
      db.close();
      return { ok: false, message: `No Kestrel usage data in ${JSON.stringify(path)} (check --db)` };
    }
    return { ok: true, store: createStore(db, { busyTimeoutMs: 5000, onError }), path };
  } catch (err) {
    try {
      db?.close();
    } catch {
      // Reporting the open error matters more.
    }
    return { ok: false, message: `Cannot open ${JSON.stringify(path)}: ${messageOf(err)}` };
  }
}
