/** @module Which records a query covers, and the portable SQL WHERE clause for it. */
import type { Outcome } from "../usage/record.ts";
import type { SqlValue } from "./db.ts";

/** Exact-match fields plus the half-open time range `[since, until)` on `ts` (canonical ISO strings). */
export interface RequestFilter {
  provider?: string;
  model?: string;
  key_id?: string;
  user?: string;
  project?: string;
  outcome?: Outcome;
  since?: string;
  until?: string;
}

export const FILTER_FIELDS = ["provider", "model", "key_id", "user", "project", "outcome"] as const;

export interface Where {
  /** `WHERE …` or "" (no leading space). */
  sql: string;
  /** Named values for `$name` placeholders. */
  params: Record<string, SqlValue>;
}

/** WHERE clause for `filter` plus extra conditions (which may use `params` the caller adds). */
export function whereOf(filter: RequestFilter, extra: readonly string[] = []): Where {
  const terms: string[] = [];
  const params: Record<string, SqlValue> = {};
  for (const field of FILTER_FIELDS) {
    const value = filter[field];
    if (value === undefined) continue;
    terms.push(`${field === "user" ? `"user"` : field} = $${field}`);
    params[field] = value;
  }
  if (filter.since !== undefined) {
    terms.push("ts >= $since");
    params.since = filter.since;
  }
  if (filter.until !== undefined) {
    terms.push("ts < $until");
    params.until = filter.until;
  }
  terms.push(...extra);
  return { sql: terms.length === 0 ? "" : `WHERE ${terms.join(" AND ")}`, params };
}
