/**
 * @module PostgreSQL export pages, asked for one ahead (docs/architecture.md §17). The next page's cursor is in the
 * last row the server sent, so its query goes out before this page is turned into records and formatted: the server
 * reads page N + 1 while this thread decodes, formats and writes page N (asked one at a time, each waited for the
 * other: BENCHMARKS.md "Where a PostgreSQL export's time goes"). At most two pages are held at once.
 */
import type { UsageRecord } from "../../usage/record.ts";
import { rowToRecord } from "../columns.ts";
import type { Row } from "../db.ts";
import { pagesOneAhead } from "../queries.ts";

/** Keyset pages of `pageSize` rows, oldest first, as pagesOf (src/store/queries.ts) reads them, one page ahead. */
export function pagesAhead(
  page: (after: { ts: string; id: string } | null) => Promise<Row[]>,
  pageSize: number,
): AsyncGenerator<UsageRecord[]> {
  return pagesOneAhead(page, (rows) => {
    const last = rows[rows.length - 1];
    // rowToRecord's own String() of `ts` and `id`: the cursor is the record's.
    return rows.length === pageSize && last !== undefined ? { ts: String(last.ts), id: String(last.id) } : null;
  }, (rows) => rows.length > 0 ? rows.map(rowToRecord) : null);
}
