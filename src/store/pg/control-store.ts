/**
 * @module The control plane's tables on PostgreSQL (src/store/pg/control-schema.ts): definitions, spend sums from
 * the rollup (src/store/spend-query.ts), the alert outbox (src/store/pg/alert-outbox.ts), and the spend counters
 * every instance writes its running totals to (docs/architecture.md §12). The same decisions as
 * src/store/control-store.ts on SQLite (src/store/definitions.ts).
 */
import type postgres from "postgres";
import type { Budget, CounterRow, RateLimit, SharedCounters } from "../../control/types.ts";
import type { Row } from "../db.ts";
import {
  checkDelete, type DefinitionSource, fromStored, ownerOfRow, spendKeyOf, staleConfig, type StoreControl, type StoredRow,
  type Table, textOf, writeOf,
} from "../definitions.ts";
import { spendBuckets, spendQuery } from "../spend-query.ts";
import { createPgAlertOutbox } from "./alert-outbox.ts";
import { positional } from "./connect.ts";

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;

/** The control store on PostgreSQL: SQLite's interface plus the shared spend counters. */
export type PgControlStore = StoreControl & SharedCounters;

export interface PgControlOptions {
  /** This instance's name in the outbox's leases and in its spend counter rows (default: random, per process). */
  instance?: string;
}

/** Serialises definition writers (two instances syncing the same config file at once): one constant lock. */
const DEFINITIONS_LOCK = 0x6b6473;
/** The instance name of counter rows seeded from the store's records. */
const SEED = "seed";

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(v as string | number | bigint));
const iso = (ms: number) => new Date(ms).toISOString();

async function spendOn(sql: Sql | Tx, scope: Parameters<SharedCounters["openCounters"]>[2], sinceMs: number | null, bucketMs: number | null) {
  const { sql: text, values } = positional(spendQuery("pg", scope, sinceMs, bucketMs));
  return spendBuckets((await sql.unsafe(text, values as never[])) as unknown as Row[], sinceMs, bucketMs);
}

/** A definition's counters other than its current spend key's (all of them when it is gone) are never read again. */
async function dropCounters(tx: Tx, owner: string, keep: string | null): Promise<void> {
  await tx`DELETE FROM spend_counters WHERE owner = ${owner} AND key IS DISTINCT FROM ${keep}`;
  await tx`DELETE FROM spend_generations WHERE owner = ${owner} AND key IS DISTINCT FROM ${keep}`;
}

export function createPgControlStore(sql: Sql, now: () => number = Date.now, options: PgControlOptions = {}): PgControlStore {
  const instance = options.instance ?? crypto.randomUUID();

  const list = async <T extends Budget | RateLimit>(table: Table): Promise<T[]> => {
    const rows = await sql.unsafe(`SELECT definition FROM ${table} ORDER BY id COLLATE "C"`);
    return rows.map((row) => fromStored<T>(table, String(row.definition)));
  };

  const one = async <T extends Budget | RateLimit>(table: Table, id: string): Promise<T | null> => {
    const rows = await sql.unsafe(`SELECT definition FROM ${table} WHERE id = $1`, [id]);
    return rows[0] === undefined ? null : fromStored<T>(table, String(rows[0].definition));
  };

  const stored = async (tx: Tx, table: Table, id: string): Promise<StoredRow | undefined> => {
    const rows = await tx.unsafe(`SELECT definition, source FROM ${table} WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : { definition: String(rows[0].definition), source: String(rows[0].source) };
  };

  /** Inside a transaction; true when the definition changed (a source-only change needs no reload). */
  const upsert = async (tx: Tx, table: Table, definition: Budget | RateLimit, source: DefinitionSource) => {
    const text = textOf(table, definition);
    const what = writeOf(table, definition.id, await stored(tx, table, definition.id), text, source);
    if (what === "none") return false;
    await tx.unsafe(
      `INSERT INTO ${table} (id, definition, source, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, source = excluded.source,
       updated_at = excluded.updated_at`,
      [definition.id, text, source, iso(now())],
    );
    if (what === "text") await dropCounters(tx, ownerOfRow(table, definition.id), spendKeyOf(table, definition));
    return what === "text";
  };
  const bump = (tx: Tx) => tx`UPDATE definitions_version SET version = version + 1 WHERE id = 1`;
  /** A definition-writing transaction, one at a time across instances. */
  const writing = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
    sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${DEFINITIONS_LOCK})`;
      return await fn(tx);
    }) as Promise<T>;

  const put = (table: Table, definition: Budget | RateLimit, source: DefinitionSource) =>
    writing(async (tx) => {
      if (await upsert(tx, table, definition, source)) await bump(tx);
    });

  const deleteRow = async (tx: Tx, table: Table, id: string) => {
    const gone = (await tx.unsafe(`DELETE FROM ${table} WHERE id = $1`, [id])).count > 0;
    if (gone) await dropCounters(tx, ownerOfRow(table, id), null);
    return gone;
  };

  const remove = (table: Table, id: string) =>
    writing(async (tx) => {
      checkDelete(table, id, await stored(tx, table, id));
      const gone = await deleteRow(tx, table, id);
      if (gone) await bump(tx);
      return gone;
    });

  /** Config rows of `table` not in `keep` are deleted; true when any was. */
  const dropStaleConfig = async (tx: Tx, table: Table, keep: readonly { id: string }[]) => {
    const configIds = (await tx.unsafe(`SELECT id FROM ${table} WHERE source = 'config'`)).map((r) => String(r.id));
    const stale = staleConfig(configIds, keep);
    for (const id of stale) await deleteRow(tx, table, id);
    return stale.length > 0;
  };

  return {
    spend: (scope, sinceMs, bucketMs) => spendOn(sql, scope, sinceMs, bucketMs),
    listBudgets: () => list<Budget>("budgets"),
    getBudget: (id) => one<Budget>("budgets", id),
    getRateLimit: (id) => one<RateLimit>("rate_limits", id),
    putBudget: (budget, source = "api") => put("budgets", budget, source),
    deleteBudget: (id) => remove("budgets", id),
    listRateLimits: () => list<RateLimit>("rate_limits"),
    putRateLimit: (limit, source = "api") => put("rate_limits", limit, source),
    deleteRateLimit: (id) => remove("rate_limits", id),
    syncConfig: (budgets, rateLimits) =>
      writing(async (tx) => {
        let changed = await dropStaleConfig(tx, "budgets", budgets);
        changed = (await dropStaleConfig(tx, "rate_limits", rateLimits)) || changed;
        for (const b of budgets) changed = (await upsert(tx, "budgets", b, "config")) || changed;
        for (const l of rateLimits) changed = (await upsert(tx, "rate_limits", l, "config")) || changed;
        if (changed) await bump(tx);
        return changed;
      }),
    async definitionsVersion() {
      const rows = await sql`SELECT version FROM definitions_version WHERE id = 1`;
      return num(rows[0]?.version);
    },
    ...createPgAlertOutbox(sql, instance),
    async openCounters(key, owner, scope, sinceMs, bucketMs, expires) {
      return await sql.begin(async (tx) => {
        // The first instance to open a key seeds it; the others wait on the row here, then find it taken.
        const created = await tx`
          INSERT INTO spend_generations (key, owner, created_at) VALUES (${key}, ${owner}, ${iso(now())})
          ON CONFLICT (key) DO NOTHING`;
        if (created.count !== 1) return false;
        const seed = (await spendOn(tx, scope, sinceMs, bucketMs)).filter((b) => b.cost_pico !== 0n || b.tokens !== 0 || b.requests !== 0);
        const rolling = bucketMs !== null && sinceMs !== null;
        await writeTotals(tx, SEED, seed.map((b) => ({
          key,
          owner,
          at: b.at,
          a: b.cost_pico,
          b: b.tokens,
          // A rolling bucket expires a window after it began, like the first one.
          expires: rolling ? expires + (b.at - sinceMs!) : expires,
        })));
        return true;
      }) as boolean;
    },
    async exchange(push, read) {
      return await sql.begin(async (tx) => {
        await writeTotals(tx, instance, push);
        if (read.length === 0) return [];
        const rows = await tx`
          SELECT c.key, c.bucket, SUM(c.a) AS a, SUM(c.b) AS b FROM spend_counters c
          JOIN unnest(${read.map((r) => r.key)}::text[], ${read.map((r) => r.since)}::bigint[],
                      ${read.map((r) => r.until)}::bigint[]) AS w(key, since, until)
            ON c.key = w.key AND c.bucket >= w.since AND c.bucket < w.until
          GROUP BY c.key, c.bucket ORDER BY c.key, c.bucket`;
        return rows.map((r): CounterRow => ({ key: String(r.key), at: num(r.bucket), a: big(r.a), b: num(r.b) }));
      }) as CounterRow[];
    },
    async pruneCounters(at) {
      await sql`DELETE FROM spend_counters WHERE expires < ${at}`;
    },
  };
}

/**
 * One statement for every total: each (key, bucket, instance) row holds that instance's running total, so a write
 * keeps the greater of old and new — a push repeated after a lost reply changes nothing. Sorted by (key, bucket),
 * so two instances writing overlapping rows lock them in one order and cannot deadlock.
 */
async function writeTotals(
  tx: Tx,
  instance: string,
  rows: readonly { key: string; owner: string; at: number; a: bigint; b: number; expires: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  const sorted = [...rows].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.at - y.at));
  const whole = (v: number) => String(Math.round(v));
  await tx`
    INSERT INTO spend_counters (key, owner, bucket, instance, a, b, expires)
    SELECT k, o, bk, ${instance}, a, b, e FROM unnest(${sorted.map((r) => r.key)}::text[], ${sorted.map((r) => r.owner)}::text[],
      ${sorted.map((r) => whole(r.at))}::bigint[], ${sorted.map((r) => String(r.a))}::bigint[],
      ${sorted.map((r) => whole(r.b))}::bigint[], ${sorted.map((r) => whole(r.expires))}::bigint[]) AS t(k, o, bk, a, b, e)
    ON CONFLICT (key, bucket, instance) DO UPDATE
      SET a = GREATEST(spend_counters.a, excluded.a), b = GREATEST(spend_counters.b, excluded.b),
          expires = GREATEST(spend_counters.expires, excluded.expires)`;
}
