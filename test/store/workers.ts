/** @module The store worker the runtime's entry starts, and a wrapper that holds its `open` back (tests only). */
import type { WorkerHandle } from "../../src/store/worker/protocol.ts";
import { IS_BUN } from "../_helpers/runtime.ts";

/** The worker the runtime's entry would start. */
export function startStoreWorker(): WorkerHandle {
  const file = IS_BUN ? "store-worker-bun.ts" : "store-worker-deno.ts";
  return new Worker(new URL(`../../src/entry/${file}`, import.meta.url).href, { type: "module" }) as unknown as WorkerHandle;
}

/**
 * A real worker whose `open` is held until `release()`, so it reads nothing: with `sayReady` the main thread is told
 * it is ready at once (a worker stuck in a long write), without it the worker is still starting (a slow boot).
 */
export function heldOpen(real: WorkerHandle, sayReady: boolean): WorkerHandle & { release(): void } {
  let held: unknown = null;
  const handle: WorkerHandle & { release(): void } = {
    postMessage(message: unknown) {
      if ((message as { type: string }).type !== "open" || held !== null) return real.postMessage(message);
      held = message;
      const stats = { queued: 0, written: 0, dropped: 0, write_errors: 0 };
      if (sayReady) queueMicrotask(() => handle.onmessage?.({ data: { type: "ready", stats } } as MessageEvent));
    },
    onmessage: null,
    onerror: null,
    terminate: () => real.terminate(),
    release: () => real.postMessage(held),
  };
  real.onmessage = (event) => handle.onmessage?.(event);
  real.onerror = (event) => handle.onerror?.(event);
  return handle;
}

/** A real worker whose first "ready" reaches the main thread only at `deliver()`: it is up (and reads) before that. */
export function lateReady(real: WorkerHandle): WorkerHandle & { deliver(): void } {
  let held: MessageEvent | null = null;
  let delivered = false;
  const handle: WorkerHandle & { deliver(): void } = {
    postMessage: (message: unknown) => real.postMessage(message),
    onmessage: null,
    onerror: null,
    terminate: () => real.terminate(),
    deliver() {
      delivered = true;
      if (held !== null) handle.onmessage?.(held);
    },
  };
  real.onmessage = (event) => {
    if (!delivered && held === null && (event.data as { type: string }).type === "ready") held = event;
    else handle.onmessage?.(event);
  };
  real.onerror = (event) => handle.onerror?.(event);
  return handle;
}
