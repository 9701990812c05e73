/** @module Async byte chunks → a pull-based byte stream that never monopolizes the event loop. */
import type { Utf8 } from "../store/text-reads.ts";

/** Work done between two yields to the event loop, so proxied streams keep flowing during a big export. */
const SLICE_MS = 20;

/**
 * One chunk per pull, so a slow reader holds the producer (constant memory). When pulls come back to back,
 * a macrotask break is taken every SLICE_MS. Cancel ends the source (its statement and cursor).
 */
export function byteStream(chunks: AsyncGenerator<Utf8>): ReadableStream<Utf8> {
  let sliceStart = performance.now();
  return new ReadableStream<Utf8>({
    async pull(controller) {
      try {
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          sliceStart = performance.now();
        }
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value); // UTF-8 already (the reader worker encodes it)
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
