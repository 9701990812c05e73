/** @module The SQLite adapter contract (docs/architecture.md §11): one shape over both drivers (src/entry/sqlite-*). */

export type SqlValue = string | number | bigint | null | Uint8Array;
/** Positional values for `?`, or named values whose keys have no prefix and bind `$name` in the SQL. */
export type Params = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;
/**
 * A row as a plain object. Integers come back as `number` when they fit in 2^53 and as `bigint` otherwise:
 * never silently rounded (one driver's default) and never thrown (the other's).
 */
export type Row = Record<string, SqlValue>;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Stmt<R = Row> {
  run(params?: Params): RunResult;
  /** The first row, or undefined on a miss (both drivers). */
  get(params?: Params): R | undefined;
  all(params?: Params): R[];
  /** Rows one by one; the statement stays busy until the iterator ends or `return()` is called. */
  iterate(params?: Params): IterableIterator<R>;
}

export interface Db {
  /** The driver module's name, for logs and tests. */
  readonly driver: string;
  /** One or more statements without parameters. */
  exec(sql: string): void;
  prepare<R = Row>(sql: string): Stmt<R>;
  /** Runs `fn` in BEGIN IMMEDIATE … COMMIT (ROLLBACK on throw); nested calls use savepoints. `fn` must be sync. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenOptions {
  /** Open without write access (fails when the file does not exist). */
  readonly?: boolean;
  /**
   * False: a missing file is a `NoDatabaseFile` error instead of a new empty database (CLI commands; a wrong
   * `--db` must not leave a file behind). Default true: `serve` creates its database.
   */
  create?: boolean;
}

/** Thrown by an adapter asked to open, not create, a file that does not exist. */
export class NoDatabaseFile extends Error {
  override name = "NoDatabaseFile";
  constructor(readonly path: string) {
    super(`No database file ${JSON.stringify(path)}`);
  }
}

/** What each driver entry exports. */
export type OpenSqlite = (path: string, options?: OpenOptions) => Db;

/** How long a connection waits on another's write lock before SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Copies a driver row into a plain object, turning safe bigints into numbers. Drivers are asked for bigints
 * so that nothing is rounded; this restores numbers wherever that is exact.
 */
export function normalizeRow(raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const key in raw) {
    const v = raw[key] as SqlValue;
    row[key] = typeof v === "bigint" && v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v;
  }
  return row;
}

/** BEGIN IMMEDIATE / COMMIT / ROLLBACK with savepoints for nesting: one behaviour for both drivers. */
/** The statement shape both drivers share (bun:sqlite's Statement, node:sqlite's StatementSync). */
export interface DriverStatement {
  run(...params: never[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: never[]): unknown;
  all(...params: never[]): unknown[];
  iterate(...params: never[]): Iterable<unknown>;
}

/** Positional parameters spread; a named-parameter object passed as the single binding. */
function bind(params: Params | undefined): never[] {
  if (params === undefined) return [];
  return (Array.isArray(params) ? params : [params]) as never[];
}

/** A driver statement behind `Stmt`: plain-object rows, `undefined` on a miss, `changes` as a number. */
export function wrapStatement(stmt: DriverStatement): Stmt<Row> {
  const row = (raw: unknown) => (raw === null || raw === undefined ? undefined : normalizeRow(raw as Record<string, unknown>));
  return {
    run(params) {
      const r = stmt.run(...bind(params));
      return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
    },
    get: (params) => row(stmt.get(...bind(params))),
    all: (params) => stmt.all(...bind(params)).map((raw) => normalizeRow(raw as Record<string, unknown>)),
    *iterate(params) {
      for (const raw of stmt.iterate(...bind(params))) yield normalizeRow(raw as Record<string, unknown>);
    },
  };
}

export function createTransaction(exec: (sql: string) => void): <T>(fn: () => T) => T {
  let depth = 0;
  return <T>(fn: () => T): T => {
    const savepoint = depth > 0 ? `kestrel_sp_${depth}` : null;
    exec(savepoint === null ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`);
    depth++;
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) throw new TypeError("Transaction callbacks must be synchronous");
    } catch (err) {
      depth--;
      try {
        exec(savepoint === null ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      } catch {
        // SQLite may already have rolled back (e.g. SQLITE_FULL); the original error is the one to report.
      }
      throw err;
    }
    depth--;
    try {
      exec(savepoint === null ? "COMMIT" : `RELEASE ${savepoint}`);
    } catch (err) {
      if (savepoint === null) {
        try {
          exec("ROLLBACK");
        } catch {
          // Nothing left to roll back.
        }
      }
      throw err;
    }
    return result;
  };
}

/** True for SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock; retrying later is enough. */
export function isBusyError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /database is locked|database table is locked|SQLITE_BUSY|SQLITE_LOCKED/i.test(message);
}
