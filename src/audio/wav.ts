/**
 * @module WAV (RIFF/WAVE): the `fmt ` chunk's byte rate and the `data` chunk's size (docs/architecture.md §21).
 * A streamed WAV whose data size is unknown (0 or 0xFFFFFFFF) is not read, nor one cut short of its data.
 */
import { type Reader, roundMs, tag, u32le } from "./stream.ts";

export function* wav(): Reader {
  const head = yield { read: 12 };
  if (head.length < 12 || tag(head, 0) !== "RIFF" || tag(head, 8) !== "WAVE") return null;
  let byteRate = 0;
  for (;;) {
    const chunk = yield { read: 8 };
    if (chunk.length < 8) return null;
    const size = u32le(chunk, 4);
    if (tag(chunk, 0) === "data") {
      if (byteRate === 0 || size === 0 || size === 0xffffffff) return null;
      yield { skip: size }; // all of it must be there
      return roundMs(size, byteRate);
    }
    if (tag(chunk, 0) === "fmt ") {
      if (size < 16) return null;
      const fmt = yield { read: 16 };
      if (fmt.length < 16) return null;
      byteRate = u32le(fmt, 8);
      yield { skip: size - 16 + (size % 2) };
    } else {
      yield { skip: size + (size % 2) };
    }
  }
}
