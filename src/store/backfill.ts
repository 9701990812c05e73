/**
 * @module Bringing records written before the rollup existed into it, once, in the schema migration that adds it
 * (SQLite synchronously inside its migration transaction, PostgreSQL inside its own), through the same TypeScript
 * sums as the flusher (src/store/rollup.ts). Their `requested_model` was never stored: it becomes the canonical
 * form of the billed model.
 */
import { canonicalModel } from "../attributes/model.ts";
import type { UsageRecord } from "../usage/record.ts";
import type { Query } from "./queries.ts";
import { addToRollup, type RollupRow, sortedRollup } from "./rollup.ts";
import { TOKEN_FIELDS } from "../usage/types.ts";

/** Records summed before the increments are written out, so memory stays bounded on any table. */
const FLUSH_EVERY = 50_000;
export const BACKFILL_PAGE = 5000;

type Cursor = { ts: string; id: string } | null;

/** The running sums of a backfill; `fold` takes a page and says what to write now and where to read next. */
export class RollupBackfill {
  private rows = new Map<string, RollupRow>();
  private summed = 0;

  /** Each distinct billed model and the requested model its old rows get. */
  static requested(models: readonly string[]): [string, string | null][] {
    return models.map((m) => [m, canonicalModel(m)]);
  }

  /** Adds a page; returns the rows to write now (possibly none) and the next cursor (null: done). */
  fold(page: readonly UsageRecord[]): { write: RollupRow[]; next: Cursor } {
    for (const record of page) addToRollup(this.rows, record);
    this.summed += page.length;
    const last = page[page.length - 1];
    let write: RollupRow[] = [];
    if (this.summed >= FLUSH_EVERY || last === undefined) {
      write = sortedRollup(this.rows);
      this.rows = new Map();
      this.summed = 0;
    }
    return { write, next: last === undefined ? null : { ts: last.ts, id: last.id } };
  }
}

/**
 * The next page of what the rollup sums, oldest first, by keyset on (ts, id). Only the columns the sums read: a
 * migration written later that adds a column runs after this one on an old database.
 */
export function backfillPage(after: { ts: string; id: string } | null, size: number): Query {
  const columns = ["id", "ts", "provider", "model", "requested_model", "key_id", `"user"`, "project", "tags", "outcome",
    "usage_source", "priced", "cost_pico", ...TOKEN_FIELDS]; // the counts that existed then: the units came later (§21)
  return {
    sql: `SELECT ${columns.join(", ")} FROM requests ${after === null ? "" : "WHERE (ts, id) > ($ats, $aid)"}
      ORDER BY ts, id LIMIT $limit`,
    params: after === null ? { limit: size } : { ats: after.ts, aid: after.id, limit: size },
  };
}
