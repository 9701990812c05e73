/** @module The `Db` adapter over bun:sqlite: the only file that imports `bun:sqlite`. */
import { Database, type SQLQueryBindings, type Statement } from "bun:sqlite";
import {
  createTransaction,
  type Db,
  DEFAULT_BUSY_TIMEOUT_MS,
  normalizeRow,
  type OpenOptions,
  type Params,
  type Row,
  type Stmt,
} from "../store/db.ts";

type Raw = Record<string, unknown>;

/** Opens (creating unless read-only) a SQLite file with bun:sqlite. */
export function openSqlite(path: string, options: OpenOptions = {}): Db {
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
      return wrap(db.prepare<Raw, SQLQueryBindings[]>(sql)) as unknown as Stmt<R>;
    },
    transaction: createTransaction(exec),
    close() {
      db.close(false);
    },
  };
}

function bind(params: Params | undefined): SQLQueryBindings[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? (params as SQLQueryBindings[]) : [params as SQLQueryBindings];
}

function wrap(stmt: Statement<Raw, SQLQueryBindings[]>): Stmt<Row> {
  return {
    run(params) {
      const r = stmt.run(...bind(params));
      return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
    },
    get(params) {
      const row = stmt.get(...bind(params));
      return row === null || row === undefined ? undefined : normalizeRow(row);
    },
    all(params) {
      return stmt.all(...bind(params)).map(normalizeRow);
    },
    *iterate(params) {
      for (const row of stmt.iterate(...bind(params))) yield normalizeRow(row);
    },
  };
}
