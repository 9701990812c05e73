/**
 * @module Takes Kestrel's injected usage out of a client stream again. When Kestrel added
 * `stream_options.include_usage` to a request, the client must get the bytes it would have got without us. With
 * the option an OpenAI-style upstream adds `"usage":null` to every chunk and sends one usage-only chunk
 * (`"choices":[]` + usage) at the end; without it neither exists. So the usage-only chunk is cut out whole and
 * the `usage` member (with its comma) is cut out of every other chunk — null or not (DeepSeek puts usage on the
 * finish chunk). Bytes are released up to the end of the last finished event and the rest is held until its event
 * completes, which a client cannot parse earlier anyway.
 *
 * Cost: per event one probe for `"usage"` (the accumulator makes the same one) and three numbers queued; per
 * released chunk a second probe per event inside that chunk's bytes and one copy of the chunk without the cuts.
 */
import { findKey, isNull, keyPattern, valueEnd } from "../json/probe.ts";
import { concatBytes, EMPTY } from "../sse/bytes.ts";
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

const USAGE = keyPattern("usage");
const CHOICES = keyPattern("choices");
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Edit kinds, queued as numbers (no object per event). */
const CUT_EVENT = 0;
const CUT_USAGE = 1;

/** JSON whitespace within one SSE line (a line break would step into the next `data:` line's prefix). */
function isBlank(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09;
}

function isEmptyArray(bytes: Uint8Array, at: number, end: number): boolean {
  if (bytes[at] !== OPEN_BRACKET) return false;
  let i = at + 1;
  while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return i < end && bytes[i] === CLOSE_BRACKET;
}

/**
 * The `"usage": value` member in `bytes[from, to)` with the comma that separates it from its neighbour, as
 * [start, end) in `bytes`; null when it cannot be found whole on one line (the event is then left as it is).
 */
function usageMember(bytes: Uint8Array, from: number, to: number): [number, number] | null {
  const value = findKey(bytes, USAGE, from);
  if (value < 0 || value >= to) return null;
  const valueStop = valueEnd(bytes, value);
  if (valueStop < 0 || valueStop > to) return null;
  let k = value - 1;
  while (isBlank(bytes[k])) k--;
  if (bytes[k] !== COLON) return null;
  k--;
  while (isBlank(bytes[k])) k--;
  const key = k - USAGE.length + 1;
  let before = key - 1;
  while (before >= from && isBlank(bytes[before])) before--;
  if (bytes[before] === COMMA) return [before, valueStop]; // `…,"usage":null` (OpenAI: last or in the middle)
  if (bytes[before] !== OPEN_BRACE) return null;
  let after = valueStop;
  while (after < to && isBlank(bytes[after])) after++;
  if (bytes[after] !== COMMA) return [key, valueStop]; // the only member
  after++;
  while (after < to && isBlank(bytes[after])) after++;
  return [key, after]; // the first member: `"usage":null,` goes with its comma
}

export function createUsageStrip(): UsageStrip {
  const held: Uint8Array[] = [];
  /** Stream offset of held[0][0]. */
  let heldStart = 0;
  /** Everything before this offset has been sent (or cut). */
  let released = 0;
  /** Queued edits as (kind, start, end) triples from `head` on; start/end are the event's stream offsets. */
  const edits: number[] = [];
  let head = 0;
  /** Cut ranges of the release being built, as (start, end) stream offsets; reused. */
  const cuts: number[] = [];

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
    if (parts.length === 1) return parts[0]!;
    let size = 0;
    for (const p of parts) size += p.byteLength;
    return concatBytes(parts, size);
  }

  /** Queues the cut of the usage member of the event at [start, end), found in the held bytes. */
  function cutUsage(start: number, end: number) {
    let offset = heldStart;
    for (const chunk of held) {
      const chunkEnd = offset + chunk.byteLength;
      if (start >= offset && end <= chunkEnd) {
        // The usual case: the event lies in one chunk, searched in place.
        const member = usageMember(chunk, start - offset, end - offset);
        if (member) cuts.push(member[0] + offset, member[1] + offset);
        return;
      }
      if (chunkEnd > start) break;
      offset = chunkEnd;
    }
    const member = usageMember(slice(start, end), 0, end - start);
    if (member) cuts.push(member[0] + start, member[1] + start);
  }

  /** Copies held bytes [from, to) into `out` at `at`; returns the new `at`. */
  function copy(out: Uint8Array, at: number, from: number, to: number): number {
    let offset = heldStart;
    for (const chunk of held) {
      const end = offset + chunk.byteLength;
      if (end > from && offset < to) {
        const part = chunk.subarray(Math.max(0, from - offset), Math.min(chunk.byteLength, to - offset));
        out.set(part, at);
        at += part.byteLength;
      }
      offset = end;
      if (offset >= to) break;
    }
    return at;
  }

  function release(upTo: number): Uint8Array {
    if (upTo <= released) return EMPTY;
    cuts.length = 0;
    while (head < edits.length && edits[head + 2]! <= upTo) {
      const kind = edits[head]!;
      const start = edits[head + 1]!;
      const end = edits[head + 2]!;
      head += 3;
      if (kind === CUT_EVENT) cuts.push(start, end);
      else cutUsage(start, end);
    }
    if (head === edits.length) {
      edits.length = 0;
      head = 0;
    }
    let out: Uint8Array;
    if (cuts.length === 0) {
      out = slice(released, upTo);
    } else {
      let cut = 0;
      for (let i = 0; i < cuts.length; i += 2) cut += cuts[i + 1]! - cuts[i]!;
      out = new Uint8Array(upTo - released - cut);
      let at = 0;
      let pos = released;
      for (let i = 0; i < cuts.length; i += 2) {
        at = copy(out, at, pos, cuts[i]!);
        pos = cuts[i + 1]!;
      }
      copy(out, at, pos, upTo);
    }
    released = upTo;
    while (held.length > 0 && heldStart + held[0]!.byteLength <= released) heldStart += held.shift()!.byteLength;
    return out;
  }

  return {
    onEvent(event) {
      // Probed where it lies in the chunk, like the accumulator (no view per event).
      const data = event.bytes;
      const from = event.dataStart;
      const end = event.dataEnd;
      const at = findKey(data, USAGE, from, end);
      if (at < 0) return;
      // Only the usage chunk itself goes whole: Azure's first chunk also has `"choices":[]` (with filter results).
      const choices = isNull(data, at, end) ? -1 : findKey(data, CHOICES, from, end);
      edits.push(choices >= 0 && isEmptyArray(data, choices, end) ? CUT_EVENT : CUT_USAGE, event.start, event.end);
    },
    chunk(chunk, settled) {
      held.push(chunk);
      return release(settled);
    },
    flush() {
      let end = heldStart;
      for (const chunk of held) end += chunk.byteLength;
      const rest = release(end);
      return rest.byteLength > 0 ? rest : null;
    },
    abandon() {
      edits.length = 0;
      head = 0;
      let end = heldStart;
      for (const chunk of held) end += chunk.byteLength;
      const rest = release(end);
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
