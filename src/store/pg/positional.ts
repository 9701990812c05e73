/** @module Named to positional placeholders for PostgreSQL, without the driver (src/reconcile/exec.ts runs on SQLite too). */
import type { SqlValue } from "../db.ts";
import type { Query } from "../queries.ts";

/** `$name` placeholders → `$1…` with the values in that order (a name used twice binds once). */
export function positional(query: Query): { sql: string; values: SqlValue[] } {
  const index = new Map<string, number>();
  const values: SqlValue[] = [];
  const sql = query.sql.replace(/\$([a-z_][a-z0-9_]*)/gi, (_all, name: string) => {
    let i = index.get(name);
    if (i === undefined) {
      values.push(query.params[name] as SqlValue);
      i = values.length;
      index.set(name, i);
    }
    return `$${i}`;
  });
  return { sql, values };
}
