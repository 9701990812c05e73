/** @module Async text chunks → a pull-based byte stream that never monopolizes the event loop. */

const encoder = new TextEncoder();
/** Work done between two yields to the event loop, so proxied streams keep flowing during a big export. */
const SLICE_MS = 20;

/**
 * One chunk per pull, so a slow reader holds the producer (constant memory). When pulls come back to back,
 * a macrotask break is taken every SLICE_MS. Cancel ends the source (its statement and cursor).
 */
export function textStream(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  let sliceStart = performance.now();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          sliceStart = performance.now();
        }
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
