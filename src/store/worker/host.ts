/**
 * @module Inside a store worker: owns a write connection and the ordinary store (batching, retries, reconnects,
 * drop counting: src/store/store.ts), fed the exchanges' facts through the shared ring the main thread writes
 * (src/store/worker/ring.ts, src/store/worker/fact-codec.ts), whose records it makes here (`recordOf`); or, opened as a reader, a connection that answers reads (src/store/worker/reads.ts).
 * The entry's worker file calls it with its runtime's SQLite driver.
 */
import type { Db } from "../db.ts";
import { configure } from "../schema.ts";
import { answerRead, transferOf } from "./reads.ts";
import { createStore, type Store } from "../store.ts";
import { FactDecoder } from "./fact-codec.ts";
import type { FromWorker, Port, ToWorker } from "./protocol.ts";
import { RingReader } from "./ring.ts";

/** How often the worker reports its counts when they changed (the main thread's `stats()`, /metrics). */
const STATS_MS = 100;
/**
 * While records keep coming the worker reads the ring on a timer, as one batch every 5 ms; the main thread's
 * writes then find it awake and pay no notify. After a quiet second it sleeps in `Atomics.waitAsync` and the next
 * record wakes it (docs/architecture.md §11: a notify cost the writer's thread a few µs, so once per burst).
 */
const POLL_MS = 5;
const QUIET_POLLS = 200;

export function hostStore(port: Port, openDb: (path: string) => Db): void {
  let store: Store | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  const send = (message: FromWorker) => port.postMessage(message);
  let reads: Db | null = null;
  const stats = () => store?.stats() ?? { queued: 0, written: 0, dropped: 0, write_errors: 0 };
  let ring: RingReader | null = null;
  let closing = false;
  /** Everything written so far goes to the store, in order. */
  const facts = new FactDecoder();
  const drain = () => ring?.drainWith((bytes) => facts.record(bytes), (record) => store!.add(record)) ?? -1;
  let quiet = 0;
  const poll = () => {
    if (closing) return;
    const taken = drain();
    if (taken < 0) return;
    quiet = taken > 0 ? 0 : quiet + 1;
    if (quiet < QUIET_POLLS) setTimeout(poll, POLL_MS);
    else {
      quiet = 0;
      ring!.wake().then(() => setTimeout(poll, POLL_MS));
    }
  };

  port.onmessage = (event: MessageEvent) => {
    const message = event.data as ToWorker;
    switch (message.type) {
      case "open": {
        const path = message.path;
        store = createStore(openDb(path), {
          ...(message.batchSize ? { batchSize: message.batchSize } : {}),
          ...(message.flushIntervalMs ? { flushIntervalMs: message.flushIntervalMs } : {}),
          ...(message.maxQueue ? { maxQueue: message.maxQueue } : {}),
          onError: (text) => send({ type: "error", message: text, stats: stats() }),
          reopen: () => openDb(path),
          // Off the event loop: waiting for a lock held by the main thread's connection stalls nobody.
          busyTimeoutMs: 1000,
        });
        let reported = "";
        timer = setInterval(() => {
          const now = stats();
          const key = `${now.queued} ${now.written} ${now.dropped} ${now.write_errors}`;
          if (key !== reported) send({ type: "stats", stats: now });
          reported = key;
        }, STATS_MS);
        send({ type: "ready", stats: stats() });
        ring = new RingReader(message.ring);
        // Records written while the worker started are read now.
        poll();
        return;
      }
      case "open-reader": {
        try {
          reads = openDb(message.path);
          // Waiting on the writer's lock here stalls no one; WAL readers rarely wait at all.
          configure(reads, 5000);
        } catch (err) {
          send({ type: "error", message: `Reader worker cannot open the database: ${errorText(err)}`, stats: stats() });
          throw err;
        }
        send({ type: "ready", stats: stats() });
        return;
      }
      case "read": {
        const { id, call } = message;
        try {
          const value = answerRead(reads!, call);
          port.postMessage({ type: "answer", id, value, error: null, stats: stats() } satisfies FromWorker, transferOf(value));
        } catch (err) {
          send({ type: "answer", id, value: null, error: errorText(err), stats: stats() });
        }
        return;
      }
      case "flush":
      case "close": {
        const { id, type } = message;
        if (store === null) {
          // A reader: nothing queued; closing releases its connection.
          if (type === "close") reads?.close();
          send({ type: "done", id, error: null, stats: stats() });
          return;
        }
        // What the main thread wrote before asking is in the ring by now.
        drain();
        if (type === "close") closing = true;
        const done = type === "flush" ? store!.flush() : store!.close();
        done.then(
          () => send({ type: "done", id, error: null, stats: stats() }),
          (err) => send({ type: "done", id, error: errorText(err), stats: stats() }),
        );
        if (type === "close" && timer !== null) clearInterval(timer);
        return;
      }
    }
  };
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
