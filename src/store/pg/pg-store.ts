/**
 * @module The usage store on PostgreSQL: the same bounded queue as SQLite's (src/store/batch-queue.ts), flushed in
 * batches (COPY into a staging table, then one INSERT: src/store/pg/copy-in.ts) on a pooled connection; reads run the
 * shared queries (src/store/queries.ts). Never throws at creation: an unreachable server is retried with backoff and
 * the schema is migrated on the first success.
 */
import type { UsageRecord } from "../../usage/record.ts";
import { COLUMN_SQL, recordToParams, rowToRecord } from "../columns.ts";
import type { StoreControl } from "../definitions.ts";
import type { Row } from "../db.ts";
import type { RequestFilter } from "../filter.ts";
import {
  exportPageQuery,
  GET_SQL,
  listPage,
  listQuery,
  type Query,
  usageFromRows,
} from "../queries.ts";
import type { Store, StoreOptions } from "../store.ts";
import { connectPg, describePg, pgErrorText, positional, type Sql } from "./connect.ts";
import { BatchQueue } from "../batch-queue.ts";
import { createPgControlStore } from "./control-store.ts";
import { writeRollups } from "./rollup-write.ts";
import { copyInsert, copyLine } from "./copy-in.ts";
import { pagesAhead } from "./export-pages.ts";
import { LEVELS, levelCutoff, levelPruneSql } from "../rollup-levels.ts";
import { addToRollup, PRUNE_ROLLUP_SQL, repriceRollup, type RollupRow, sortedRollup } from "../rollup.ts";
import { pgExec } from "../../reconcile/exec.ts";
import { createReconcileStore } from "../../reconcile/store.ts";
import { createKeyStore } from "../../keys/store.ts";
import { migratePg } from "./schema.ts";
import { createMonths, pruneRequests } from "./partitions.ts";
import { usageQuery } from "../usage-query.ts";
import { DAY_MS, dailyPrune, drainAtClose, flushTimer, refusalText, retentionCutoff, rollupCutoff, throttledReport } from "../upkeep.ts";

export interface PgStoreOptions extends Omit<StoreOptions, "reopen" | "busyTimeoutMs"> {
  /** Connections in the pool (default 10). */
  poolSize?: number | undefined;
  /** Longest pause between attempts while the server is unreachable (default 10,000 ms). */
  maxRetryMs?: number;
  /** Called once when the server is reached and the schema is current (after an outage at startup too). */
  onReady?: () => void;
}

const UPDATE_CHUNK = 500;
/** Batches in flight at once: two keep both the encoder and the server busy; more only queue in the server. */
const MAX_WRITES = 2;
/** Reprice's two statements (exported for bench/pg-plans.ts, which shows their plans). */
export const OLD_SQL = `SELECT ${COLUMN_SQL} FROM requests WHERE id = ANY($1::text[]) FOR UPDATE`;
/** By id and `ts` (from OLD_SQL's row): `ts` prunes the update to one partition (docs/architecture.md §17). */
export const UPDATE_SQL = `UPDATE requests SET cost_usd = $1, cost_pico = $2, cost_breakdown = $3, priced = $4,
  price_version = $5 WHERE id = $6 AND ts = $7`;


/** Rows that exist already (a retried batch whose commit was not acknowledged) are skipped; src/store/pg/copy-in.ts. */
const INSERT_TAIL = "ON CONFLICT (id, ts) DO NOTHING RETURNING id";


export function createPgStore(url: string, options: PgStoreOptions = {}): Store {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const intervalMs = options.flushIntervalMs ?? 100;
  const maxQueue = options.maxQueue ?? 100_000;
  const retryMs = options.retryMs ?? 1000;
  const maxRetryMs = Math.max(retryMs, options.maxRetryMs ?? 10_000);
  const errorIntervalMs = options.errorIntervalMs ?? 10_000;
  const pageSize = options.exportPageSize ?? 1000;
  const now = options.now ?? Date.now;
  const where = describePg(url);

  const sql: Sql = connectPg(url, { poolSize: options.poolSize });
  let migrated = false;
  let migrating: Promise<void> | null = null;
  const queue = new BatchQueue<UsageRecord>(maxQueue);
  let failures = 0; // consecutive failed writes: the backoff grows with them
  let closed = false;
  let lastError: unknown = null;
  const counts = { written: 0, dropped: 0, write_errors: 0 };

  const report = throttledReport(options.onError, errorIntervalMs, now);

  /** Migrates once per process; concurrent callers share the attempt, a failed one is retried by the next. */
  const ready = (): Promise<void> => {
    if (migrated) return Promise.resolve();
    migrating ??= migratePg(sql, now()).then(
      () => {
        migrated = true;
        migrating = null;
        void makeMonths();
        try {
          options.onReady?.();
        } catch {
          // Logging only.
        }
      },
      (err) => {
        migrating = null;
        throw err;
      },
    );
    return migrating;
  };

  const running = new Set<Promise<boolean>>();
  const waiting = () => queue.waiting;
  const pending = () => queue.pending;
  const backoff = () => Math.min(maxRetryMs, retryMs * 2 ** Math.min(failures - 1, 10));

  /**
   * Takes the oldest batch off the queue and writes it in one transaction; on failure the batch goes back to the
   * front (false). Two may run at once on separate connections: one encodes while the other is in the server.
   */
  const writeBatch = async (): Promise<boolean> => {
    if (queue.waiting === 0) return true;
    const batch = queue.take(batchSize);
    let text = "";
    const good: UsageRecord[] = [];
    let bad = 0;
    let badMessage = "";
    for (const record of batch) {
      try {
        text += copyLine(recordToParams(record));
      } catch (err) {
        bad++;
        badMessage = pgErrorText(err);
        continue;
      }
      good.push(record);
    }
    const rows = good.length;
    try {
      await ready();
      if (rows > 0) {
        await sql.begin(async (tx) => {
          // The rollup gets only the rows this transaction inserted: a batch retried after a commit whose
          // acknowledgement was lost counts once.
          const returned = await copyInsert(tx, "requests", COLUMN_SQL, text, INSERT_TAIL);
          const inserted = new Set(returned.map((r) => String(r.id)));
          const sums = new Map<string, RollupRow>();
          for (const record of good) if (inserted.has(record.id)) addToRollup(sums, record);
          await writeRollups(tx, sortedRollup(sums));
        });
      }
    } catch (err) {
      queue.putBack(batch);
      lastError = err;
      counts.write_errors++;
      failures++;
      report(`Could not write usage records to ${where} (${pending()} queued, will retry): ${pgErrorText(err)}`);
      // Whoever started this write (the timer or flush()), the retry is the timer's: a timer that fired while
      // this batch was out found nothing to take and set none.
      schedule(backoff());
      return false;
    }
    queue.done(batch);
    failures = 0;
    counts.written += rows;
    if (bad > 0) {
      counts.dropped += bad;
      report(`Dropped ${bad} usage record(s) that could not be serialized: ${badMessage}`);
    }
    return true;
  };

  const write = (): Promise<boolean> => {
    const done = writeBatch();
    running.add(done);
    void done.finally(() => running.delete(done));
    return done;
  };

  const afterWrite = (ok: boolean): void => {
    if (!ok) return; // the failed write set the retry
    if (waiting() >= batchSize) schedule(0);
    else if (waiting() > 0) schedule(intervalMs);
  };

  const timer = flushTimer(() => {
    // While failing, one attempt at a time; else up to MAX_WRITES batches in flight.
    const limit = failures > 0 ? 1 : MAX_WRITES;
    while (running.size < limit && waiting() > 0) void write().then(afterWrite);
  });
  function schedule(delay: number): void {
    timer.schedule(delay);
  }

  const flushAll = async (): Promise<void> => {
    for (;;) {
      const mine: Promise<boolean>[] = [];
      while (running.size < MAX_WRITES && waiting() > 0) mine.push(write());
      if (running.size === 0) return;
      await Promise.all(running);
      if (!(await Promise.all(mine)).every(Boolean)) {
        throw new Error(`Could not write usage records: ${pgErrorText(lastError)}`);
      }
    }
  };

  const select = async (query: Query): Promise<Row[]> => {
    if (closed) throw new Error("Usage store is closed");
    await ready();
    const { sql: text, values } = positional(query);
    return (await sql.unsafe(text, values as never[])) as unknown as Row[];
  };

  const prune = async (retentionDays: number): Promise<number> => {
    await ready();
    return await pruneRequests(sql, retentionCutoff(now(), retentionDays));
  };

  const pruneRollup = async (days: number): Promise<number> => {
    const cutoff = rollupCutoff(now(), days);
    await ready();
    let total = 0;
    for (;;) {
      const result = await sql.unsafe(PRUNE_ROLLUP_SQL, [cutoff]);
      total += result.count;
      if (result.count === 0) break;
    }
    // Each coarse level up to its own bucket's cut-off (a bucket straddling it stays).
    for (const level of LEVELS) {
      const [text, bound] = [levelPruneSql(level), levelCutoff(level, cutoff)];
      let deleted = 1;
      while (deleted > 0) deleted = (await sql.unsafe(text, [bound])).count;
    }
    return total;
  };

  /** Partitions for this month and the next two, at startup and daily; DEFAULT holds the rows until then. */
  const makeMonths = () =>
    createMonths(sql, now()).catch((err) => {
      if (!closed) report(`Could not create the months ahead in requests' partitions: ${pgErrorText(err)}`);
    });
  const monthsTimer = setInterval(() => {
    if (migrated) void makeMonths();
  }, DAY_MS);
  const stopPruning = dailyPrune(
    options.retentionDays,
    prune,
    (err) => report(`Could not prune usage records: ${pgErrorText(err)}`),
    options.rollupRetentionDays ?? null,
    pruneRollup,
  );

  // Connect and migrate now, so an unreachable server is in the log at startup; keep trying with backoff until
  // it answers (a record or a read would also try).
  let connectTimer: ReturnType<typeof setTimeout> | null = null;
  let connectFailures = 0;
  const connect = (): void => {
    connectTimer = null;
    ready().catch((err) => {
      if (closed) return;
      connectFailures++;
      report(`PostgreSQL store ${where} not ready (serving anyway; records wait in the queue): ${pgErrorText(err)}`);
      connectTimer = setTimeout(connect, Math.min(maxRetryMs, retryMs * 2 ** Math.min(connectFailures - 1, 10)));
    });
  };
  connect();

  const inner = createPgControlStore(sql, now);
  const gate = async () => {
    if (closed) throw new Error("Usage store is closed");
    await ready();
  };
  const control = wrapReady(inner, gate);

  return {
    add(record) {
      // Hot: called on every proxied request. Only counters and an array push.
      if (closed || !queue.push(record)) {
        counts.dropped++;
        report(refusalText(closed, maxQueue, counts.dropped));
        return;
      }
      if (failures > 0) schedule(backoff());
      else schedule(waiting() >= batchSize ? 0 : intervalMs);
    },
    flush: flushAll,
    async close() {
      if (closed) return;
      closed = true;
      timer.stop();
      clearInterval(monthsTimer);
      if (connectTimer !== null) clearTimeout(connectTimer);
      connectTimer = null;
      stopPruning();
      await drainAtClose(flushAll, pending, retryMs);
      const lost = pending();
      if (lost > 0) {
        counts.dropped += lost;
        // The last word at shutdown is never suppressed.
        report(`Closing with ${lost} usage record(s) that could not be written: ${pgErrorText(lastError)}`, true);
        queue.clear();
      }
      await sql.end({ timeout: 5 }).catch(() => {});
    },
    stats: () => ({ queued: pending(), ...counts }),
    prune,
    listRequests: async (filter, opts) => listPage(await select(listQuery(filter, opts)), opts),
    getRequest: async (id) => {
      const found = await select({ sql: GET_SQL, params: { id } });
      return found.length === 0 ? null : rowToRecord(found[0] as Row);
    },
    usage: async (filter, grouping) => usageFromRows(await select(usageQuery(filter, grouping)), grouping),
    async updateCosts(updates) {
      if (closed) throw new Error("Usage store is closed");
      await ready();
      return await sql.begin(async (tx) => {
        let changed = 0;
        for (let i = 0; i < updates.length; i += UPDATE_CHUNK) {
          const chunk = updates.slice(i, i + UPDATE_CHUNK);
          const old = ((await tx.unsafe(OLD_SQL, [chunk.map((u) => u.id)] as never[])) as unknown as Row[]).map(rowToRecord);
          const tsOf = new Map(old.map((r) => [r.id, r.ts]));
          // Pipelined: one round trip per chunk, not per record. An id with no record changes nothing.
          const results = await Promise.all(chunk.filter((u) => tsOf.has(u.id)).map((u) =>
            tx.unsafe(UPDATE_SQL, [
              u.cost_usd,
              u.cost_pico,
              u.cost_breakdown === null ? null : JSON.stringify(u.cost_breakdown),
              u.priced ? 1 : 0,
              u.price_version,
              u.id,
              tsOf.get(u.id)!,
            ] as never[])
          ));
          for (const r of results) changed += r.count;
          await writeRollups(tx, repriceRollup(old, chunk));
        }
        return changed;
      });
    },
    control,
    reconcile: createReconcileStore(pgExec(sql, gate)),
    keys: createKeyStore(pgExec(sql, gate), now),
    exportRows: (filter: RequestFilter) => pagesAhead((after) => select(exportPageQuery(filter, after, pageSize)), pageSize),
  };
}

/** Every method waits for `gate` first (the schema must exist before spend control touches its tables). */
function wrapReady(inner: StoreControl, gate: () => Promise<void>): StoreControl {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inner)) {
    if (typeof value !== "function") {
      out[key] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => Promise<unknown>;
    out[key] = async (...args: unknown[]) => {
      await gate();
      return await fn.apply(inner, args);
    };
  }
  return out as unknown as StoreControl;
}
