/**
 * @module The pass-through body: a pull-based ReadableStream over the upstream reader. Pull, not a
 * TransformStream: on Bun a TransformStream in the body path costs far more throughput (docs/architecture.md §11).
 * Every chunk is shown to the observer, which returns the bytes the client gets (normally the same chunk).
 */

export type BodyEnd = "complete" | "cancelled" | "failed";

export interface BodyObserver {
  /** Kestrel starts waiting for the upstream (a read); between reads it waits for the client, not the upstream. */
  read?(): void;
  /** Sees a chunk; returns what to send (the chunk itself unless the stream is being edited). */
  chunk(chunk: Uint8Array): Uint8Array;
  /** Bytes held back by an edit, released at the end of a complete body. */
  flush?(): Uint8Array | null;
  /** Called exactly once. */
  end(how: BodyEnd, error?: unknown): void;
  /**
   * Receives a function that ends the body now (`failed`, the client's stream errors, the upstream is cancelled):
   * a client that stopped reading never pulls again, so a cut must not wait for its next pull to be recorded.
   */
  attach?(cut: (reason: unknown) => void): void;
}

export function meterBody(source: ReadableStream<Uint8Array>, observer: BodyObserver): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let ended = false;
  const end = (how: BodyEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    observer.end(how, error);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      observer.attach?.((reason) => {
        if (ended) return;
        end("failed", reason);
        // Without a reason, as in pull below: the runtimes print what a served body errors with (Bun an 11-line
        // trace with source, Deno through onError); the observer has recorded it already.
        controller.error(undefined);
        reader.cancel(reason).catch(() => {});
      });
    },
    // Hot path: one read, one observer call, one enqueue per upstream chunk.
    async pull(controller) {
      try {
        for (;;) {
          observer.read?.();
          const { done, value } = await reader.read();
          // Cut while this read was pending: the stream is already errored and recorded.
          if (ended) return;
          if (done) {
            const rest = observer.flush?.();
            if (rest && rest.byteLength > 0) controller.enqueue(rest);
            end("complete");
            controller.close();
            return;
          }
          const out = observer.chunk(value);
          // An edit can swallow a whole chunk; a pull that enqueues nothing is never called again, so read on.
          if (out.byteLength > 0) {
            controller.enqueue(out);
            return;
          }
        }
      } catch (err) {
        end("failed", err);
        // The reason is the observer's to report (redacted, through the log): the runtime prints whatever a served
        // body errors with straight to stderr — Bun's fetch errors carry the upstream URL, `?key=` included.
        controller.error(undefined);
      }
    },
    cancel(reason) {
      end("cancelled", reason);
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
