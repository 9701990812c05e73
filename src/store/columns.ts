/** @module UsageRecord ⇄ `requests` row: one column per field, same names, in contract order. */
import type { Outcome, UsageRecord } from "../usage/record.ts";
import { TOKEN_FIELDS, UNIT_FIELDS, USAGE_FIELDS, type UsageSource } from "../usage/types.ts";
import type { Row, SqlValue } from "./db.ts";

/** Every UsageRecord field in contract order: DB columns, CSV header, export order. */
export const RECORD_COLUMNS = [
  "id",
  "ts",
  "request_id",
  "provider",
  "model",
  "method",
  "path",
  "status",
  "outcome",
  "streaming",
  "duration_ms",
  "ttfb_ms",
  ...TOKEN_FIELDS,
  "usage_source",
  "usage_native",
  "cost_usd",
  "cost_pico",
  "cost_breakdown",
  "priced",
  "price_version",
  "key_id",
  "user",
  "project",
  "tags",
  "usage_error",
  "session_id",
  "response_id",
  "close_code",
  "bytes_up",
  "bytes_down",
  "frames_up",
  "frames_down",
  // In the order the migrations add them (src/store/schema.ts): the table's own column order.
  "requested_model",
  ...UNIT_FIELDS,
] as const satisfies readonly (keyof UsageRecord)[];

export type RecordColumn = (typeof RECORD_COLUMNS)[number];

// Compile-time check that the list is complete: a field missing from RECORD_COLUMNS makes this an error.
type Missing = Exclude<keyof UsageRecord, RecordColumn>;
const _complete: [Missing] extends [never] ? true : Missing = true;
void _complete;

/** Column list for SQL; `user` is quoted because it is reserved in PostgreSQL. */
export const COLUMN_SQL = RECORD_COLUMNS.map((c) => (c === "user" ? `"user"` : c)).join(", ");

const ISO_LENGTH = 24; // "2026-11-27T10:11:12.345Z"

/** `ts` in the one canonical form that sorts and compares as text. */
export function canonicalTs(ts: string): string {
  if (ts.length === ISO_LENGTH && ts.endsWith("Z")) return ts;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? ts : new Date(ms).toISOString();
}

// NOT NULL columns are coerced rather than rejected: one malformed record must never fail a whole batch.
const text = (v: unknown): string => (typeof v === "string" ? v : String(v ?? ""));
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const int = (v: number | null): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
// Token counts and money are summed by /api/usage: only exact integers, or one float (1e308) would turn every sum
// over the column into REAL, Infinity or an inexact number.
const count = (v: number | null): number | null => (Number.isSafeInteger(v) ? v : null);

/** Positional values in RECORD_COLUMNS order. Hot (flusher). Throws only on JSON that cannot be stringified. */
export function recordToParams(r: UsageRecord): SqlValue[] {
  return [
    text(r.id),
    canonicalTs(text(r.ts)),
    text(r.request_id),
    text(r.provider),
    textOrNull(r.model),
    text(r.method),
    text(r.path),
    int(r.status) ?? 0,
    text(r.outcome),
    r.streaming ? 1 : 0,
    int(r.duration_ms) ?? 0,
    int(r.ttfb_ms),
    ...TOKEN_FIELDS.map((f) => count(r[f])),
    text(r.usage_source),
    json(r.usage_native),
    textOrNull(r.cost_usd),
    count(r.cost_pico),
    json(r.cost_breakdown),
    r.priced ? 1 : 0,
    textOrNull(r.price_version),
    textOrNull(r.key_id),
    textOrNull(r.user),
    textOrNull(r.project),
    JSON.stringify(r.tags ?? []),
    textOrNull(r.usage_error),
    textOrNull(r.session_id),
    textOrNull(r.response_id),
    int(r.close_code ?? null),
    count(r.bytes_up ?? null),
    count(r.bytes_down ?? null),
    count(r.frames_up ?? null),
    count(r.frames_down ?? null),
    textOrNull(r.requested_model),
    ...UNIT_FIELDS.map((f) => count(r[f] ?? null)),
  ];
}

const str = (v: SqlValue | undefined): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: SqlValue | undefined): number | null =>
  v === null || v === undefined ? null : typeof v === "number" ? v : Number(v);
const parse = (v: SqlValue | undefined): unknown => (typeof v === "string" ? JSON.parse(v) : null);

/** The count columns of a row (absent on a row read before a migration added them: null). */
function usageColumns(row: Row): Record<(typeof USAGE_FIELDS)[number], number | null> {
  const out = {} as Record<(typeof USAGE_FIELDS)[number], number | null>;
  for (const f of USAGE_FIELDS) out[f] = num(row[f]);
  return out;
}

/** A `requests` row back into the record it was written from. */
export function rowToRecord(row: Row): UsageRecord {
  return {
    id: String(row.id),
    ts: String(row.ts),
    request_id: String(row.request_id),
    provider: String(row.provider),
    model: str(row.model),
    requested_model: str(row.requested_model),
    method: String(row.method),
    path: String(row.path),
    status: num(row.status) ?? 0,
    outcome: String(row.outcome) as Outcome,
    streaming: num(row.streaming) === 1,
    duration_ms: num(row.duration_ms) ?? 0,
    ttfb_ms: num(row.ttfb_ms),
    ...usageColumns(row),
    usage_source: String(row.usage_source) as UsageSource,
    usage_native: parse(row.usage_native),
    cost_usd: str(row.cost_usd),
    cost_pico: num(row.cost_pico),
    cost_breakdown: parse(row.cost_breakdown) as Record<string, string> | null,
    priced: num(row.priced) === 1,
    price_version: str(row.price_version),
    key_id: str(row.key_id),
    user: str(row.user),
    project: str(row.project),
    tags: (parse(row.tags) as string[] | null) ?? [],
    usage_error: str(row.usage_error),
    session_id: str(row.session_id),
    response_id: str(row.response_id),
    close_code: num(row.close_code),
    bytes_up: num(row.bytes_up),
    bytes_down: num(row.bytes_down),
    frames_up: num(row.frames_up),
    frames_down: num(row.frames_down),
  };
}
