/**
 * @module Reads on a reader worker (docs/architecture.md §8): listings, records, usage reports, export pages and
 * spend control's rebuild sums are posted to a worker with its own connection (src/store/worker/reads.ts), so a
 * query over millions of rows never stalls the event loop — proxied streams keep flowing while it runs. Everything
 * else goes to `inner`. A worker that fails to start or dies is reported and `inner` answers from then on (reads
 * in flight are answered by it too; an export already under way ends with an error).
 */
import type { Fact } from "../../usage/fact.ts";
import type { UsageRecord } from "../../usage/record.ts";
import type { StoreControl } from "../definitions.ts";
import { pagesOf, pagesOneAhead } from "../queries.ts";
import type { Store } from "../store.ts";
import type { FromWorker, ToWorker, WorkerHandle } from "./protocol.ts";
import type { ExportText, ReadAnswers, ReadCall } from "./reads.ts";
import { parseJsonBytes, textReads, type TextReads, type Utf8 } from "../text-reads.ts";
import type { ExportFormat } from "../query-params.ts";
import type { RequestFilter } from "../filter.ts";

export interface ReadWorkerOptions {
  /** The database file the worker opens for reading. */
  path: string;
  onError?: (message: string) => void;
  /** Records per export page (default 1,000). */
  exportPageSize?: number;
}

/** Longest wait for the worker to open the database. */
const START_MS = 10_000;

type Call<K extends ReadCall["op"]> = Extract<ReadCall, { op: K }>;

/** The same read on the main thread's store (the fallback), answered as the worker answers it. */
function direct(inner: Store, call: ReadCall): Promise<unknown> {
  const text = textReads(inner);
  switch (call.op) {
    case "list":
      return text.listRequests(call.filter, call.options);
    case "get":
      return text.getRequest(call.id);
    case "usage":
      return text.usage(call.filter, call.grouping);
    case "spend":
      return inner.control.spend(call.scope, call.sinceMs, call.bucketMs);
    case "export":
    case "export-text":
      return Promise.reject(new Error("the reader worker failed during the export"));
  }
}

export function withReadWorker(inner: Store, worker: WorkerHandle, options: ReadWorkerOptions): Store {
  const pageSize = options.exportPageSize ?? 1000;
  let state: "starting" | "ready" | "failed" = "starting";
  let nextId = 1;
  let closed = false;
  const waiting = new Map<number, { call: ReadCall | null; resolve(value: unknown): void; reject(err: Error): void }>();
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const post = (message: ToWorker) => worker.postMessage(message);

  const fail = (why: string) => {
    if (state === "failed") return;
    clearTimeout(startTimer);
    state = "failed";
    try {
      options.onError?.(`Reader worker failed (${why}); reads run on the main thread from now on`);
    } catch {
      // logging only
    }
    for (const [, w] of waiting) {
      if (w.call === null) w.resolve(undefined);
      else direct(inner, w.call).then(w.resolve, w.reject);
    }
    waiting.clear();
    markStarted();
    worker.terminate();
  };
  const startTimer = setTimeout(() => state === "starting" && fail(`not ready after ${START_MS} ms`), START_MS);

  worker.onmessage = (event: MessageEvent) => {
    const message = event.data as FromWorker;
    if (message.type === "ready") {
      clearTimeout(startTimer);
      state = "ready";
      markStarted();
    } else if (message.type === "error") {
      options.onError?.(message.message);
    } else if (message.type === "answer" || message.type === "done") {
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error !== null) w?.reject(new Error(message.error));
      else w?.resolve(message.type === "answer" ? message.value : undefined);
    }
  };
  worker.onerror = (event) => {
    (event as Event).preventDefault?.();
    fail(event instanceof ErrorEvent ? event.message : "worker error");
  };
  post({ type: "open-reader", path: options.path });

  const ask = (message: ToWorker & { id: number }, call: ReadCall | null) =>
    new Promise<unknown>((resolve, reject) => {
      waiting.set(message.id, { call, resolve, reject });
      post(message);
    });

  /** Hot only in the sense that every dashboard and API read comes here: one post, one await. */
  async function read<K extends ReadCall["op"]>(call: Call<K>): Promise<ReadAnswers[K]> {
    if (closed) throw new Error("Usage store is closed");
    // Spend sums asked while the worker still starts are spend control's startup reads (the spike history, the
    // rebuilt windows), made before the server listens: nothing on the event loop to stall yet, and waiting for
    // the worker's boot cost ~80 ms of every cold start (bench/cold-start.ts).
    if (state === "starting" && call.op === "spend") return (await direct(inner, call)) as ReadAnswers[K];
    if (state === "starting") await started;
    if (state === "failed") return (await direct(inner, call)) as ReadAnswers[K];
    return (await ask({ type: "read", id: nextId++, call }, call)) as ReadAnswers[K];
  }

  /**
   * Export pages formatted on the worker. The next page is asked for as soon as one arrives (its cursor comes with
   * it), so the worker reads page N + 1 while the event loop writes page N: at most two pages exist at once.
   */
  async function* exportPages(filter: RequestFilter, format: ExportFormat): AsyncGenerator<Utf8> {
    if (state === "failed") return yield* textReads(inner).exportPages(filter, format);
    const page = (after: { ts: string; id: string } | null): Promise<ExportText> =>
      read({ op: "export-text", filter, after, size: pageSize, format });
    yield* pagesOneAhead(page, (p) => p.count === pageSize ? p.last : null, (p) => p.count > 0 ? p.bytes : null);
  }

  const text: TextReads = {
    listRequests: (filter, options) => read({ op: "list", filter, options }),
    getRequest: (id) => read({ op: "get", id }),
    usage: (filter, grouping) => read({ op: "usage", filter, grouping }),
    exportPages,
  };

  const control: StoreControl = {
    ...inner.control,
    spend: (scope, sinceMs, bucketMs) => read({ op: "spend", scope, sinceMs, bucketMs }),
  };

  return {
    add: (record) => inner.add(record),
    ...(inner.addFact ? { addFact: (fact: Fact) => inner.addFact!(fact) } : {}),
    flush: () => inner.flush(),
    async close() {
      closed = true;
      if (state === "ready") {
        await ask({ type: "close", id: nextId++ }, null).catch(() => {});
        worker.terminate();
      }
      clearTimeout(startTimer);
      await inner.close();
    },
    stats: () => inner.stats(),
    prune: (days) => inner.prune(days),
    // Decoded and parsed here: about half what a structured clone of the value costs the event loop.
    listRequests: async (filter, options) => parseJsonBytes(await text.listRequests(filter, options)),
    getRequest: async (id) => parseJsonBytes(await text.getRequest(id)),
    usage: async (filter, grouping) => parseJsonBytes(await text.usage(filter, grouping)),
    exportRows(filter) {
      if (state === "failed") return inner.exportRows(filter);
      const page = async (after: { ts: string; id: string } | null) =>
        parseJsonBytes<UsageRecord[]>(await read({ op: "export", filter, after, size: pageSize }));
      return pagesOf(page, pageSize);
    },
    updateCosts: (updates) => inner.updateCosts(updates),
    text,
    control,
    get reconcile() {
      return inner.reconcile;
    },
    get keys() {
      return inner.keys;
    },
  };
}
