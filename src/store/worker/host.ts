/**
 * @module Inside the store worker: owns a write connection and the ordinary store (batching, retries, reconnects,
 * drop counting: src/store/store.ts), fed JSON rows by the main thread. The entry's worker file calls it with its
 * runtime's SQLite driver.
 */
import type { Db } from "../db.ts";
import { createStore, type Store } from "../store.ts";
import type { UsageRecord } from "../../usage/record.ts";
import type { FromWorker, Port, ToWorker } from "./protocol.ts";

/** How often the worker reports its counts when they changed (the main thread's `stats()`, /metrics). */
const STATS_MS = 100;

export function hostStore(port: Port, openDb: (path: string) => Db): void {
  let store: Store | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  const send = (message: FromWorker) => port.postMessage(message);
  const stats = () => store!.stats();

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
        return;
      }
      case "add": {
        const rows = message.rows;
        for (let from = 0; from < rows.length;) {
          let to = rows.indexOf("\n", from);
          if (to < 0) to = rows.length;
          store!.add(JSON.parse(rows.slice(from, to)) as UsageRecord);
          from = to + 1;
        }
        return;
      }
      case "flush":
      case "close": {
        const { id, type } = message;
        const done = type === "flush" ? store!.flush() : store!.close();
        done.then(
          () => send({ type: "done", id, error: null, stats: stats() }),
          (err) => send({ type: "done", id, error: err instanceof Error ? err.message : String(err), stats: stats() }),
        );
        if (type === "close" && timer !== null) clearInterval(timer);
        return;
      }
    }
  };
}
