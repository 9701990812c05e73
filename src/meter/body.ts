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
   * Receives the body, whose `cut` ends it now (`failed`, the client's stream errors, the upstream is cancelled):
   * a client that stopped reading never pulls again, so a cut must not wait for its next pull to be recorded.
   */
  attach?(body: BodyCut): void;
}

export interface BodyCut {
  cut(reason: unknown): void;
}

export function meterBody(source: ReadableStream<Uint8Array>, observer: BodyObserver): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(new MeteredSource(source.getReader(), observer), { highWaterMark: 0 });
}

/**
 * The stream's underlying source: its state in fields, its steps as methods (one object per stream, no closure per
 * stream: an open stream's heap is mostly what it holds, docs/architecture.md §6).
 */
class MeteredSource implements UnderlyingDefaultSource<Uint8Array>, BodyCut {
  private ended = false;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>, private readonly observer: BodyObserver) {}

  private end(how: BodyEnd, error?: unknown) {
    if (this.ended) return;
    this.ended = true;
    this.observer.end(how, error);
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>) {
    this.controller = controller;
    this.observer.attach?.(this);
  }

  cut(reason: unknown) {
    if (this.ended) return;
    this.end("failed", reason);
    // Without a reason, as in pull below: the runtimes print what a served body errors with (Bun an 11-line
    // trace with source, Deno through onError); the observer has recorded it already.
    this.controller!.error(undefined);
    this.reader.cancel(reason).catch(() => {});
  }

  // Hot path: one read, one observer call, one enqueue per upstream chunk.
  async pull(controller: ReadableStreamDefaultController<Uint8Array>) {
    const observer = this.observer;
    try {
      for (;;) {
        observer.read?.();
        const { done, value } = await this.reader.read();
        // Cut while this read was pending: the stream is already errored and recorded.
        if (this.ended) return;
        if (done) {
          const rest = observer.flush?.();
          if (rest && rest.byteLength > 0) controller.enqueue(rest);
          this.end("complete");
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
      this.end("failed", err);
      // The reason is the observer's to report (redacted, through the log): the runtime prints whatever a served
      // body errors with straight to stderr — Bun's fetch errors carry the upstream URL, `?key=` included.
      controller.error(undefined);
    }
  }

  cancel(reason: unknown) {
    this.end("cancelled", reason);
    return this.reader.cancel(reason).catch(() => {});
  }
}
