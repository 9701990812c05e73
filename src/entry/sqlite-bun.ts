/** @module The `Db` adapter over bun:sqlite: the only file that imports `bun:sqlite`. */
import { Database, type SQLQueryBindings } from "bun:sqlite";
import { existsSync } from "node:fs";
import {
  createTransaction,
  type Db,
  DEFAULT_BUSY_TIMEOUT_MS,
  NoDatabaseFile,
  type OpenOptions,
  type Row,
  type Stmt,
  wrapStatement,
} from "../store/db.ts";

type Raw = Record<string, unknown>;

/** Opens (creating unless read-only or `create: false`) a SQLite file with bun:sqlite. */
export function openSqlite(path: string, options: OpenOptions = {}): Db {
  if (options.create === false && !existsSync(path)) throw new NoDatabaseFile(path);
  const readonly = options.readonly === true;
  // strict: `{name}` binds `$name` and a missing parameter throws; safeIntegers: nothing is rounded (db.ts).
  const db = readonly
    ? new Database(path, { readonly: true, strict: true, safeIntegers: true })
    : new Database(path, { readwrite: true, create: true, strict: true, safeIntegers: true });
  db.exec(`PRAGMA busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
  const exec = (sql: string): void => {
    db.exec(sql);
  };
  return {
    driver: "bun:sqlite",
    exec,
    prepare<R = Row>(sql: string): Stmt<R> {
      return wrapStatement(db.prepare<Raw, SQLQueryBindings[]>(sql)) as unknown as Stmt<R>;
    },
    transaction: createTransaction(exec),
    close() {
      db.close(false);
    },
  };
}
