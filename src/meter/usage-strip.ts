/**
 * @module Takes Kestrel's injected usage out of a client stream again. When Kestrel added
 * `stream_options.include_usage` to a request, the client must see the stream it would have seen without us:
 * the usage-only chunk (`"choices":[]` + usage) is cut out whole; usage riding on a content chunk (DeepSeek puts
 * it on the finish chunk) is replaced by `null`, as in every other chunk. Bytes are released up to the end of the
 * last finished event and the rest is held until its event completes, which a client cannot parse earlier anyway.
 */
import { findKey, isNull, keyPattern, valueEnd } from "../json/probe.ts";
import { concatBytes } from "../sse/bytes.ts";
import type { SseEvent } from "../sse/types.ts";

export interface UsageStrip {
  /** Sees every event (before the accumulator) and marks the ones to edit. */
  onEvent(event: SseEvent): void;
  /** Takes the next upstream chunk; returns the bytes the client may have now. */
  chunk(chunk: Uint8Array, settled: number): Uint8Array;
  /** End of a complete stream: everything still held. */
  flush(): Uint8Array | null;
  /** Gives up editing: every byte taken (by `chunk`, which takes its chunk first) and not yet released, raw. */
  abandon(): Uint8Array;
}

interface Edit {
  start: number;
  end: number;
  /** Replacement for the event's raw bytes ([] cuts it). */
  rewrite(raw: Uint8Array): Uint8Array;
}

const USAGE = keyPattern("usage");
const CHOICES = keyPattern("choices");
const NULL = new TextEncoder().encode("null");
const EMPTY = new Uint8Array(0);
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isEmptyArray(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] !== OPEN_BRACKET) return false;
  let i = at + 1;
  while (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09) i++;
  return bytes[i] === CLOSE_BRACKET;
}

/** The raw event with its usage value replaced by `null`; unchanged if the value cannot be found on one line. */
function nullUsage(raw: Uint8Array): Uint8Array {
  const at = findKey(raw, USAGE);
  const end = at < 0 ? -1 : valueEnd(raw, at);
  if (end < 0) return raw;
  const out = new Uint8Array(raw.byteLength - (end - at) + NULL.byteLength);
  out.set(raw.subarray(0, at));
  out.set(NULL, at);
  out.set(raw.subarray(end), at + NULL.byteLength);
  return out;
}

const total = (parts: readonly Uint8Array[]) => parts.reduce((n, p) => n + p.byteLength, 0);

export function createUsageStrip(): UsageStrip {
  const held: Uint8Array[] = [];
  /** Stream offset of held[0][0]. */
  let heldStart = 0;
  /** Everything before this offset has been sent (or cut). */
  let released = 0;
  const edits: Edit[] = [];

  /** Bytes [from, to) out of the held chunks: a view when they lie in one chunk. */
  function slice(from: number, to: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let offset = heldStart;
    for (const chunk of held) {
      const end = offset + chunk.byteLength;
      if (end > from && offset < to) {
        parts.push(chunk.subarray(Math.max(0, from - offset), Math.min(chunk.byteLength, to - offset)));
      }
      offset = end;
      if (offset >= to) break;
    }
    return parts.length === 1 ? parts[0]! : concatBytes(parts, total(parts));
  }

  function release(upTo: number): Uint8Array {
    if (upTo <= released) return EMPTY;
    const out: Uint8Array[] = [];
    let pos = released;
    while (edits.length > 0 && edits[0]!.end <= upTo) {
      const edit = edits.shift()!;
      if (edit.start > pos) out.push(slice(pos, edit.start));
      out.push(edit.rewrite(slice(edit.start, edit.end)));
      pos = edit.end;
    }
    if (upTo > pos) out.push(slice(pos, upTo));
    released = upTo;
    while (held.length > 0 && heldStart + held[0]!.byteLength <= released) heldStart += held.shift()!.byteLength;
    return out.length === 1 ? out[0]! : concatBytes(out, total(out));
  }

  return {
    onEvent(event) {
      const data = event.data;
      const at = findKey(data, USAGE);
      if (at < 0 || isNull(data, at)) return;
      const choices = findKey(data, CHOICES);
      const usageOnly = choices >= 0 && isEmptyArray(data, choices);
      edits.push({ start: event.start, end: event.end, rewrite: usageOnly ? () => EMPTY : nullUsage });
    },
    chunk(chunk, settled) {
      held.push(chunk);
      return release(settled);
    },
    flush() {
      const end = heldStart + total(held);
      const rest = release(end);
      return rest.byteLength > 0 ? rest : null;
    },
    abandon() {
      edits.length = 0;
      const rest = release(heldStart + total(held));
      held.length = 0;
      return rest;
    },
  };
}

/**
 * The strip behind a guard that never throws: metering must not break the client's stream. On the first failure
 * the strip is abandoned — the bytes it held go out unedited, then every chunk passes through — and `fail`
 * gets the reason for the record's `usage_error`.
 */
export function guardStrip(inner: UsageStrip, fail: (message: string) => void): UsageStrip {
  let broken = false;
  /** The held bytes went out after breaking (at the next chunk or at flush). */
  let drained = false;
  const breakOff = (err: unknown) => {
    broken = true;
    fail(`usage strip: ${err instanceof Error ? err.message : String(err)}`);
  };
  const rest = (): Uint8Array => {
    drained = true;
    try {
      return inner.abandon();
    } catch {
      return EMPTY;
    }
  };
  return {
    onEvent(event) {
      if (broken) return;
      try {
        inner.onEvent(event);
      } catch (err) {
        breakOff(err);
      }
    },
    chunk(chunk, settled) {
      if (!broken) {
        try {
          return inner.chunk(chunk, settled);
        } catch (err) {
          breakOff(err);
          // `chunk` took this chunk before anything could throw: the held bytes include it.
          const held = rest();
          return held.byteLength > 0 ? held : chunk;
        }
      }
      if (drained) return chunk;
      const held = rest();
      return held.byteLength > 0 ? concatBytes([held, chunk], held.byteLength + chunk.byteLength) : chunk;
    },
    flush() {
      if (!broken) {
        try {
          return inner.flush();
        } catch (err) {
          breakOff(err);
        }
      }
      if (drained) return null;
      const held = rest();
      return held.byteLength > 0 ? held : null;
    },
    abandon: () => (drained ? EMPTY : rest()),
  };
}
