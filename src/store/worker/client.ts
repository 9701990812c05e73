/**
 * @module The store with its writes on a worker thread (docs/architecture.md §11): `addFact()` encodes an exchange's
 * fact (src/usage/fact.ts) in a compact fixed layout (src/store/worker/fact-codec.ts) into a shared byte ring
 * (src/store/worker/ring.ts) that the worker drains; the worker makes the records (`recordOf`), formats rows and
 * inserts them (src/store/worker/host.ts). A record made elsewhere (`add()`: tests, tools) goes as its JSON. A full
 * ring drops and counts, never blocks: a slow or stopped worker costs records, not responses. Reads, pruning and
 * spend control stay on `reader`, the ordinary store over the main thread's connection. A worker that fails to start
 * or dies is reported; what it had not read yet goes to `reader`, made into records by the same `recordOf`, and
 * `reader` takes the writes from then on.
 */
import { type Fact, recordOf } from "../../usage/fact.ts";
import type { UsageRecord } from "../../usage/record.ts";
import type { Store, StoreStats } from "../store.ts";
import { FactDecoder, FactEncoder } from "./fact-codec.ts";
import type { FromWorker, ToWorker, WorkerHandle } from "./protocol.ts";
import { createRing, RingWriter } from "./ring.ts";

/** What is handed over: a fact, or a record made elsewhere. */
type Entry = Fact | UsageRecord;
const isFact = (entry: Entry): entry is Fact => (entry as Fact).startedAt !== undefined;

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
  /** The worker store's own bound on records read but not yet written, and on records held while it starts with the ring full. */
  maxQueue?: number;
  /** The ring's size in bytes (2 MiB): records not yet read by the worker, also while it starts. */
  ringBytes?: number;
}

/** Longest wait for the worker to open the database. */
const START_MS = 10_000;

export function createWorkerStore(reader: Store, worker: WorkerHandle, options: WorkerStoreOptions): Store {
  const maxQueue = options.maxQueue ?? 100_000;
  const shared = createRing(options.ringBytes);
  const ring = new RingWriter(shared);
  const codec = new FactEncoder();
  let state: "starting" | "ready" | "failed" = "starting";
  /** Records put in the ring: what the worker has not counted yet is still queued. */
  let sent = 0;
  /** The full-ring episode has been reported (one line per episode, not one per record). */
  let fullReported = false;
  /**
   * Records that found the ring full before the worker was ready, and those after them (up to `maxQueue`): a burst
   * at start-up (a restart under traffic, a worker slow to open the file on a loaded machine) waits here, as it did
   * before the ring, and moves into the ring as the worker reads it. Once the worker runs, a full ring drops.
   */
  let early: Entry[] = [];
  let pumpTimer: ReturnType<typeof setTimeout> | null = null;
  /** The entry's bytes, or null (dropped, counted and reported) when it cannot be serialized. */
  const encode = (entry: Entry): Uint8Array | null => {
    try {
      return isFact(entry) ? codec.encode(entry, ring.written, ring.readCount()) : codec.encodeRecord(entry);
    } catch (err) {
      codec.undo();
      ring.drop();
      report(`Dropped a usage record that could not be serialized: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  };
  /** Into the ring, or false when it is full (and the strings the entry would have defined stay undefined). */
  const put = (bytes: Uint8Array): boolean => {
    if (ring.tryWriteBytes(bytes)) return true;
    codec.undo();
    return false;
  };
  /** Moves early records into the ring, in order, while they fit; again in 5 ms while some are left. */
  const pump = () => {
    pumpTimer = null;
    let i = 0;
    for (; i < early.length; i++) {
      const bytes = encode(early[i]!);
      if (bytes === null) continue;
      if (!put(bytes)) break;
      sent++;
    }
    early = i === early.length ? [] : early.slice(i);
    if (early.length > 0 && state === "ready") pumpTimer = setTimeout(pump, 5);
  };
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
  const back = new FactDecoder((gen, id) => codec.nameOf(gen, id));

  const fail = (why: string) => {
    if (state === "failed") return;
    clearTimeout(startTimer);
    state = "failed";
    worker.terminate();
    // What the worker had not read yet goes to the main thread's store; what it had read and not written is lost.
    // Decoded here with the names the encoder gave them (the worker's table died with it): the same records.
    // An entry that does not decode (a codec fault: what may have killed the worker) is lost alone, and counted.
    const taken = ring.takeBackWith((bytes) => {
      try {
        return back.record(bytes);
      } catch {
        return null;
      }
    });
    const unread = taken.filter((r) => r !== null);
    const lost = Math.max(0, sent - taken.length - remote.written - remote.dropped) + taken.length - unread.length;
    ring.drop(lost);
    report(`Store worker failed (${why}); ${lost} records it held are lost; writing on the main thread from now on`);
    for (const [, w] of waiting) w.reject(new Error(`store worker failed: ${why}`));
    waiting.clear();
    if (pumpTimer !== null) clearTimeout(pumpTimer);
    for (const record of unread) reader.add(record);
    for (const entry of early) reader.add(isFact(entry) ? recordOf(entry) : entry);
    early = [];
    started.resolve();
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
      if (early.length > 0) pump();
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
    ring: shared,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.flushIntervalMs ? { flushIntervalMs: options.flushIntervalMs } : {}),
    maxQueue,
  });

  /**
   * The worker reads the ring to its head as of this message, then flushes or closes its store; early records first
   * go through the ring, as much as fits per round.
   */
  const ask = async (type: "flush" | "close"): Promise<void> => {
    await started.promise;
    while (state === "ready" && early.length > 0) {
      pump();
      if (early.length > 0) await askOnce("flush");
    }
    await askOnce(type);
  };
  const askOnce = async (type: "flush" | "close"): Promise<void> => {
    if (state !== "ready") return;
    const id = nextId++;
    const done = new Promise<void>((resolve, reject) => waiting.set(id, { resolve, reject }));
    post({ type, id });
    await done;
  };

  let closed = false;
  const hand = (entry: Entry): void => {
    if (closed) return ring.drop();
    if (early.length > 0) {
      // Behind the early records, in order: kept as they are while there is room (encoded when they move).
      if (early.length < maxQueue) early.push(entry);
      else full(0);
      return;
    }
    const bytes = encode(entry);
    if (bytes === null) return;
    if (put(bytes)) {
      sent++;
      fullReported = false;
      return;
    }
    if (state === "starting" && early.length < maxQueue) {
      early.push(entry);
      return;
    }
    full(bytes.length);
  };
  const full = (size: number): void => {
    ring.drop();
    if (!fullReported) {
      fullReported = true;
      const kind = size > ring.capacity / 2 ? `a record of ${size} bytes` : "records";
      report(`Store worker's ring is full (${ring.capacity} bytes): dropping ${kind}; counted in kestrel_records_dropped_total`);
    }
  };
  return {
    add(record: UsageRecord): void {
      if (state === "failed") return reader.add(record);
      hand(record);
    },
    addFact(fact: Fact): void {
      if (state === "failed") return reader.add(recordOf(fact));
      hand(fact);
    },
    async flush() {
      // While the worker starts, nothing was handed to it unless a record was: with none, there is nothing to wait
      // for (serve flushes before loading budgets; waiting on the worker's boot cost ~170 ms of every cold start). An
      // empty ring is not enough: a worker that is up may have read it while its "ready" still waits here.
      if (state !== "starting" || sent > 0 || early.length > 0) await ask("flush");
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
      // Put in the ring but not yet counted by the worker are still queued: nothing is lost between the threads.
      const inFlight = state === "failed" ? 0 : Math.max(0, sent - remote.written - remote.dropped - remote.queued);
      return {
        queued: early.length + inFlight + (state === "failed" ? 0 : remote.queued) + own.queued,
        written: remote.written + own.written,
        dropped: remote.dropped + ring.dropped() + own.dropped,
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
