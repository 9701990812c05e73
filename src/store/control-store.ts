/** @module The control plane's tables on SQLite: budget and rate-limit definitions, spend sums, the alert outbox. */
import type { Budget, RateLimit } from "../control/types.ts";
import { createAlertOutbox } from "./alert-outbox.ts";
import type { Db, SqlValue } from "./db.ts";
import { checkDelete, type DefinitionSource, fromStored, staleConfig, type StoreControl, type StoredRow, type Table, textOf, writeOf } from "./definitions.ts";
import { sqliteSpend } from "./spend-query.ts";

export type { DefinitionSource, StoreControl } from "./definitions.ts";

/** Runs `fn` on a connection whose schema is current (the store's `read`: it also refuses after close). */
export type WithDb = <T>(fn: (db: Db) => T) => Promise<T>;

const toNumber = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export function createControlStore(withDb: WithDb, now: () => number = Date.now): StoreControl {
  const list = <T extends Budget | RateLimit>(table: Table) =>
    withDb((db) =>
      db.prepare<{ definition: string }>(`SELECT definition FROM ${table} ORDER BY id`).all()
        .map((row) => fromStored<T>(table, row.definition))
    );

  const stored = (db: Db, table: Table, id: string): StoredRow | undefined =>
    db.prepare<StoredRow>(`SELECT definition, source FROM ${table} WHERE id = ?`).get([id]);
  const one = <T extends Budget | RateLimit>(db: Db, table: Table, id: string): T | null => {
    const row = stored(db, table, id);
    return row === undefined ? null : fromStored<T>(table, row.definition);
  };

  /** Inside a transaction; true when the definition changed (a source-only change needs no reload). */
  const upsert = (db: Db, table: Table, definition: Budget | RateLimit, source: DefinitionSource): boolean => {
    const text = textOf(table, definition);
    const what = writeOf(table, definition.id, stored(db, table, definition.id), text, source);
    if (what === "none") return false;
    db.prepare(
      `INSERT INTO ${table} (id, definition, source, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, source = excluded.source,
       updated_at = excluded.updated_at`,
    ).run([definition.id, text, source, new Date(now()).toISOString()]);
    return what === "text";
  };
  const bump = (db: Db) => db.exec("UPDATE definitions_version SET version = version + 1 WHERE id = 1");

  const put = (table: Table, definition: Budget | RateLimit, source: DefinitionSource) =>
    withDb((db) => {
      db.transaction(() => {
        if (upsert(db, table, definition, source)) bump(db);
      });
    });

  const remove = (table: Table, id: string) =>
    withDb((db) =>
      db.transaction(() => {
        checkDelete(table, id, stored(db, table, id));
        const gone = db.prepare(`DELETE FROM ${table} WHERE id = ?`).run([id]).changes > 0;
        if (gone) bump(db);
        return gone;
      })
    );

  /** Config rows of `table` not in `keep` are deleted; returns true when any was. */
  const dropStaleConfig = (db: Db, table: Table, keep: readonly { id: string }[]): boolean => {
    const configIds = db.prepare<{ id: string }>(`SELECT id FROM ${table} WHERE source = 'config'`).all().map((r) => r.id);
    const stale = staleConfig(configIds, keep);
    const del = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
    for (const id of stale) del.run([id]);
    return stale.length > 0;
  };

  return {
    spend: (scope, sinceMs, bucketMs) => withDb((db) => sqliteSpend(db, scope, sinceMs, bucketMs)),
    listBudgets: () => list<Budget>("budgets"),
    getBudget: (id) => withDb((db) => one<Budget>(db, "budgets", id)),
    getRateLimit: (id) => withDb((db) => one<RateLimit>(db, "rate_limits", id)),
    putBudget: (budget, source = "api") => put("budgets", budget, source),
    deleteBudget: (id) => remove("budgets", id),
    listRateLimits: () => list<RateLimit>("rate_limits"),
    putRateLimit: (limit, source = "api") => put("rate_limits", limit, source),
    deleteRateLimit: (id) => remove("rate_limits", id),
    syncConfig: (budgets, rateLimits) =>
      withDb((db) =>
        db.transaction(() => {
          let changed = dropStaleConfig(db, "budgets", budgets);
          changed = dropStaleConfig(db, "rate_limits", rateLimits) || changed;
          for (const b of budgets) changed = upsert(db, "budgets", b, "config") || changed;
          for (const l of rateLimits) changed = upsert(db, "rate_limits", l, "config") || changed;
          if (changed) bump(db);
          return changed;
        })
      ),
    definitionsVersion: () =>
      withDb((db) => toNumber(db.prepare("SELECT version FROM definitions_version WHERE id = 1").get()?.version)),
    ...createAlertOutbox(withDb, now),
  };
}
