/**
 * @module The API's reads as the text it answers (docs/architecture.md §8): report and listing JSON, export pages
 * already formatted. A store whose reads run on the reader worker makes this text there (src/store/worker/reads.ts),
 * so the event loop only passes it on: no structured clone of thousands of rows, no `JSON.stringify` of them, no
 * CSV formatting on the thread that proxies. Any other store gets the same text made here from its ordinary reads.
 */
import type { RequestFilter } from "./filter.ts";
import type { ListOptions } from "./queries.ts";
import type { ExportFormat, Grouping } from "./query-params.ts";
import { createExportFormatter, formattedPages } from "./export-format.ts";
import type { Store } from "./store.ts";

export interface TextReads {
  /** `JSON.stringify` of `listRequests`'s page. */
  listRequests(filter: RequestFilter, options: ListOptions): Promise<string>;
  /** `JSON.stringify` of `getRequest`'s record: `"null"` when there is none. */
  getRequest(id: string): Promise<string>;
  /** `JSON.stringify` of `usage`'s report. */
  usage(filter: RequestFilter, grouping: Grouping): Promise<string>;
  /** `exportRows`'s pages, each formatted as `createExportFormatter(format)` formats it (no head or tail). */
  exportPages(filter: RequestFilter, format: ExportFormat): AsyncIterable<string>;
}

/** The store's own text reads, or the same text derived from its ordinary reads. */
export function textReads(store: Store): TextReads {
  return store.text ?? {
    listRequests: async (filter, options) => JSON.stringify(await store.listRequests(filter, options)),
    getRequest: async (id) => JSON.stringify(await store.getRequest(id)),
    usage: async (filter, grouping) => JSON.stringify(await store.usage(filter, grouping)),
    exportPages: (filter, format) => formattedPages(store.exportRows(filter), createExportFormatter(format)),
  };
}
