/** @module Opening the usage database for a CLI command: refuse a file Kestrel never wrote (a wrong --db). */
import type { Db } from "../store/db.ts";
import { schemaVersion } from "../store/schema.ts";
import { createStore, type Store } from "../store/store.ts";
import { type CommandIo, DEFAULT_DB } from "./io.ts";
import type { Flags } from "./report-flags.ts";

export type Opened = { ok: true; store: Store; db: Db; path: string } | { ok: false; message: string };

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Store over `--db` (or the default). The CLI waits on a busy server for up to 5 s instead of failing. */
export function openForCommand(flags: Flags, io: CommandIo, command: string): Opened {
  const path = flags.values.get("db") ?? io.defaultDb ?? DEFAULT_DB;
  let db: Db | null = null;
  try {
    db = io.openDb(path);
    if (schemaVersion(db) === 0) {
      db.close();
      return { ok: false, message: `No Kestrel usage data in ${JSON.stringify(path)} (check --db)` };
    }
    const store = createStore(db, { busyTimeoutMs: 5000, onError: (m) => io.err(`kestrel ${command}: ${m}\n`) });
    return { ok: true, store, db, path };
  } catch (err) {
    try {
      db?.close();
    } catch {
      // Reporting the open error matters more.
    }
    return { ok: false, message: `Cannot open ${JSON.stringify(path)}: ${messageOf(err)}` };
  }
}
