/**
 * @module The start of a response body, read with a size cap and a deadline, and the whole body still
 * available afterwards. Used where Kestrel must look at an upstream error before deciding what the client gets:
 * a huge (or decompression-bomb) body or one that trickles is passed on as a stream instead of being buffered.
 */

export interface Peeked {
  /** Everything read, when the body ended within the cap and the deadline; else null. */
  whole: Uint8Array | null;
  /** A response with the upstream's status, headers and every body byte (read ones first). */
  response: Response;
}

export async function peekBody(upstream: Response, maxBytes: number, timeoutMs: number): Promise<Peeked> {
  if (upstream.body === null) return { whole: new Uint8Array(0), response: upstream };
  const reader = upstream.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), timeoutMs)));
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  try {
    while (size <= maxBytes) {
      pending = reader.read();
      const next = await Promise.race([pending, late]);
      if (next === "late") break;
      pending = null;
      if (next.done) {
        const whole = join(parts, size);
        return { whole, response: new Response(whole as Uint8Array<ArrayBuffer>, upstream) };
      }
      parts.push(next.value);
      size += next.value.byteLength;
    }
  } catch (err) {
    // The body broke off: the client gets what arrived, then the same failure.
    pending = Promise.reject(err);
  } finally {
    clearTimeout(timer);
  }
  return { whole: null, response: new Response(replay(parts, reader, pending), upstream) };
}

function join(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
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
