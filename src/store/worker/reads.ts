/**
 * @module The reads a reader worker answers (docs/architecture.md §8): every query whose time grows with the table
 * — listings, one record, usage reports, export pages and spend control's rebuild sums — on the worker's own
 * connection, so the event loop only awaits the answer. The same functions the main thread's store runs.
 */
import type { Scope } from "../../attributes/scopes.ts";
import type { SpendBucket } from "../../control/types.ts";
import type { UsageRecord } from "../../usage/record.ts";
import type { Db } from "../db.ts";
import type { RequestFilter } from "../filter.ts";
import { exportPage, getRequest, type ListOptions, listRequests, type RequestPage, type UsageReport } from "../queries.ts";
import { usageReport } from "../usage-query.ts";
import type { Grouping } from "../query-params.ts";
import { sqliteSpend } from "../spend-query.ts";

/** One read, as it crosses to the worker (structured-cloneable). */
export type ReadCall =
  | { op: "list"; filter: RequestFilter; options: ListOptions }
  | { op: "get"; id: string }
  | { op: "usage"; filter: RequestFilter; grouping: Grouping }
  | { op: "export"; filter: RequestFilter; after: { ts: string; id: string } | null; size: number }
  | { op: "spend"; scope: Scope; sinceMs: number | null; bucketMs: number | null };

/** What each call answers. */
export interface ReadAnswers {
  list: RequestPage;
  get: UsageRecord | null;
  usage: UsageReport;
  /** One JSON array: a string crosses threads as one copy, and JSON.parse is cheaper than cloning 1,000 objects. */
  export: string;
  spend: SpendBucket[];
}

export function answerRead(db: Db, call: ReadCall): ReadAnswers[ReadCall["op"]] {
  switch (call.op) {
    case "list":
      return listRequests(db, call.filter, call.options);
    case "get":
      return getRequest(db, call.id);
    case "usage":
      return usageReport(db, call.filter, call.grouping);
    case "export":
      return JSON.stringify(exportPage(db, call.filter, call.after, call.size));
    case "spend":
      return sqliteSpend(db, call.scope, call.sinceMs, call.bucketMs);
  }
}
