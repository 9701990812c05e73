/** @module The control plane's tables on SQLite: budget and rate-limit definitions, spend sums, the alert outbox. */
import type { Budget, ControlStore, RateLimit, Scope, SpendBucket } from "../control/types.ts";
import { createAlertOutbox } from "./alert-outbox.ts";
import type { Db, SqlValue } from "./db.ts";

/** Where a definition came from: config-file ones are upserted at every start, API/CLI ones stay until removed. */
export type DefinitionSource = "config" | "api";

/** `ControlStore` plus the definition's source on writes (defaults to "api"). */
export interface StoreControl extends ControlStore {
  putBudget(budget: Budget, source?: DefinitionSource): Promise<void>;
  putRateLimit(limit: RateLimit, source?: DefinitionSource): Promise<void>;
  /**
   * At startup: upserts the config file's definitions (source "config"; a file entry replaces an API/CLI one
   * with the same id) and deletes config-sourced rows the file no longer has, in one transaction. Rows last
   * written by the API or CLI and absent from the file are kept. Resolves true when anything changed.
   */
  syncConfig(budgets: readonly Budget[], rateLimits: readonly RateLimit[]): Promise<boolean>;
}

/** Runs `fn` on a connection whose schema is current (the store's `read`: it also refuses after close). */
export type WithDb = <T>(fn: (db: Db) => T) => Promise<T>;

type Table = "budgets" | "rate_limits";

/** Scope key → SQL condition on `requests`; `user` is quoted (a keyword), `tag` looks inside the JSON array. */
const CONDITION: Record<keyof Scope, string> = {
  key_id: "key_id = $key_id",
  user: `"user" = $user`,
  project: "project = $project",
  provider: "provider = $provider",
  model: "model = $model",
  tag: "EXISTS (SELECT 1 FROM json_each(requests.tags) WHERE json_each.value = $tag)",
};

/**
 * The record's epoch ms at second precision (`ts` is ISO text). Buckets are whole minutes or hours, so a
 * bucket boundary never falls inside a second.
 */
const EPOCH_MS = "(CAST(strftime('%s', ts) AS INTEGER) * 1000)";

const toNumber = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export function createControlStore(withDb: WithDb, now: () => number = Date.now): StoreControl {
  const list = <T>(table: Table) =>
    withDb((db) =>
      db.prepare<{ definition: string }>(`SELECT definition FROM ${table} ORDER BY id`).all()
        .map((row) => JSON.parse(row.definition) as T)
    );

  /** Inside a transaction; true when the row changed (an identical write bumps nothing, so no needless reload). */
  const upsert = (db: Db, table: Table, id: string, value: unknown, source: DefinitionSource): boolean => {
    const definition = JSON.stringify(value);
    const old = db.prepare<{ definition: string; source: string }>(
      `SELECT definition, source FROM ${table} WHERE id = ?`,
    ).get([id]);
    if (old?.definition === definition && old.source === source) return false;
    db.prepare(
      `INSERT INTO ${table} (id, definition, source, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, source = excluded.source,
       updated_at = excluded.updated_at`,
    ).run([id, definition, source, new Date(now()).toISOString()]);
    return true;
  };
  const bump = (db: Db) => db.exec("UPDATE definitions_version SET version = version + 1 WHERE id = 1");

  const put = (table: Table, id: string, value: unknown, source: DefinitionSource) =>
    withDb((db) => {
      db.transaction(() => {
        if (upsert(db, table, id, value, source)) bump(db);
      });
    });

  /** Config rows of `table` not in `keep` are deleted; returns true when any was. */
  const dropStaleConfig = (db: Db, table: Table, keep: readonly { id: string }[]): boolean => {
    const ids = new Set(keep.map((d) => d.id));
    const stale = db.prepare<{ id: string }>(`SELECT id FROM ${table} WHERE source = 'config'`).all()
      .filter((r) => !ids.has(r.id));
    const del = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
    for (const r of stale) del.run([r.id]);
    return stale.length > 0;
  };

  const remove = (table: Table, id: string) =>
    withDb((db) =>
      db.transaction(() => {
        const gone = db.prepare(`DELETE FROM ${table} WHERE id = ?`).run([id]).changes > 0;
        if (gone) bump(db);
        return gone;
      })
    );

  return {
    spend(scope, sinceMs, bucketMs) {
      const where = ["outcome <> 'blocked'"];
      const params: Record<string, SqlValue> = {};
      for (const [key, value] of Object.entries(scope) as [keyof Scope, string | undefined][]) {
        if (value === undefined) continue;
        where.push(CONDITION[key]);
        params[key] = value;
      }
      if (sinceMs !== null) {
        where.push("ts >= $since");
        params.since = new Date(sinceMs).toISOString();
      }
      const sums = "COALESCE(SUM(cost_pico), 0) AS cost_pico, COALESCE(SUM(total_tokens), 0) AS tokens";
      return withDb((db) => {
        if (bucketMs === null) {
          const row = db.prepare(`SELECT ${sums} FROM requests WHERE ${where.join(" AND ")}`).get(params);
          return [{ at: sinceMs ?? 0, cost_pico: toNumber(row?.cost_pico), tokens: toNumber(row?.tokens) }];
        }
        const size = Math.max(1, Math.trunc(bucketMs));
        const rows = db.prepare(
          `SELECT (${EPOCH_MS} / ${size}) * ${size} AS at, ${sums} FROM requests WHERE ${where.join(" AND ")}
           GROUP BY 1 ORDER BY 1`,
        ).all(params);
        return rows.map((r): SpendBucket => ({
          at: toNumber(r.at),
          cost_pico: toNumber(r.cost_pico),
          tokens: toNumber(r.tokens),
        }));
      });
    },
    listBudgets: () => list<Budget>("budgets"),
    putBudget: (budget, source = "api") => put("budgets", budget.id, budget, source),
    deleteBudget: (id) => remove("budgets", id),
    listRateLimits: () => list<RateLimit>("rate_limits"),
    putRateLimit: (limit, source = "api") => put("rate_limits", limit.id, limit, source),
    deleteRateLimit: (id) => remove("rate_limits", id),
    syncConfig: (budgets, rateLimits) =>
      withDb((db) =>
        db.transaction(() => {
          let changed = dropStaleConfig(db, "budgets", budgets);
          changed = dropStaleConfig(db, "rate_limits", rateLimits) || changed;
          for (const b of budgets) changed = upsert(db, "budgets", b.id, b, "config") || changed;
          for (const l of rateLimits) changed = upsert(db, "rate_limits", l.id, l, "config") || changed;
          if (changed) bump(db);
          return changed;
        })
      ),
    definitionsVersion: () =>
      withDb((db) =>
        toNumber(db.prepare("SELECT version FROM definitions_version WHERE id = 1").get()?.version)
      ),
    ...createAlertOutbox(withDb, now),
  };
}
