/** @module The `Db` adapter over node:sqlite (`DatabaseSync`): used on Deno, works on Bun too. */
// @ts-ignore: @types/node 20 has no node:sqlite types; the shapes used are declared below.
import { DatabaseSync as NodeDatabaseSync } from "node:sqlite";
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

interface NodeStatement {
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: unknown[]): Raw | undefined;
  all(...params: unknown[]): Raw[];
  iterate(...params: unknown[]): IterableIterator<Raw>;
  setReadBigInts(enabled: boolean): void;
}

interface NodeDatabase {
  exec(sql: string): void;
  prepare(sql: string): NodeStatement;
  close(): void;
}

const DatabaseSync = NodeDatabaseSync as new (path: string, options?: { readOnly?: boolean }) => NodeDatabase;

/** Opens (creating unless read-only or `create: false`) a SQLite file with node:sqlite. */
export function openSqlite(path: string, options: OpenOptions = {}): Db {
  // node:sqlite has no open flag for this: a missing file would be created.
  if (options.create === false && !existsSync(path)) throw new NoDatabaseFile(path);
  const db = new DatabaseSync(path, { readOnly: options.readonly === true });
  db.exec(`PRAGMA busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
  const exec = (sql: string): void => {
    db.exec(sql);
  };
  return {
    driver: "node:sqlite",
    exec,
    prepare<R = Row>(sql: string): Stmt<R> {
      const stmt = db.prepare(sql);
      // Big integers would throw by default; read them as bigint and let normalizeRow restore safe numbers.
      stmt.setReadBigInts(true);
      return wrapStatement(stmt) as unknown as Stmt<R>;
    },
    transaction: createTransaction(exec),
    close() {
      db.close();
    },
  };
}
