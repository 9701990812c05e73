/**
 * @module Many rows into a table in one transaction through COPY (docs/architecture.md §17): the rows are copied into a
 * temporary staging table shaped `LIKE` the target, then moved with one `INSERT … SELECT` that keeps the statement's
 * own conflict handling (`ON CONFLICT … DO NOTHING RETURNING id` for raw rows, the rollup's `DO UPDATE`). COPY alone
 * cannot skip a row that exists already (a batch retried after a commit whose acknowledgement was lost would fail
 * forever); through the staging table it costs ~1.4× less than binding one array per column to `unnest`, whose arrays
 * the server parses element by element (BENCHMARKS.md, "Records at scale, 10^7 on PostgreSQL").
 */
import type postgres from "postgres";
import type { SqlValue } from "../db.ts";
import { clean } from "./connect.ts";

type Tx = postgres.TransactionSql;

/** One value in COPY's text format: NULL is `\N`; backslash, tab, newline and carriage return are escaped. */
export function copyValue(v: SqlValue): string {
  if (v === null) return "\\N";
  if (typeof v === "string") {
    const s = clean(v);
    return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : s;
  }
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  throw new Error("COPY: binary values are not written this way");
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One row (values in the column list's order) as a line of COPY text: values tab-separated, newline-terminated. */
export function copyLine(row: readonly SqlValue[]): string {
  let line = "";
  for (let i = 0; i < row.length; i++) line += (i === 0 ? "" : "\t") + copyValue(row[i]!);
  return line + "\n";
}

/**
 * Copies `text` (copyLine's lines) into `table`'s staging table and runs `INSERT INTO table (columns) SELECT columns FROM
 * staging {tail}`, returning its rows. Must run inside a transaction: the staging table is emptied at every commit
 * (`ON COMMIT DELETE ROWS`) and made once per connection (`IF NOT EXISTS`; gone with the session). Its rows are read in
 * the order they were copied (a fresh heap, scanned in order), so sorted rollup rows still lock in key order.
 */
export async function copyInsert(tx: Tx, table: string, columnSql: string, text: string, tail: string): Promise<postgres.Row[]> {
  const staging = `kestrel_${table}_in`;
  await tx.unsafe(`CREATE TEMP TABLE IF NOT EXISTS ${staging} (LIKE ${table}) ON COMMIT DELETE ROWS`);
  const stream = await tx.unsafe(`COPY ${staging} (${columnSql}) FROM STDIN`).writable();
  await sent(stream, text);
  // Queued right behind the COPY: if the server rejected the copy (postgres.js then loses its error and never ends
  // the stream), this statement fails with "current transaction is aborted" and the batch is retried, instead of
  // waiting forever; a lost connection fails it too.
  return await tx.unsafe(`INSERT INTO ${table} (${columnSql}) SELECT ${columnSql} FROM ${staging} ${tail}`);
}

/**
 * Resolves once the copy's last byte and its end (CopyDone) are handed to the connection, which then takes the next
 * statement. Not on 'finish': postgres.js signals that only when the server accepted the copy.
 */
function sent(stream: unknown, text: string): Promise<void> {
  const writable = stream as unknown as {
    _final: (cb: (err?: Error | null) => void) => void;
    once(event: "error", fn: (err: Error) => void): void;
    end(chunk: string): void;
  };
  return new Promise((resolve, reject) => {
    writable.once("error", reject);
    const final = writable._final;
    writable._final = (cb) => {
      final.call(writable, cb);
      resolve();
    };
    writable.end(text);
  });
}
