/** @module Messages between the main thread and the store worker (src/store/worker/). */
import type { StoreStats } from "../store.ts";
import type { ReadCall } from "./reads.ts";

/**
 * What the main thread sends. Records do not travel as messages: the writer's `open` carries the shared ring
 * (src/store/worker/ring.ts) they are written into; `flush` and `close` first read it to the end.
 */
export type ToWorker =
  | { type: "open"; path: string; ring: SharedArrayBuffer; batchSize?: number; flushIntervalMs?: number; maxQueue?: number }
  | { type: "flush"; id: number }
  | { type: "close"; id: number }
  /** A reader worker: its own connection for reads only (src/store/worker/reads.ts). */
  | { type: "open-reader"; path: string }
  | { type: "read"; id: number; call: ReadCall };

/** What the worker answers. Every message carries the worker store's counts as of now. */
export type FromWorker =
  | { type: "ready"; stats: StoreStats }
  | { type: "stats"; stats: StoreStats }
  | { type: "done"; id: number; error: string | null; stats: StoreStats }
  | { type: "error"; message: string; stats: StoreStats }
  | { type: "answer"; id: number; value: unknown; error: string | null; stats: StoreStats };

/** The part of a Web `Worker` (or the worker's `self`) that is used: both runtimes have it. */
export interface Port {
  /** `transfer`: buffers moved, not copied (the reader worker's answers, src/store/worker/reads.ts). */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/** The main thread's handle on a started worker. */
export interface WorkerHandle extends Port {
  onerror: ((event: ErrorEvent | Event) => void) | null;
  terminate(): void;
}
