/**
 * @module Decoder for AWS event-stream bodies (`application/vnd.amazon.eventstream`, Bedrock
 * `invoke-with-response-stream` / `converse-stream`): binary frames in, messages out.
 *
 * Frame (all integers big-endian): `u32 total_length`, `u32 headers_length`, `u32 prelude_crc` (CRC-32 of the
 * first 8 bytes), headers, payload, `u32 message_crc` (CRC-32 of everything before it). Frames may be split
 * anywhere across pushes, including inside the 4-byte length. A frame inside one chunk is decoded in place (the
 * payload is a view); a frame that spans chunks is copied once into a buffer of its announced length.
 *
 * Problems are reported through `onError`, never thrown:
 * - `crc_mismatch`, message CRC: the prelude was valid, so the length is trusted and just that frame is skipped.
 * - `crc_mismatch`, prelude CRC, or `bad_frame` (impossible lengths): the length cannot be trusted, so the decoder
 *   resynchronizes by looking for the next offset where a valid prelude starts (12 bytes whose CRC matches and
 *   whose lengths make sense; a false match has odds of about 2^-32 per offset). One report per bad stretch.
 * - `bad_frame` also for malformed headers inside a CRC-valid frame (that frame is skipped).
 * - `message_too_large`: a valid prelude announcing more than `maxMessageBytes`; the frame is skipped unbuffered.
 * - `truncated`: bytes of an unfinished frame left at `end()`.
 */
import type { EventStreamDecoder, EventStreamDecoderOptions, EventStreamError, EventStreamMessage } from "./types.ts";
import { crc32 } from "./crc32.ts";
import { createHeaderDecoder } from "./headers.ts";

/** Prelude (12 bytes) plus message CRC (4 bytes): the smallest possible frame. */
export const FRAME_OVERHEAD = 16;
const PRELUDE_BYTES = 12;
/** Largest payload the spec allows (24 MiB), plus the 128 KiB header block limit, plus overhead. */
export const DEFAULT_MAX_MESSAGE_BYTES = 24 * 1024 * 1024 + 128 * 1024 + FRAME_OVERHEAD;

function u32(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) |
    (bytes[at + 3] as number)) >>> 0;
}

/** Creates a decoder; `onMessage` gets a payload view valid only during the call. */
export function createEventStreamDecoder(options: EventStreamDecoderOptions): EventStreamDecoder {
  const onMessage = options.onMessage;
  const onError = options.onError;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const decodeHeaders = createHeaderDecoder();

  /** Stream offset of byte 0 of the chunk being decoded (for messages). */
  let offset = 0;
  /** Bytes of a prelude that began in an earlier chunk (fewer than 12). */
  const head = new Uint8Array(PRELUDE_BYTES);
  let headLen = 0;
  /** A frame spanning chunks: its buffer (announced length) and how much of it is filled. */
  let frame: Uint8Array | null = null;
  let frameFilled = 0;
  /** Bytes of an oversized frame still to skip: it is never buffered. */
  let skip = 0;
  /** Looking for a valid prelude after a bad one: later bad offsets are part of the same bad stretch. */
  let syncing = false;
  /** After end(), pushes are ignored: there is no stream left to belong to. */
  let ended = false;

  function report(code: EventStreamError["code"], message: string): void {
    try {
      onError?.({ code, message });
    } catch {
      // The contract: push/end never throw. A throwing callback is the caller's bug; decoding goes on.
    }
  }

  /**
   * Checks the prelude at `buf[at, at+12)`: the frame's total length, or -1 when it is not a valid prelude
   * (reported unless already resynchronizing), or -2 when it is valid but over the cap (reported).
   */
  function checkPrelude(buf: Uint8Array, at: number, streamAt: number): number {
    const total = u32(buf, at);
    const headersLen = u32(buf, at + 4);
    if (crc32(buf, at, at + 8) !== u32(buf, at + 8)) {
      if (!syncing) {
        report("crc_mismatch", `Cannot decode event-stream frame at offset ${streamAt}: prelude CRC mismatch`);
      }
      syncing = true;
      return -1;
    }
    if (total < FRAME_OVERHEAD || headersLen > total - FRAME_OVERHEAD) {
      if (!syncing) {
        report("bad_frame", `Cannot decode event-stream frame at offset ${streamAt}: lengths ${total}/${headersLen}`);
      }
      syncing = true;
      return -1;
    }
    syncing = false;
    if (total > maxMessageBytes) {
      report(
        "message_too_large",
        `Cannot decode event-stream frame at offset ${streamAt}: ${total} bytes exceed the ${maxMessageBytes}-byte cap`,
      );
      return -2;
    }
    return total;
  }

  /** Verifies and delivers the whole frame `buf[at, at+total)` (prelude already checked). */
  function deliver(buf: Uint8Array, at: number, total: number, streamAt: number): void {
    const end = at + total;
    if (crc32(buf, at, end - 4) !== u32(buf, end - 4)) {
      report("crc_mismatch", `Cannot decode event-stream frame at offset ${streamAt}: message CRC mismatch`);
      return;
    }
    const headersEnd = at + PRELUDE_BYTES + u32(buf, at + 4);
    const headers = decodeHeaders(buf, at + PRELUDE_BYTES, headersEnd);
    if (headers === null) {
      report("bad_frame", `Cannot decode event-stream frame at offset ${streamAt}: malformed headers`);
      return;
    }
    const message: EventStreamMessage = { headers, payload: buf.subarray(headersEnd, end - 4) };
    try {
      onMessage(message);
    } catch {
      // The contract: push/end never throw. A throwing callback is the caller's bug; decoding goes on.
    }
  }

  /** Starts a frame whose valid prelude is `prelude[at, at+12)`, with `total` from checkPrelude (-2: skip it). */
  function beginFrame(prelude: Uint8Array, at: number, total: number): void {
    if (total === -2) {
      skip = u32(prelude, at) - PRELUDE_BYTES;
      return;
    }
    frame = new Uint8Array(total);
    frame.set(prelude.subarray(at, at + PRELUDE_BYTES));
    frameFilled = PRELUDE_BYTES;
  }

  /** Completes a prelude begun in an earlier chunk from `chunk`; returns the chunk position to go on from. */
  function finishHead(chunk: Uint8Array): number {
    const len = chunk.length;
    // Candidate preludes start inside `head`; the bytes after them come from the chunk.
    const window = new Uint8Array(headLen + Math.min(len, PRELUDE_BYTES));
    window.set(head.subarray(0, headLen));
    window.set(chunk.subarray(0, window.length - headLen), headLen);
    for (let s = 0; s < headLen; s++) {
      if (s + PRELUDE_BYTES > window.length) {
        // Not enough bytes yet even with this chunk: keep the candidate bytes.
        head.set(window.subarray(s));
        headLen = window.length - s;
        return len;
      }
      const total = checkPrelude(window, s, offset - headLen + s);
      if (total !== -1) {
        const used = s + PRELUDE_BYTES - headLen;
        headLen = 0;
        beginFrame(window, s, total);
        return used;
      }
    }
    headLen = 0;
    return 0;
  }

  /** HOT (per frame, not per byte). Decodes `chunk` from the position finishing earlier state left off. */
  function decode(chunk: Uint8Array): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (skip > 0) {
        const n = Math.min(skip, len - pos);
        skip -= n;
        pos += n;
        continue;
      }
      if (frame !== null) {
        const n = Math.min(frame.length - frameFilled, len - pos);
        frame.set(chunk.subarray(pos, pos + n), frameFilled);
        frameFilled += n;
        pos += n;
        if (frameFilled === frame.length) {
          const done = frame;
          frame = null;
          deliver(done, 0, done.length, offset + pos - done.length);
        }
        continue;
      }
      if (headLen > 0) {
        pos = finishHead(chunk);
        continue;
      }
      if (len - pos < PRELUDE_BYTES) {
        head.set(chunk.subarray(pos));
        headLen = len - pos;
        return;
      }
      const total = checkPrelude(chunk, pos, offset + pos);
      if (total === -1) pos++;
      else if (total >= 0 && pos + total <= len) {
        deliver(chunk, pos, total, offset + pos);
        pos += total;
      } else {
        beginFrame(chunk, pos, total);
        pos += PRELUDE_BYTES;
      }
    }
  }

  return {
    push(chunk) {
      if (ended || chunk.length === 0) return;
      decode(chunk);
      offset += chunk.length;
    },
    end() {
      if (ended) return;
      ended = true;
      const left = headLen + (frame === null ? 0 : frameFilled) + skip;
      if (left > 0 && !syncing) {
        const what = skip > 0 ? `${skip} bytes missing` : `${headLen + frameFilled} bytes left over`;
        report("truncated", `Cannot decode event-stream end at offset ${offset}: ${what}`);
      }
      frame = null;
      headLen = 0;
      skip = 0;
    },
  };
}
