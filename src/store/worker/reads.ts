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
import { jsonBytes, type Utf8 } from "../text-reads.ts";
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
 * What each call answers. Listings, records, reports and export pages cross as UTF-8 bytes (`jsonBytes` of the
 * value, or the export format's text encoded here) in an ArrayBuffer moved by the transfer list (`transferOf`): no
 * copy and no clone, and the event loop neither encodes the body (~0.5 ms for a 786 KB report, ~2 ms per 1,000
 * exported records; BENCHMARKS.md "Reads off the event loop, through HTTP") nor parses it — the API passes the
 * bytes on as its body; other callers decode and parse them (src/store/worker/read-client.ts).
 */
export interface ReadAnswers {
  /** JSON of a RequestPage. */
  list: Utf8;
  /** JSON of a UsageRecord, or `null`. */
  get: Utf8;
  /** JSON of a UsageReport. */
  usage: Utf8;
  /** One JSON array of records. */
  export: Utf8;
  /** One page in the export format, with how many records it holds and the last one's cursor. */
  "export-text": ExportText;
  spend: SpendBucket[];
}

export interface ExportText {
  bytes: Utf8;
  count: number;
  last: Cursor;
}

const encoder = new TextEncoder();

/** The buffers an answer moves to the main thread instead of copying (both runtimes detach them here). */
export function transferOf(value: unknown): ArrayBuffer[] {
  if (value instanceof Uint8Array) return [value.buffer as ArrayBuffer];
  const bytes = (value as Partial<ExportText> | null)?.bytes;
  return bytes instanceof Uint8Array ? [bytes.buffer as ArrayBuffer] : [];
}

export function answerRead(db: Db, call: ReadCall): ReadAnswers[ReadCall["op"]] {
  switch (call.op) {
    case "list":
      return jsonBytes(listRequests(db, call.filter, call.options));
    case "get":
      return jsonBytes(getRequest(db, call.id));
    case "usage":
      return jsonBytes(usageReport(db, call.filter, call.grouping));
    case "export":
      return jsonBytes(exportPage(db, call.filter, call.after, call.size));
    case "export-text": {
      const rows = exportPage(db, call.filter, call.after, call.size);
      const last = rows[rows.length - 1];
      // A formatter per page: after the first page, records came before (JSON's separating comma).
      const text = createExportFormatter(call.format, call.after !== null).page(rows);
      return { bytes: encoder.encode(text), count: rows.length, last: last === undefined ? null : { ts: last.ts, id: last.id } };
    }
    case "spend":
      return sqliteSpend(db, call.scope, call.sinceMs, call.bucketMs);
  }
}
