/** @module Records → CSV / JSON / NDJSON text, page by page. One formatter for HTTP and CLI: identical bytes. */
import type { Utf8 } from "./text-reads.ts";
import type { UsageRecord } from "../usage/record.ts";
import { RECORD_COLUMNS } from "./columns.ts";
import type { ExportFormat } from "./query-params.ts";

export interface ExportFormatter {
  readonly contentType: string;
  readonly extension: string;
  /** Text before the first record (CSV: BOM + header; JSON: `[`). */
  head(): string;
  /** Text for the next page of records. Stateful: knows whether records came before. */
  page(records: readonly UsageRecord[]): string;
  /** Text after the last record. */
  tail(): string;
}

const CRLF = "\r\n";
/**
 * CSV for spreadsheets: UTF-8 with a BOM (without it Excel reads UTF-8 as the local code page), CRLF line
 * ends and RFC 4180 quoting. Formula injection (OWASP): a text cell starting with = + - @ TAB or CR is
 * prefixed with an apostrophe, so `=HYPERLINK(…)` in a user header shows as text instead of running. Numbers,
 * booleans and JSON cells (usage_native, cost_breakdown, tags start with `{`, `[` or `"`) are never altered;
 * nor is cost_usd, a decimal written by Kestrel. Null is an empty cell; booleans are true / false.
 */
const BOM = "\uFEFF";
const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const UNGUARDED = new Set<string>(["cost_usd"]);

function csvText(value: string, guard: boolean): string {
  const text = guard && FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV cell (see above); `guard` applies the formula-injection prefix to text. */
export function csvCell(value: unknown, guard: boolean): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return csvText(value, guard);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return csvText(JSON.stringify(value), false);
}

const GUARDS = RECORD_COLUMNS.map((c) => !UNGUARDED.has(c));

/** One CSV line for a record, CRLF-terminated. Hot in exports: a plain loop over the column list. */
export function csvRow(record: UsageRecord): string {
  let line = "";
  for (let i = 0; i < RECORD_COLUMNS.length; i++) {
    if (i > 0) line += ",";
    line += csvCell(record[RECORD_COLUMNS[i] as keyof UsageRecord], GUARDS[i] as boolean);
  }
  return line + CRLF;
}

/**
 * `recordsBefore`: records were already written by an earlier formatter of the same export (the reader worker formats
 * each page with a formatter of its own, src/store/worker/reads.ts), so JSON's first record here gets a comma.
 */
export function createExportFormatter(format: ExportFormat, recordsBefore = false): ExportFormatter {
  if (format === "csv") {
    return {
      contentType: "text/csv; charset=utf-8; header=present",
      extension: "csv",
      head: () => BOM + RECORD_COLUMNS.join(",") + CRLF,
      page: (records) => {
        let out = "";
        for (const r of records) out += csvRow(r);
        return out;
      },
      tail: () => "",
    };
  }
  if (format === "ndjson") {
    return {
      contentType: "application/x-ndjson; charset=utf-8",
      extension: "ndjson",
      head: () => "",
      page: (records) => {
        let out = "";
        for (const r of records) out += JSON.stringify(r) + "\n";
        return out;
      },
      tail: () => "",
    };
  }
  let first = !recordsBefore; // the export's first record gets no leading comma
  return {
    contentType: "application/json; charset=utf-8",
    extension: "json",
    head: () => "[",
    page: (records) => {
      let out = "";
      for (const r of records) {
        out += (first ? "\n" : ",\n") + JSON.stringify(r);
        first = false;
      }
      return out;
    },
    tail: () => "\n]\n",
  };
}

/** The whole export as text chunks: head, one chunk per page, tail. Empty chunks are skipped. */
export function exportChunks(
  pages: AsyncIterable<readonly UsageRecord[]>,
  formatter: ExportFormatter,
): AsyncGenerator<string> {
  return framed(formattedPages(pages, formatter), formatter, (text) => text);
}

/** Head, the non-empty pages, tail: as text or as bytes (`encode` makes head and tail the pages' kind). */
async function* framed<T extends { length: number }>(
  pages: AsyncIterable<T>,
  formatter: ExportFormatter,
  encode: (text: string) => T,
): AsyncGenerator<T> {
  const head = formatter.head();
  if (head !== "") yield encode(head);
  for await (const page of pages) if (page.length !== 0) yield page;
  const tail = formatter.tail();
  if (tail !== "") yield encode(tail);
}

/** Each page of records as the formatter's text. */
export async function* formattedPages(
  pages: AsyncIterable<readonly UsageRecord[]>,
  formatter: ExportFormatter,
): AsyncGenerator<string> {
  for await (const page of pages) yield formatter.page(page);
}

const utf8 = new TextEncoder();

/**
 * Pages already formatted (by this formatter's format) and encoded, between its head and tail (encoded here: a few
 * bytes). Empty chunks are skipped.
 */
export function framedChunks(pages: AsyncIterable<Utf8>, formatter: ExportFormatter): AsyncGenerator<Utf8> {
  return framed(pages, formatter, (text) => utf8.encode(text));
}
