/**
 * @module The control plane's tables on PostgreSQL (src/store/pg/control-schema.ts): definitions, spend sums over
 * `requests`, the alert outbox (src/store/pg/alert-outbox.ts), and the spend counters every instance adds to
 * (docs/architecture.md §12). The same answers as src/store/control-store.ts on SQLite.
 */
import type postgres from "postgres";
import type { Budget, CounterRow, RateLimit, Scope, SharedCounters, SpendBucket } from "../../control/types.ts";
import type { DefinitionSource, StoreControl } from "../control-store.ts";
import { createPgAlertOutbox } from "./alert-outbox.ts";

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;
type Table = "budgets" | "rate_limits";
type Param = string | number;

/** The control store on PostgreSQL: SQLite's interface plus the shared spend counters. */
export type PgControlStore = StoreControl & SharedCounters;

export interface PgControlOptions {
  /** This instance's name in `alert_deliveries.claimed_by` (default: random). */
  instance?: string;
}

/** Serialises definition writers (two instances syncing the same config file at once): one constant lock. */
const DEFINITIONS_LOCK = 0x6b6473;

/** Scope key → condition on `requests` with parameter $N; `tag` looks inside the JSON array text. */
const CONDITION: Record<keyof Scope, (n: number) => string> = {
  key_id: (n) => `key_id = $${n}`,
  user: (n) => `"user" = $${n}`,
  project: (n) => `project = $${n}`,
  provider: (n) => `provider = $${n}`,
  model: (n) => `model = $${n}`,
  tag: (n) => `tags::jsonb @> jsonb_build_array($${n}::text)`,
};

/** The record's epoch ms at second precision, as SQLite's control store computes it (`ts` is ISO text). */
const EPOCH_MS = "(floor(extract(epoch FROM ts::timestamptz))::bigint * 1000)";

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const iso = (ms: number) => new Date(ms).toISOString();

async function spendOn(sql: Sql | Tx, scope: Scope, sinceMs: number | null, bucketMs: number | null): Promise<SpendBucket[]> {
  const where = ["outcome <> 'blocked'"];
  const params: Param[] = [];
  for (const [key, value] of Object.entries(scope) as [keyof Scope, string | undefined][]) {
    if (value === undefined) continue;
    params.push(value);
    where.push(CONDITION[key](params.length));
  }
  if (sinceMs !== null) {
    params.push(iso(sinceMs));
    where.push(`ts >= $${params.length}`);
  }
  const sums = "COALESCE(SUM(cost_pico), 0) AS cost_pico, COALESCE(SUM(total_tokens), 0) AS tokens";
  if (bucketMs === null) {
    const rows = await sql.unsafe(`SELECT ${sums} FROM requests WHERE ${where.join(" AND ")}`, params);
    return [{ at: sinceMs ?? 0, cost_pico: num(rows[0]?.cost_pico), tokens: num(rows[0]?.tokens) }];
  }
  const size = Math.max(1, Math.trunc(bucketMs));
  const rows = await sql.unsafe(
    `SELECT (${EPOCH_MS} / ${size}) * ${size} AS at, ${sums} FROM requests WHERE ${where.join(" AND ")}
     GROUP BY 1 ORDER BY 1`,
    params,
  );
  return rows.map((r): SpendBucket => ({ at: num(r.at), cost_pico: num(r.cost_pico), tokens: num(r.tokens) }));
}

/** A definition's counters start over when it is written: its old key is never read again. */
async function dropCounters(tx: Tx, owner: string): Promise<void> {
  await tx`DELETE FROM spend_counters WHERE owner = ${owner}`;
  await tx`DELETE FROM spend_generations WHERE owner = ${owner}`;
}

const ownerOf = (table: Table, id: string) => `${table === "budgets" ? "budget" : "rate_limit"}:${id}`;

export function createPgControlStore(sql: Sql, now: () => number = Date.now, options: PgControlOptions = {}): PgControlStore {
  const instance = options.instance ?? crypto.randomUUID();

  const list = async <T>(table: Table): Promise<T[]> => {
    const rows = await sql.unsafe(`SELECT definition FROM ${table} ORDER BY id COLLATE "C"`);
    return rows.map((row) => JSON.parse(String(row.definition)) as T);
  };

  /** Inside a transaction; true when the row changed (an identical write bumps nothing, so no needless reload). */
  const upsert = async (tx: Tx, table: Table, id: string, value: unknown, source: DefinitionSource) => {
    const definition = JSON.stringify(value);
    const old = await tx.unsafe(`SELECT definition, source FROM ${table} WHERE id = $1`, [id]);
    if (old[0]?.definition === definition && old[0]?.source === source) return false;
    await tx.unsafe(
      `INSERT INTO ${table} (id, definition, source, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, source = excluded.source,
       updated_at = excluded.updated_at`,
      [id, definition, source, iso(now())],
    );
    await dropCounters(tx, ownerOf(table, id));
    return true;
  };
  const bump = (tx: Tx) => tx`UPDATE definitions_version SET version = version + 1 WHERE id = 1`;
  /** A definition-writing transaction, one at a time across instances. */
  const writing = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
    sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${DEFINITIONS_LOCK})`;
      return await fn(tx);
    }) as Promise<T>;

  const put = (table: Table, id: string, value: unknown, source: DefinitionSource) =>
    writing(async (tx) => {
      if (await upsert(tx, table, id, value, source)) await bump(tx);
    });

  const remove = (table: Table, id: string) =>
    writing(async (tx) => {
      const gone = (await tx.unsafe(`DELETE FROM ${table} WHERE id = $1`, [id])).count > 0;
      if (gone) {
        await dropCounters(tx, ownerOf(table, id));
        await bump(tx);
      }
      return gone;
    });

  /** Config rows of `table` not in `keep` are deleted; true when any was. */
  const dropStaleConfig = async (tx: Tx, table: Table, keep: readonly { id: string }[]) => {
    const ids = new Set(keep.map((d) => d.id));
    const stale = (await tx.unsafe(`SELECT id FROM ${table} WHERE source = 'config'`))
      .map((r) => String(r.id)).filter((id) => !ids.has(id));
    for (const id of stale) {
      await tx.unsafe(`DELETE FROM ${table} WHERE id = $1`, [id]);
      await dropCounters(tx, ownerOf(table, id));
    }
    return stale.length > 0;
  };

  return {
    spend: (scope, sinceMs, bucketMs) => spendOn(sql, scope, sinceMs, bucketMs),
    listBudgets: () => list<Budget>("budgets"),
    putBudget: (budget, source = "api") => put("budgets", budget.id, budget, source),
    deleteBudget: (id) => remove("budgets", id),
    listRateLimits: () => list<RateLimit>("rate_limits"),
    putRateLimit: (limit, source = "api") => put("rate_limits", limit.id, limit, source),
    deleteRateLimit: (id) => remove("rate_limits", id),
    syncConfig: (budgets, rateLimits) =>
      writing(async (tx) => {
        let changed = await dropStaleConfig(tx, "budgets", budgets);
        changed = (await dropStaleConfig(tx, "rate_limits", rateLimits)) || changed;
        for (const b of budgets) changed = (await upsert(tx, "budgets", b.id, b, "config")) || changed;
        for (const l of rateLimits) changed = (await upsert(tx, "rate_limits", l.id, l, "config")) || changed;
        if (changed) await bump(tx);
        return changed;
      }),
    async definitionsVersion() {
      const rows = await sql`SELECT version FROM definitions_version WHERE id = 1`;
      return num(rows[0]?.version);
    },
    ...createPgAlertOutbox(sql, instance),
    async openCounters(key, owner, scope, sinceMs, bucketMs, expires) {
      await sql.begin(async (tx) => {
        // The first instance to open a key seeds it; the others wait on the row here, then find it taken.
        const created = await tx`
          INSERT INTO spend_generations (key, owner, created_at) VALUES (${key}, ${owner}, ${iso(now())})
          ON CONFLICT (key) DO NOTHING`;
        if (created.count !== 1) return;
        const seed = (await spendOn(tx, scope, sinceMs, bucketMs)).filter((b) => b.cost_pico !== 0 || b.tokens !== 0);
        if (seed.length === 0) return;
        const rolling = bucketMs !== null && sinceMs !== null;
        await addCounters(tx, seed.map((b) => ({
          key,
          owner,
          at: b.at,
          a: b.cost_pico,
          b: b.tokens,
          // A rolling bucket expires a window after it began, like the first one.
          expires: rolling ? expires + (b.at - sinceMs!) : expires,
        })));
      });
    },
    async exchange(push, read) {
      return await sql.begin(async (tx) => {
        if (push.length > 0) await addCounters(tx, push);
        if (read.length === 0) return [];
        const rows = await tx`
          SELECT c.key, c.bucket, c.a, c.b FROM spend_counters c
          JOIN unnest(${read.map((r) => r.key)}::text[], ${read.map((r) => r.since)}::bigint[],
                      ${read.map((r) => r.until)}::bigint[]) AS w(key, since, until)
            ON c.key = w.key AND c.bucket >= w.since AND c.bucket < w.until
          ORDER BY c.key, c.bucket`;
        return rows.map((r): CounterRow => ({ key: String(r.key), at: num(r.bucket), a: num(r.a), b: num(r.b) }));
      }) as CounterRow[];
    },
    async pruneCounters(at) {
      await sql`DELETE FROM spend_counters WHERE expires < ${at}`;
    },
  };
}

/**
 * One statement for every delta: added to the row when it exists. Sorted by (key, bucket), so two instances
 * pushing overlapping rows lock them in the same order and cannot deadlock.
 */
async function addCounters(
  tx: Tx,
  rows: readonly { key: string; owner: string; at: number; a: number; b: number; expires: number }[],
): Promise<void> {
  const sorted = [...rows].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.at - y.at));
  const whole = (v: number) => Math.round(v);
  await tx`
    INSERT INTO spend_counters (key, owner, bucket, a, b, expires)
    SELECT * FROM unnest(${sorted.map((r) => r.key)}::text[], ${sorted.map((r) => r.owner)}::text[],
      ${sorted.map((r) => whole(r.at))}::bigint[], ${sorted.map((r) => whole(r.a))}::bigint[],
      ${sorted.map((r) => whole(r.b))}::bigint[], ${sorted.map((r) => whole(r.expires))}::bigint[])
    ON CONFLICT (key, bucket) DO UPDATE
      SET a = spend_counters.a + excluded.a, b = spend_counters.b + excluded.b,
          expires = GREATEST(spend_counters.expires, excluded.expires)`;
}
