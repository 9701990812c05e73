/**
 * @module The two ways reconciliation's SQL runs: one text with `$name` placeholders (src/store/queries.ts `Query`)
 * on SQLite's connection or PostgreSQL's pool, so src/reconcile/store.ts is written once for both stores.
 */
import type { Db, Row } from "../store/db.ts";
import type { WithDb } from "../store/control-store.ts";
import type { Sql } from "../store/pg/connect.ts";
import { positional } from "../store/pg/positional.ts";
import type { Query } from "../store/queries.ts";

export interface Exec {
  all(query: Query): Promise<Row[]>;
  /** The statements in order, in one transaction: all or none. */
  batch(queries: readonly Query[]): Promise<void>;
}

/** SQLite: the store's connection (its `read`: schema current, refused after close). */
export function sqliteExec(withDb: WithDb): Exec {
  return {
    all: (q) => withDb((db) => db.prepare(q.sql).all(q.params)),
    batch: (queries) =>
      withDb((db: Db) => {
        const prepared = new Map<string, ReturnType<Db["prepare"]>>();
        db.transaction(() => {
          for (const q of queries) {
            let stmt = prepared.get(q.sql);
            if (stmt === undefined) prepared.set(q.sql, stmt = db.prepare(q.sql));
            stmt.run(q.params);
          }
        });
      }),
  };
}

/** PostgreSQL: the pool, after `gate` (the schema must exist first). */
export function pgExec(sql: Sql, gate: () => Promise<void>): Exec {
  return {
    async all(q) {
      await gate();
      const { sql: text, values } = positional(q);
      return (await sql.unsafe(text, values as never[])) as unknown as Row[];
    },
    async batch(queries) {
      await gate();
      await sql.begin(async (tx) => {
        for (const q of queries) {
          const { sql: text, values } = positional(q);
          await tx.unsafe(text, values as never[]);
        }
      });
    },
  };
}
