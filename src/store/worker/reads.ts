/**
 * @module The reads a reader worker answers (docs/architecture.md §8): every query whose time grows with the table
 * — listings, one record, usage reports, export pages and spend control's rebuild sums — on the worker's own
 * connection, so the event loop only awaits the answer. The same functions the main thread's store runs.
 */
import type { Scope } from "../../attributes/scopes.ts";
import type { SpendBucket } from "../../control/types.ts";
import type { Db } from "../db.ts";
import type { RequestFilter } from "../filter.ts";
import { createExportFormatter } from "../export-format.ts";
import { exportPage, getRequest, type ListOptions, listRequests } from "../queries.ts";
import { usageReport } from "../usage-query.ts";
import type { ExportFormat, Grouping } from "../query-params.ts";
import { sqliteSpend } from "../spend-query.ts";

type Cursor = { ts: string; id: string } | null;

/** One read, as it crosses to the worker (structured-cloneable). */
export type ReadCall =
  | { op: "list"; filter: RequestFilter; options: ListOptions }
  | { op: "get"; id: string }
  | { op: "usage"; filter: RequestFilter; grouping: Grouping }
  | { op: "export"; filter: RequestFilter; after: Cursor; size: number }
  | { op: "export-text"; filter: RequestFilter; after: Cursor; size: number; format: ExportFormat }
  | { op: "spend"; scope: Scope; sinceMs: number | null; bucketMs: number | null };

/**
 * What each call answers. Listings, records, reports and export pages cross as one string (`JSON.stringify` of the
 * value, or the export format's text): a string crosses threads as one copy, while a cloned report of ~2,000
 * groups cost the main thread ~0.8 ms to take in and the worker ~2 ms to send (BENCHMARKS.md "Reads off the event
 * loop"); the API passes the text on as its body, other callers parse it.
 */
export interface ReadAnswers {
  /** JSON of a RequestPage. */
  list: string;
  /** JSON of a UsageRecord, or "null". */
  get: string;
  /** JSON of a UsageReport. */
  usage: string;
  /** One JSON array of records. */
  export: string;
  /** One page in the export format, with how many records it holds and the last one's cursor. */
  "export-text": ExportText;
  spend: SpendBucket[];
}

export interface ExportText {
  text: string;
  count: number;
  last: Cursor;
}

export function answerRead(db: Db, call: ReadCall): ReadAnswers[ReadCall["op"]] {
  switch (call.op) {
    case "list":
      return JSON.stringify(listRequests(db, call.filter, call.options));
    case "get":
      return JSON.stringify(getRequest(db, call.id));
    case "usage":
      return JSON.stringify(usageReport(db, call.filter, call.grouping));
    case "export":
      return JSON.stringify(exportPage(db, call.filter, call.after, call.size));
    case "export-text": {
      const rows = exportPage(db, call.filter, call.after, call.size);
      const last = rows[rows.length - 1];
      // A formatter per page: after the first page, records came before (JSON's separating comma).
      const text = createExportFormatter(call.format, call.after !== null).page(rows);
      return { text, count: rows.length, last: last === undefined ? null : { ts: last.ts, id: last.id } };
    }
    case "spend":
      return sqliteSpend(db, call.scope, call.sinceMs, call.bucketMs);
  }
}
