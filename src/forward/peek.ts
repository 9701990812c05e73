/**
 * @module The start of a response body, read with a size cap and a deadline, and the whole body still
 * available afterwards. Used where Kestrel must look at an upstream error before deciding what the client gets:
 * a huge (or decompression-bomb) body or one that trickles is passed on as a stream instead of being buffered.
 * A body that breaks off while being read throws, as `arrayBuffer()` would.
 */
import { concatBytes } from "../sse/bytes.ts";

export type Peeked =
  /** The body ended within the cap and the deadline: every byte. */
  | { whole: Uint8Array; stream: null }
  /** It did not: the bytes read, then the rest, as one stream. */
  | { whole: null; stream: ReadableStream<Uint8Array> };

/** `timeoutMs` null: no deadline of its own (the caller's idle watchdog aborts a silent body). */
export async function peekBody(body: ReadableStream<Uint8Array>, maxBytes: number, timeoutMs: number | null): Promise<Peeked> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = timeoutMs === null ? null : new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), timeoutMs)));
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  try {
    while (size <= maxBytes) {
      pending = reader.read();
      const next = late === null ? await pending : await Promise.race([pending, late]);
      if (next === "late") break;
      pending = null;
      if (next.done) return { whole: join(parts, size), stream: null };
      parts.push(next.value);
      size += next.value.byteLength;
    }
  } finally {
    clearTimeout(timer);
  }
  return { whole: null, stream: replay(parts, reader, pending) };
}

function join(parts: readonly Uint8Array[], size: number): Uint8Array {
  return parts.length === 1 ? parts[0]! : concatBytes(parts, size);
}

/** The bytes already read, then the rest of `reader` (starting with a read still in flight). */
function replay(
  parts: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pending: Promise<ReadableStreamReadResult<Uint8Array>> | null,
): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next < parts.length) {
        controller.enqueue(parts[next++]!);
        return;
      }
      const read = pending ?? reader.read();
      pending = null;
      const { done, value } = await read;
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
