/**
 * @module The store with its writes on a worker thread (docs/architecture.md §11): `add()` turns a record into
 * one JSON line and a timer hands the lines over in batches; the worker formats rows and inserts them
 * (src/store/worker/host.ts). Reads, pruning and spend control stay on `reader`, the ordinary store over the main
 * thread's connection. A worker that fails to start or dies is reported and `reader` takes the writes from then on.
 */
import type { UsageRecord } from "../../usage/record.ts";
import type { Store, StoreStats } from "../store.ts";
import type { FromWorker, ToWorker, WorkerHandle } from "./protocol.ts";

/**
 * Whether a worker can write this database: a second connection to `:memory:` (or a `file:` URI, which may name
 * one) would be a different, private database, and the records would vanish.
 */
export function sharedFile(path: string): boolean {
  return path !== "" && path !== ":memory:" && !path.startsWith("file:");
}

export interface WorkerStoreOptions {
  /** The database file the worker opens for writing. */
  path: string;
  onError?: (message: string) => void;
  batchSize?: number;
  flushIntervalMs?: number;
  /** Records held while the worker starts (and the worker store's own bound); beyond it add() drops. */
  maxQueue?: number;
}

/** Lines are handed over this often, or at once when this many are waiting. */
const SEND_MS = 5;
const SEND_AT = 512;
/** Longest wait for the worker to open the database. */
const START_MS = 10_000;

export function createWorkerStore(reader: Store, worker: WorkerHandle, options: WorkerStoreOptions): Store {
  const maxQueue = options.maxQueue ?? 100_000;
  let state: "starting" | "ready" | "failed" = "starting";
  let lines: string[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let sent = 0;
  let droppedHere = 0;
  let remote: StoreStats = { queued: 0, written: 0, dropped: 0, write_errors: 0 };
  let nextId = 1;
  const waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  const started: { resolve(): void; promise: Promise<void> } = (() => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { resolve, promise };
  })();

  const report = (message: string) => {
    try {
      options.onError?.(message);
    } catch {
      // a failing logger must not stop the writes
    }
  };
  const post = (message: ToWorker) => worker.postMessage(message);

  const fail = (why: string) => {
    if (state === "failed") return;
    clearTimeout(startTimer);
    const lost = sent - remote.written - remote.dropped;
    state = "failed";
    droppedHere += Math.max(0, lost);
    report(`Store worker failed (${why}); ${Math.max(0, lost)} records it held are lost; writing on the main thread from now on`);
    for (const [, w] of waiting) w.reject(new Error(`store worker failed: ${why}`));
    waiting.clear();
    // What was waiting for the worker to start goes to the main thread's store.
    for (const line of lines) reader.add(JSON.parse(line) as UsageRecord);
    lines = [];
    started.resolve();
    worker.terminate();
  };

  // A worker that neither starts nor fails would hold every record and stall the shutdown drain.
  const startTimer = setTimeout(() => state === "starting" && fail(`not ready after ${START_MS} ms`), START_MS);

  worker.onmessage = (event: MessageEvent) => {
    const message = event.data as FromWorker;
    remote = message.stats;
    if (message.type === "ready") {
      clearTimeout(startTimer);
      state = "ready";
      started.resolve();
      if (lines.length > 0) sendNow();
    } else if (message.type === "error") {
      report(message.message);
    } else if (message.type === "done") {
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error === null) w?.resolve();
      else w?.reject(new Error(message.error));
    }
  };
  worker.onerror = (event) => {
    (event as Event).preventDefault?.();
    fail(event instanceof ErrorEvent ? event.message : "worker error");
  };
  post({
    type: "open",
    path: options.path,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.flushIntervalMs ? { flushIntervalMs: options.flushIntervalMs } : {}),
    maxQueue,
  });

  function sendNow(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (state !== "ready" || lines.length === 0) return;
    post({ type: "add", rows: lines.join("\n") });
    sent += lines.length;
    lines = [];
  }

  const ask = async (type: "flush" | "close"): Promise<void> => {
    await started.promise;
    sendNow();
    if (state !== "ready") return;
    const id = nextId++;
    const done = new Promise<void>((resolve, reject) => waiting.set(id, { resolve, reject }));
    post({ type, id });
    await done;
  };

  let closed = false;
  return {
    add(record: UsageRecord): void {
      if (state === "failed") return reader.add(record);
      if (closed || lines.length >= maxQueue) {
        droppedHere++;
        return;
      }
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch (err) {
        droppedHere++;
        report(`Dropped a usage record that could not be serialized: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      lines.push(line);
      if (lines.length >= SEND_AT) sendNow();
      else timer ??= setTimeout(sendNow, SEND_MS);
    },
    async flush() {
      // While the worker starts it holds nothing but what `lines` holds: with none, there is nothing to wait for
      // (serve flushes before loading budgets; waiting on the worker's boot cost ~170 ms of every cold start).
      if (state !== "starting" || lines.length > 0) await ask("flush");
      await reader.flush();
    },
    async close() {
      closed = true;
      try {
        await ask("close");
      } catch (err) {
        report(err instanceof Error ? err.message : String(err));
      }
      if (state === "ready") worker.terminate();
      await reader.close();
    },
    stats(): StoreStats {
      const own = reader.stats();
      // Handed over but not yet counted by the worker are still queued: nothing is lost between the threads.
      const inFlight = state === "failed" ? 0 : Math.max(0, sent - remote.written - remote.dropped - remote.queued);
      return {
        queued: lines.length + inFlight + (state === "failed" ? 0 : remote.queued) + own.queued,
        written: remote.written + own.written,
        dropped: remote.dropped + droppedHere + own.dropped,
        write_errors: remote.write_errors + own.write_errors,
      };
    },
    prune: (days) => reader.prune(days),
    listRequests: (filter, o) => reader.listRequests(filter, o),
    getRequest: (id) => reader.getRequest(id),
    usage: (filter, grouping) => reader.usage(filter, grouping),
    exportRows: (filter) => reader.exportRows(filter),
    updateCosts: (updates) => reader.updateCosts(updates),
    get control() {
      return reader.control;
    },
    get reconcile() {
      return reader.reconcile;
    },
    get keys() {
      return reader.keys;
    },
  };
}
