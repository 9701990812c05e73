/** @module Usage report → an aligned plain-text table (totals last) and → CSV. */
import { csvCell } from "../store/export-format.ts";
import type { UsageGroup, UsageReport, UsageTotals } from "../store/queries.ts";
import type { Grouping } from "../store/query-params.ts";

const COLUMNS: readonly [header: string, field: keyof UsageTotals][] = [
  ["requests", "requests"],
  ["input", "input_tokens"],
  ["output", "output_tokens"],
  ["cache read", "cache_read_tokens"],
  ["cache write", "cache_write_tokens"],
  ["reasoning", "reasoning_tokens"],
  ["cost (USD)", "cost_usd"],
  ["unpriced", "unpriced_requests"],
];

/** Units that are not tokens (docs/architecture.md §21): a column each, shown when the report has any. */
const UNIT_COLUMNS: readonly [header: string, field: keyof UsageTotals][] = [
  ["characters", "characters"],
  ["audio ms", "audio_ms"],
  ["images", "images"],
  ["search queries", "search_queries"],
  ["request fees", "request_fees"],
  ["compute ms", "compute_ms"],
];

const CSV_FIELDS: readonly (keyof UsageTotals)[] = COLUMNS.map(([, field]) => field);

/** The table's columns: the token ones, then the units this report has (before cost). */
function columnsOf(report: UsageReport): readonly [string, keyof UsageTotals][] {
  const units = UNIT_COLUMNS.filter(([, f]) => Number(report.total[f] ?? 0) > 0);
  if (units.length === 0) return COLUMNS;
  const at = COLUMNS.findIndex(([, f]) => f === "cost_usd");
  return [...COLUMNS.slice(0, at), ...units, ...COLUMNS.slice(at)];
}

/** Control characters (a user header may carry terminal escapes) would break alignment or the terminal. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const label = (key: string | null) => (key === null ? "(none)" : key.replace(CONTROL, "?"));
const cell = (v: string | number) => (typeof v === "number" ? v.toLocaleString("en-US") : v);

/** The grouping's column names: one, or the time bucket then the dimension. */
const groupColumns = (g: Grouping): readonly string[] => (typeof g === "string" ? [g] : g);

export function renderUsageTable(report: UsageReport, grouping: Grouping): string {
  if (report.groups.length === 0) return "No requests in this range\n";
  const two = typeof grouping !== "string";
  const COLUMNS = columnsOf(report);
  const keys = (g: UsageGroup) => (two ? [label(g.key), label(g.group ?? null)] : [label(g.key)]);
  const rows = report.groups.map((g: UsageGroup) => [...keys(g), ...COLUMNS.map(([, f]) => cell(g[f]))]);
  const header = [...groupColumns(grouping), ...COLUMNS.map(([h]) => h)];
  const total = ["total", ...(two ? [""] : []), ...COLUMNS.map(([, f]) => cell(report.total[f]))];
  const widths = header.map((h, i) => Math.max(h.length, ...[...rows, total].map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < (two ? 2 : 1) ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ")
      .trimEnd() + "\n";
  const rule = widths.map((w) => "-".repeat(w)).join("  ") + "\n";
  return line(header) + rule + rows.map(line).join("") + rule + line(total);
}

/** Groups only (a totals row would be double-counted by a spreadsheet SUM); CRLF like the export. */
export function renderUsageCsv(report: UsageReport, grouping: Grouping): string {
  const two = typeof grouping !== "string";
  const head = [...groupColumns(grouping), ...CSV_FIELDS].join(",") + "\r\n";
  const keys = (g: UsageGroup) => (two ? [csvCell(g.key, true), csvCell(g.group ?? null, true)] : [csvCell(g.key, true)]);
  return head +
    report.groups.map((g) => [...keys(g), ...CSV_FIELDS.map((f) => csvCell(g[f], false))].join(",") + "\r\n").join("");
}
