/**
 * @module The API's reads as the UTF-8 bytes it answers (docs/architecture.md §8): report and listing JSON, export
 * pages already formatted. A store whose reads run on the reader worker makes these bytes there
 * (src/store/worker/reads.ts) and transfers them, so the event loop only passes them on: no structured clone of
 * thousands of rows, no `JSON.stringify`, no CSV formatting and no UTF-8 encoding on the thread that proxies. Any
 * other store gets the same bytes made here from its ordinary reads.
 */
import type { RequestFilter } from "./filter.ts";
import type { ListOptions } from "./queries.ts";
import type { ExportFormat, Grouping } from "./query-params.ts";
import { createExportFormatter, formattedPages } from "./export-format.ts";
import type { Store } from "./store.ts";

/** UTF-8 in a buffer of its own (never shared memory): what a Response and the transfer list take. */
export type Utf8 = Uint8Array<ArrayBuffer>;

export interface TextReads {
  /** `JSON.stringify` of `listRequests`'s page, UTF-8. */
  listRequests(filter: RequestFilter, options: ListOptions): Promise<Utf8>;
  /** `JSON.stringify` of `getRequest`'s record, UTF-8: `null` when there is none (see `isNullJson`). */
  getRequest(id: string): Promise<Utf8>;
  /** `JSON.stringify` of `usage`'s report, UTF-8. */
  usage(filter: RequestFilter, grouping: Grouping): Promise<Utf8>;
  /** `exportRows`'s pages, each formatted as `createExportFormatter(format)` formats it (no head or tail), UTF-8. */
  exportPages(filter: RequestFilter, format: ExportFormat): AsyncIterable<Utf8>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The one way a read's JSON becomes its body: here on the main thread for plain stores, on the worker for SQLite. */
export const jsonBytes = (value: unknown): Utf8 => encoder.encode(JSON.stringify(value));

/** The value back from `jsonBytes` (the CLI, reconcile and the dashboard's own reads want values, not bodies). */
export const parseJsonBytes = <T>(bytes: Uint8Array): T => JSON.parse(decoder.decode(bytes)) as T;

/** `jsonBytes(null)`: no such record. */
export const isNullJson = (bytes: Uint8Array): boolean =>
  bytes.length === 4 && bytes[0] === 110 && bytes[1] === 117 && bytes[2] === 108 && bytes[3] === 108;

async function* encodedPages(pages: AsyncIterable<string>): AsyncGenerator<Utf8> {
  for await (const text of pages) yield encoder.encode(text);
}

/** The store's own byte reads, or the same bytes derived from its ordinary reads. */
export function textReads(store: Store): TextReads {
  return store.text ?? {
    listRequests: async (filter, options) => jsonBytes(await store.listRequests(filter, options)),
    getRequest: async (id) => jsonBytes(await store.getRequest(id)),
    usage: async (filter, grouping) => jsonBytes(await store.usage(filter, grouping)),
    exportPages: (filter, format) =>
      encodedPages(formattedPages(store.exportRows(filter), createExportFormatter(format))),
  };
}
