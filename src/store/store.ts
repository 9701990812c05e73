/** @module The usage store: bounded queue + background batch flusher on the write side, async reads. */
import type { TextReads } from "./text-reads.ts";
import type { UsageRecord } from "../usage/record.ts";
import type { Fact } from "../usage/fact.ts";
import { COLUMN_SQL, RECORD_COLUMNS, recordToParams, rowToRecord } from "./columns.ts";
import { createControlStore, type StoreControl } from "./control-store.ts";
import { sqliteExec } from "../reconcile/exec.ts";
import { createReconcileStore, type ReconcileStore } from "../reconcile/store.ts";
import { createKeyStore, type KeyStore } from "../keys/store.ts";
import { BatchQueue } from "./batch-queue.ts";
import { type Db, isBusyError, type Stmt } from "./db.ts";
import type { RequestFilter } from "./filter.ts";
import {
  exportPage,
  GET_SQL,
  type ListOptions,
  getRequest,
  listRequests,
  pagesOf,
  type RequestPage,
  type UsageReport,
} from "./queries.ts";
import type { Grouping } from "./query-params.ts";
import { usageReport } from "./usage-query.ts";
import { addToRollup, PRUNE_ROLLUP_SQL, repriceRollup, ROLLUP_INSERT_SQL, type RollupRow, rollupParams, sortedRollup } from "./rollup.ts";
import { configure, migrate } from "./schema.ts";
import { coarsen, LEVELS, levelCutoff, levelInsertSql, levelPruneSql } from "./rollup-levels.ts";
import { dailyPrune, drainAtClose, flushTimer, refusalText, retentionCutoff, rollupCutoff, throttledReport } from "./upkeep.ts";

export interface StoreStats {
  /** Accepted by add(), not yet committed. */
  queued: number;
  /** Committed to the database. */
  written: number;
  /** Refused (queue full, store closed, unserializable) or given up at close. Never silent: see onError. */
  dropped: number;
  /** Failed batch writes (each is retried). */
  write_errors: number;
}

export interface StoreOptions {
  /** Records per transaction (default 1,000). */
  batchSize?: number;
  /** Longest a record waits in the queue while the database is writable (default 100 ms). */
  flushIntervalMs?: number;
  /** Records kept while the database cannot be written; beyond it add() drops (default 100,000). */
  maxQueue?: number;
  /** Pause after a failed write before the next attempt (default 1,000 ms). */
  retryMs?: number;
  /** Problems for the operator's log; called at most once per `errorIntervalMs`, with a suppressed count. */
  onError?: (message: string) => void;
  /** Default 10,000 ms. */
  errorIntervalMs?: number;
  /** A fresh connection to the same file, tried after a failure that is not lock contention (read-only file). */
  reopen?: () => Db;
  /** Lock wait for this connection. Writes run on the event loop, so keep it short (default 50 ms). */
  busyTimeoutMs?: number;
  /** Delete records older than this many days at start and every 24 h (default: keep everything). */
  retentionDays?: number | null;
  /** Delete rollup rows older than this many days, at start and every 24 h (default: keep them forever). */
  rollupRetentionDays?: number | null;
  /** Records per page for exportRows (default 1,000). */
  exportPageSize?: number;
  now?: () => number;
}

export interface Store {
  /** Enqueues one record. Synchronous, never throws, never touches the database. */
  add(record: UsageRecord): void;
  /**
   * Enqueues the record of a fact (src/usage/fact.ts), made where the store writes: present on the SQLite store with
   * its inserts on a worker (src/store/worker/client.ts); `addFact` (src/usage/fact.ts) makes the record otherwise.
   */
  addFact?(fact: Fact): void;
  /** Writes everything queued now; rejects when a batch cannot be written (records stay queued). */
  flush(): Promise<void>;
  /** Final flush, then closes the database. Records that still cannot be written are counted as dropped. */
  close(): Promise<void>;
  stats(): StoreStats;
  /** Deletes records with `ts` older than `retentionDays` days, in small transactions; resolves to the count. */
  prune(retentionDays: number): Promise<number>;
  listRequests(filter: RequestFilter, options: ListOptions): Promise<RequestPage>;
  /** One record in full, or null when no record has this id. */
  getRequest(id: string): Promise<UsageRecord | null>;
  usage(filter: RequestFilter, grouping: Grouping): Promise<UsageReport>;
  /** Oldest first, in pages; constant memory for any row count. */
  exportRows(filter: RequestFilter): AsyncIterable<UsageRecord[]>;
  /** The reads above as the API's UTF-8 bodies, made off the event loop; absent: src/store/text-reads.ts derives them. */
  readonly text?: TextReads;
  /** Replaces the cost fields of existing records (reprice), in one transaction; resolves to rows changed. */
  updateCosts(updates: readonly CostUpdate[]): Promise<number>;
  /** Spend control's definitions, spend sums and alert outbox on the same connection. */
  readonly control: StoreControl;
  /** Reconciliation's provider rows and key hints (docs/architecture.md §19). */
  readonly reconcile: ReconcileStore;
  /** Kestrel-issued keys (docs/architecture.md §20). */
  readonly keys: KeyStore;
}

/** The cost fields of one record, as `kestrel reprice` recomputes them. */
export type CostUpdate = Pick<
  UsageRecord,
  "id" | "cost_usd" | "cost_pico" | "cost_breakdown" | "priced" | "price_version"
>;

const INSERT_SQL = `INSERT INTO requests (${COLUMN_SQL}) VALUES (${RECORD_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (id) DO NOTHING`;
const UPDATE_COSTS_SQL = `UPDATE requests SET cost_usd = ?, cost_pico = ?, cost_breakdown = ?, priced = ?,
  price_version = ? WHERE id = ?`;
const PRUNE_CHUNK = 5000;
/**
 * The page cache of a connection that writes batches (SQLite's default is 2 MB). Every record lands at the end of
 * its user's, key's, project's and model's range in each attribute index, so a batch touches a leaf per attribute
 * value (~1,300 with the seed's 400 users and 800 keys) plus their parents: with 2 MB they evicted each other and a
 * 10,000-record batch read ~78,000 pages back from the OS; with 64 MB ~3,800, and the batch took 2.5× less time
 * at 10^7 rows (BENCHMARKS.md "Records at scale"). Only writing connections get it; readers keep the default.
 */
const WRITE_CACHE_KIB = 64 * 1024;

/** Quarter-hour increments (sorted) and their coarse regroupings, inside the caller's transaction. */
function writeRollups(fine: Stmt, coarse: readonly Stmt[], rows: readonly RollupRow[]): void {
  for (const row of rows) fine.run(rollupParams(row));
  LEVELS.forEach((level, i) => {
    for (const row of coarsen(level, rows)) coarse[i]!.run(rollupParams(row));
  });
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const tick = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createStore(initialDb: Db, options: StoreOptions = {}): Store {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const intervalMs = options.flushIntervalMs ?? 100;
  const maxQueue = options.maxQueue ?? 100_000;
  const retryMs = options.retryMs ?? 1000;
  const errorIntervalMs = options.errorIntervalMs ?? 10_000;
  const busyTimeoutMs = options.busyTimeoutMs ?? 50;
  const pageSize = options.exportPageSize ?? 1000;
  const now = options.now ?? Date.now;

  let db = initialDb;
  let ready = false; // schema known to be current on this connection
  let reconnect = false; // the last failure may be cured by a fresh connection
  let insert: Stmt | null = null; // prepared once per connection
  let rollup: Stmt | null = null;
  let levels: Stmt[] | null = null; // the coarse rollups' upserts, LEVELS order
  const queue = new BatchQueue<UsageRecord>(maxQueue);
  let failing = false; // in backoff after a failed write: no early flushes
  let closed = false;
  let lastError: unknown = null;
  const counts = { written: 0, dropped: 0, write_errors: 0 };

  const report = throttledReport(options.onError, errorIntervalMs, now);

  /** Every read and write goes through the current connection, which a reconnect may replace. */
  const live: Db = {
    get driver() {
      return db.driver;
    },
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };

  const ensureReady = (): void => {
    if (reconnect && options.reopen) {
      try {
        db.close();
      } catch {
        // Already unusable; the new connection replaces it.
      }
      db = options.reopen();
      reconnect = false;
      ready = false;
      insert = null;
      rollup = null;
      levels = null;
    }
    if (!ready) {
      configure(db, busyTimeoutMs);
      migrate(db);
      ready = true;
    }
  };

  try {
    ensureReady();
  } catch (err) {
    // Keep serving: the flusher retries (and reconnects) before its first write.
    report(`Usage database not ready: ${messageOf(err)}`);
    reconnect = true;
  }

  const pending = () => queue.pending;

  /** Writes the oldest batch in one transaction. Returns false (records stay queued) when it fails. */
  const writeBatch = (): boolean => {
    if (queue.waiting === 0) return true;
    const batch = queue.take(batchSize);
    let bad = 0;
    let badMessage = "";
    try {
      ensureReady();
      if (insert === null) db.exec(`PRAGMA cache_size = -${WRITE_CACHE_KIB}`); // the connection that writes
      const stmt = (insert ??= db.prepare(INSERT_SQL));
      const sums = (rollup ??= db.prepare(ROLLUP_INSERT_SQL));
      const coarse = (levels ??= LEVELS.map((level) => db.prepare(levelInsertSql(level))));
      db.transaction(() => {
        // The rollup gets only the rows this transaction inserted: a record written before (a retried batch) is not
        // counted twice.
        const rows = new Map<string, RollupRow>();
        for (const record of batch) {
          let params;
          try {
            params = recordToParams(record);
          } catch (err) {
            bad++;
            badMessage = messageOf(err);
            continue;
          }
          if (stmt.run(params).changes > 0) addToRollup(rows, record);
        }
        writeRollups(sums, coarse, sortedRollup(rows));
      });
    } catch (err) {
      lastError = err;
      counts.write_errors++;
      reconnect = !isBusyError(err);
      queue.putBack(batch);
      report(`Could not write usage records (${pending()} queued, will retry): ${messageOf(err)}`);
      return false;
    }
    queue.done(batch);
    counts.written += batch.length - bad;
    if (bad > 0) {
      counts.dropped += bad;
      report(`Dropped ${bad} usage record(s) that could not be serialized: ${badMessage}`);
    }
    return true;
  };

  const timer = flushTimer(() => {
    // One batch per timer turn keeps each event-loop stall to a few milliseconds.
    failing = !writeBatch();
    if (failing) schedule(retryMs);
    else if (pending() >= batchSize) schedule(0);
    else if (pending() > 0) schedule(intervalMs);
  });
  const schedule = timer.schedule;

  const flushAll = async (): Promise<void> => {
    while (pending() > 0) {
      if (!writeBatch()) throw new Error(`Could not write usage records: ${messageOf(lastError)}`);
      if (pending() > 0) await tick();
    }
  };

  const prune = async (retentionDays: number): Promise<number> => {
    const cutoff = retentionCutoff(now(), retentionDays);
    ensureReady();
    const stmt = db.prepare(
      `DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE ts < $cutoff ORDER BY ts LIMIT ${PRUNE_CHUNK})`,
    );
    let total = 0;
    for (;;) {
      const changes = db.transaction(() => stmt.run({ cutoff }).changes);
      total += changes;
      if (changes < PRUNE_CHUNK) return total;
      await tick();
    }
  };

  const pruneRollup = async (days: number): Promise<number> => {
    const cutoff = rollupCutoff(now(), days);
    ensureReady();
    let total = 0;
    // The quarter hours, then each coarse level up to its own bucket's cut-off.
    const steps = [{ sql: PRUNE_ROLLUP_SQL, cutoff }, ...LEVELS.map((l) => ({ sql: levelPruneSql(l), cutoff: levelCutoff(l, cutoff) }))];
    for (const step of steps) {
      const stmt = db.prepare(step.sql.replace("$1", "$cutoff"));
      for (;;) {
        const changes = db.transaction(() => stmt.run({ cutoff: step.cutoff }).changes);
        if (step.sql === PRUNE_ROLLUP_SQL) total += changes;
        if (changes === 0) break;
        await tick();
      }
    }
    return total;
  };

  const stopPruning = dailyPrune(
    options.retentionDays,
    prune,
    (err) => report(`Could not prune usage records: ${messageOf(err)}`),
    options.rollupRetentionDays ?? null,
    pruneRollup,
  );

  const read = async <T>(fn: () => T): Promise<T> => {
    if (closed) throw new Error("Usage store is closed");
    ensureReady();
    return fn();
  };

  return {
    add(record) {
      // Hot: called on every proxied request. Only counters and an array push.
      if (closed || !queue.push(record)) {
        counts.dropped++;
        report(refusalText(closed, maxQueue, counts.dropped));
        return;
      }
      if (failing) schedule(retryMs);
      else schedule(pending() >= batchSize ? 0 : intervalMs);
    },
    flush: flushAll,
    async close() {
      if (closed) return;
      closed = true;
      timer.stop();
      stopPruning();
      await drainAtClose(flushAll, pending, retryMs);
      const lost = pending();
      if (lost > 0) {
        counts.dropped += lost;
        // The last word at shutdown is never suppressed.
        report(`Closing with ${lost} usage record(s) that could not be written: ${messageOf(lastError)}`, true);
        queue.clear();
      }
      try {
        db.close();
      } catch {
        // Closing twice or a broken connection: nothing left to save.
      }
    },
    stats: () => ({ queued: pending(), ...counts }),
    prune,
    listRequests: (filter, opts) => read(() => listRequests(live, filter, opts)),
    getRequest: (id) => read(() => getRequest(live, id)),
    usage: (filter, grouping) => read(() => usageReport(live, filter, grouping)),
    updateCosts: (updates) =>
      read(() => {
        const stmt = db.prepare(UPDATE_COSTS_SQL);
        const get = db.prepare(GET_SQL);
        const sums = db.prepare(ROLLUP_INSERT_SQL);
        const coarse = LEVELS.map((level) => db.prepare(levelInsertSql(level)));
        return db.transaction(() => {
          let changed = 0;
          const old: UsageRecord[] = [];
          for (const u of updates) {
            const row = get.get({ id: u.id });
            if (row !== undefined) old.push(rowToRecord(row));
            const breakdown = u.cost_breakdown === null ? null : JSON.stringify(u.cost_breakdown);
            changed += stmt.run([u.cost_usd, u.cost_pico, breakdown, u.priced ? 1 : 0, u.price_version, u.id]).changes;
          }
          writeRollups(sums, coarse, repriceRollup(old, updates));
          return changed;
        });
      }),
    control: createControlStore((fn) => read(() => fn(live)), now),
    reconcile: createReconcileStore(sqliteExec((fn) => read(() => fn(live)))),
    keys: createKeyStore(sqliteExec((fn) => read(() => fn(live))), now),
    async *exportRows(filter) {
      if (closed) throw new Error("Usage store is closed");
      ensureReady();
      yield* pagesOf((after) => exportPage(live, filter, after, pageSize), pageSize);
    },
  };
}
