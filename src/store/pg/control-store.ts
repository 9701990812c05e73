/**
 * @module Spend control's tables on PostgreSQL: the same contract as SQLite's (src/store/control-store.ts), the
 * same rows. Spend is summed over `requests`; definitions and the alert outbox are shared by every instance.
 */
import type { Budget, RateLimit, Scope, SpendBucket } from "../../control/types.ts";
import type { DefinitionSource, StoreControl } from "../control-store.ts";
import type { Sql } from "./connect.ts";

type Table = "budgets" | "rate_limits";
type Tx = Sql; // a transaction handle offers the same calls

/** Scope key → condition on `requests` with a positional slot; `tag` looks inside the JSON array. */
const CONDITION: Record<keyof Scope, (slot: string) => string> = {
  key_id: (p) => `key_id = ${p}`,
  user: (p) => `"user" = ${p}`,
  project: (p) => `project = ${p}`,
  provider: (p) => `provider = ${p}`,
  model: (p) => `model = ${p}`,
  tag: (p) => `EXISTS (SELECT 1 FROM json_array_elements_text(requests.tags::json) AS t(v) WHERE t.v = ${p})`,
};

/** The record's epoch ms at second precision, as SQLite's version computes it. */
const EPOCH_MS = "(floor(extract(epoch FROM ts::timestamptz))::bigint * 1000)";

const toNumber = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export function createPgControlStore(sql: Sql, now: () => number = Date.now): StoreControl {
  const list = async <T>(table: Table): Promise<T[]> => {
    const rows = await sql.unsafe(`SELECT definition FROM ${table} ORDER BY id`);
    return rows.map((r) => JSON.parse(String(r.definition)) as T);
  };

  /** Inside a transaction; true when the row changed (an identical write bumps nothing). */
  const upsert = async (tx: Tx, table: Table, id: string, value: unknown, source: DefinitionSource) => {
    const definition = JSON.stringify(value);
    const old = await tx.unsafe(`SELECT definition, source FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
    if (old[0]?.definition === definition && old[0]?.source === source) return false;
    await tx.unsafe(
      `INSERT INTO ${table} (id, definition, source, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, source = excluded.source,
       updated_at = excluded.updated_at`,
      [id, definition, source, new Date(now()).toISOString()],
    );
    return true;
  };
  const bump = (tx: Tx) => tx.unsafe("UPDATE definitions_version SET version = version + 1 WHERE id = 1");

  const put = async (table: Table, id: string, value: unknown, source: DefinitionSource) => {
    await sql.begin(async (tx) => {
      if (await upsert(tx as unknown as Tx, table, id, value, source)) await bump(tx as unknown as Tx);
    });
  };

  const dropStaleConfig = async (tx: Tx, table: Table, keep: readonly { id: string }[]) => {
    const ids = keep.map((d) => d.id);
    const gone = await tx.unsafe(`DELETE FROM ${table} WHERE source = 'config' AND NOT (id = ANY($1::text[]))`, [
      ids,
    ] as never[]);
    return gone.count > 0;
  };

  const remove = (table: Table, id: string) =>
    sql.begin(async (tx) => {
      const gone = (await tx.unsafe(`DELETE FROM ${table} WHERE id = $1`, [id])).count > 0;
      if (gone) await bump(tx as unknown as Tx);
      return gone;
    });

  return {
    async spend(scope, sinceMs, bucketMs) {
      const where = ["outcome <> 'blocked'"];
      const params: string[] = [];
      for (const [key, value] of Object.entries(scope) as [keyof Scope, string | undefined][]) {
        if (value === undefined) continue;
        params.push(value);
        where.push(CONDITION[key](`$${params.length}`));
      }
      if (sinceMs !== null) {
        params.push(new Date(sinceMs).toISOString());
        where.push(`ts >= $${params.length}`);
      }
      const sums = "COALESCE(SUM(cost_pico), 0) AS cost_pico, COALESCE(SUM(total_tokens), 0) AS tokens";
      if (bucketMs === null) {
        const rows = await sql.unsafe(`SELECT ${sums} FROM requests WHERE ${where.join(" AND ")}`, params);
        return [{ at: sinceMs ?? 0, cost_pico: toNumber(rows[0]?.cost_pico), tokens: toNumber(rows[0]?.tokens) }];
      }
      const size = Math.max(1, Math.trunc(bucketMs));
      const rows = await sql.unsafe(
        `SELECT (${EPOCH_MS} / ${size}) * ${size} AS at, ${sums} FROM requests WHERE ${where.join(" AND ")}
         GROUP BY 1 ORDER BY 1`,
        params,
      );
      return rows.map((r): SpendBucket => ({
        at: toNumber(r.at),
        cost_pico: toNumber(r.cost_pico),
        tokens: toNumber(r.tokens),
      }));
    },
    listBudgets: () => list<Budget>("budgets"),
    putBudget: (budget, source = "api") => put("budgets", budget.id, budget, source),
    deleteBudget: (id) => remove("budgets", id),
    listRateLimits: () => list<RateLimit>("rate_limits"),
    putRateLimit: (limit, source = "api") => put("rate_limits", limit.id, limit, source),
    deleteRateLimit: (id) => remove("rate_limits", id),
    syncConfig: (budgets, rateLimits) =>
      sql.begin(async (t) => {
        const tx = t as unknown as Tx;
        // One writer at a time: instances starting together would otherwise race on the same rows.
        await tx.unsafe("SELECT version FROM definitions_version WHERE id = 1 FOR UPDATE");
        let changed = await dropStaleConfig(tx, "budgets", budgets);
        changed = (await dropStaleConfig(tx, "rate_limits", rateLimits)) || changed;
        for (const b of budgets) changed = (await upsert(tx, "budgets", b.id, b, "config")) || changed;
        for (const l of rateLimits) changed = (await upsert(tx, "rate_limits", l.id, l, "config")) || changed;
        if (changed) await bump(tx);
        return changed;
      }),
    definitionsVersion: async () =>
      toNumber((await sql.unsafe("SELECT version FROM definitions_version WHERE id = 1"))[0]?.version),
    claimAlert: async (key, payload, at) =>
      (await sql.unsafe(
        "INSERT INTO alert_outbox (key, payload, claimed_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
        [key, payload, new Date(at).toISOString()],
      )).count === 1,
    markAlertDelivered: async (key, at) => {
      await sql.unsafe("UPDATE alert_outbox SET delivered_at = $1, attempts = attempts + 1 WHERE key = $2", [
        new Date(at).toISOString(),
        key,
      ]);
    },
    undeliveredAlerts: async () =>
      (await sql.unsafe("SELECT key, payload FROM alert_outbox WHERE delivered_at IS NULL ORDER BY claimed_at, key"))
        .map((r) => ({ key: String(r.key), payload: String(r.payload) })),
  };
}
