/** @module What a CLI command may touch: the caller (cli.ts / entry) supplies the runtime-specific parts. */
import type { Db, OpenOptions } from "../store/db.ts";

export interface CommandIo {
  /**
   * Opens the SQLite file (read-write; WAL and a busy timeout let it run beside a live server). Commands pass
   * `create: false` unless told to create one (`--create`).
   */
  openDb(path: string, options?: OpenOptions): Db;
  /** Writes `text` to stdout verbatim; commands supply their own line ends. */
  out(text: string): void;
  /** Writes `text` to stderr verbatim; commands supply their own line ends. */
  err(text: string): void;
  now(): number;
  /** Writes `chunk` to `path`: creates or truncates when `append` is false, appends when true. For `--out`. */
  writeFile?(path: string, chunk: string, append: boolean): void;
  /** `--db` when not given (the resolved KESTREL_DB / config value); "./kestrel.db" when absent. */
  defaultDb?: string;
  /** KESTREL_STORE, when set: wins over `defaultDb`, loses to `--db` and `--store`. */
  defaultStore?: string;
}

export const DEFAULT_DB = "./kestrel.db";

/** Exit codes: 0 done, 1 the work failed (database), 2 bad flags. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
