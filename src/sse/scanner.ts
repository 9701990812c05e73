/**
 * @module Byte-level server-sent-events scanner: Uint8Array chunks in, events out as views into the chunks.
 *
 * Framing follows the WHATWG event-stream grammar (https://html.spec.whatwg.org/multipage/server-sent-events.html
 * #event-stream-interpretation) on bytes, never decoding the stream: lines end in LF, CRLF or a bare CR (a CRLF
 * split across chunks is one line end); a leading BOM is dropped; `:` lines are comments; `data:` values lose at
 * most one leading space and are joined with LF; `event:` sets the name; `id:`, `retry:` and unknown fields are
 * ignored; a blank line dispatches; an event without data lines is not dispatched. Two deliberate deviations:
 * the end of the stream ends an unterminated last line and dispatches an unterminated last event (recorded
 * anthropic-sdk-python streams end without a blank line; `end()` says so), and the `event` name is null when
 * absent or empty instead of "message".
 *
 * An event inside one chunk is delivered as offsets into the chunk (`bytes`, `dataStart`, `dataEnd`) with no copy
 * and no view object unless a consumer reads `data`. When an event spans chunks its raw
 * bytes are copied into `pieces` (copies, not views: a caller may transfer or reuse a chunk's buffer once it has
 * passed it on) and joined once when the event completes, then parsed again as one buffer; each byte is scanned
 * a bounded number of times however many chunks the event spans.
 *
 * `start`/`end` are exact stream offsets of the raw event (BOM bytes count): from the first byte of its first
 * line to just past its blank line. Because a blank line ending in CR might be the first half of a CRLF, an
 * event whose blank line ends with the last byte of a chunk in a CR is dispatched when the next byte arrives
 * (or at `end()`), so its `end` is the same however the stream is chunked. `settled()` is the start of the open
 * event block (or everything pushed); an oversized event being skipped is not held, since it is never dispatched.
 *
 * The hot path is two inline fast paths in `scan`, for one-`data:`-line LF events (OpenAI-style chunks) and for
 * an `event:` line plus one `data:` line (Anthropic, Responses API), with everything else going through
 * src/sse/event-parser.ts. Line ends are found with the native `indexOf`.
 */
import type { ScanError, SseScanner, SseScannerOptions } from "./types.ts";
import { BOM, COLON, concatBytes, CR, createInterner, EMPTY, FIELD_DATA, FIELD_EVENT, LF, SPACE } from "./bytes.ts";
import { OffsetEvent } from "./event.ts";
import {
  AWAIT_LF,
  createEventParser,
  INCOMPLETE_AFTER_CR,
  INCOMPLETE_AT_LINE_START,
  joinData,
} from "./event-parser.ts";

const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** Between events, at a line start. */
const IDLE = 0;
/** An event started in an earlier chunk; its raw bytes so far are in `pieces`. */
const PENDING = 1;
/** An event is complete but its blank line ended in a CR at a chunk's end; the next byte decides its `end`. */
const AWAIT = 2;
/** An event grew past `maxEventBytes`; its bytes are skipped up to its blank line. */
const DISCARD = 3;

const D_LOWER = FIELD_DATA[0] as number;
const A_LOWER = FIELD_DATA[1] as number;
const T_LOWER = FIELD_DATA[2] as number;
const E_LOWER = FIELD_EVENT[0] as number;
const V_LOWER = FIELD_EVENT[1] as number;
const N_LOWER = FIELD_EVENT[3] as number;

/**
 * Creates a scanner; `onEvent` receives one reused `SseEvent` whose views are valid only during the call.
 *
 * @example Events split across chunks, CRLF framing
 * ```ts
 * import assert from "node:assert/strict";
 * const seen: string[] = [];
 * const scanner = createSseScanner({
 *   onEvent: (e) => seen.push(`${e.start}-${e.end} ${new TextDecoder().decode(e.data)}`),
 * });
 * const enc = new TextEncoder();
 * scanner.push(enc.encode("data: {\"a\":1}\r"));
 * scanner.push(enc.encode("\n\r\ndata: tail"));
 * scanner.end();
 * assert.deepEqual(seen, ["0-17 {\"a\":1}", "17-27 tail"]);
 * ```
 */
export function createSseScanner(options: SseScannerOptions): SseScanner {
  const onEvent = options.onEvent;
  const onError = options.onError;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const intern = createInterner();
  const parser = createEventParser();
  const fields = parser.fields;
  const event = new OffsetEvent();

  /** Stream offset of byte 0 of the chunk being scanned. */
  let offset = 0;
  let mode = IDLE;
  /** BOM bytes matched so far at the stream start, -1 once decided: a BOM can be split across chunks. */
  let bomMatched = 0;
  /** PENDING/DISCARD: the last chunk ended just after a line end, so a line end first in the next is blank. */
  let atLineStart = true;
  /** PENDING/DISCARD: the last chunk ended in a CR line end, so an LF first in the next is the rest of it. */
  let skipLF = false;
  /** Stream offset of the pending (or oversized) event's first byte. */
  let eventStart = 0;
  /** Copies of the pending event's raw bytes, joined once when it completes (no O(N²) re-scanning). */
  let pieces: Uint8Array[] = [];
  let piecesLen = 0;
  /** After end(), pushes are ignored: there is no stream left to belong to. */
  let ended = false;
  /** During onEvent: the dispatched event's end, which is what settled() reports then; else -1. */
  let dispatchedEnd = -1;

  function reportTooLarge(size: number): void {
    const error: ScanError = {
      code: "event_too_large",
      message: `Cannot scan SSE event at offset ${eventStart}: ${size} bytes exceed the ${maxEventBytes}-byte cap`,
    };
    try {
      onError?.(error);
    } catch {
      // The contract: push/end never throw. A throwing callback is the caller's bug; scanning goes on.
    }
  }

  /** HOT. Delivers the event parser.parse just read from `buf[s, e)`; `base` is the stream offset of `buf[0]`. */
  function dispatch(buf: Uint8Array, s: number, e: number, base: number): void {
    if (e - s > maxEventBytes) {
      eventStart = base + s;
      reportTooLarge(e - s);
      return;
    }
    if (fields.dataCount === 0) return;
    if (fields.dataMore.length === 0) event.setData(buf, fields.data0Start, fields.data0End);
    else {
      const joined = joinData(buf, fields);
      event.setData(joined, 0, joined.length);
    }
    // An empty `event:` value names no type: WHATWG dispatches it as "message", which is null here too.
    event.event = fields.nameStart === -1 || fields.nameStart === fields.nameEnd ? null : intern(buf, fields.nameStart, fields.nameEnd);
    event.start = base + s;
    event.end = dispatchedEnd = base + e;
    try {
      onEvent(event);
    } catch {
      // The contract: push/end never throw. A throwing callback is the caller's bug; scanning goes on.
    }
    dispatchedEnd = -1;
    event.release();
  }

  /** Joins the pending pieces plus `last`, parses them as one buffer and dispatches the event. */
  function completePending(last: Uint8Array): void {
    const size = piecesLen + last.length;
    const joined = pieces.length === 1 && last.length === 0 ? pieces[0] as Uint8Array : concatBytes(pieces, size, last);
    pieces = [];
    piecesLen = 0;
    mode = IDLE;
    if (size > maxEventBytes) {
      reportTooLarge(size);
      return;
    }
    parser.newBuffer();
    const end = parser.parse(joined, 0, true);
    dispatch(joined, 0, end, eventStart);
    parser.newBuffer();
  }

  /** Keeps a copy of a pending event's bytes; past the cap, reports once and drops the event. */
  function retain(bytes: Uint8Array): void {
    piecesLen += bytes.length;
    if (piecesLen > maxEventBytes) {
      reportTooLarge(piecesLen);
      pieces = [];
      piecesLen = 0;
      mode = mode === AWAIT ? IDLE : DISCARD;
      return;
    }
    pieces.push(bytes.slice());
  }

  /** Continues a PENDING/AWAIT/DISCARD event into `chunk`; returns where IDLE scanning resumes. */
  function resume(chunk: Uint8Array): number {
    const len = chunk.length;
    if (mode === AWAIT) {
      const end = chunk[0] === LF ? 1 : 0;
      completePending(chunk.subarray(0, end));
      return end;
    }
    const from = skipLF && chunk[0] === LF ? 1 : 0;
    const end = parser.findBlankLine(chunk, from, atLineStart);
    if (end >= 0) {
      if (mode === PENDING) completePending(chunk.subarray(0, end));
      mode = IDLE;
      return end;
    }
    atLineStart = end === INCOMPLETE_AT_LINE_START || end === INCOMPLETE_AFTER_CR;
    skipLF = end === INCOMPLETE_AFTER_CR;
    if (end === AWAIT_LF) mode = mode === PENDING ? AWAIT : IDLE;
    if (mode !== DISCARD && mode !== IDLE) retain(chunk);
    return len;
  }

  /** HOT. Scans `chunk` from `pos`; `offset` must be the stream offset of `chunk[0]`. */
  function scan(chunk: Uint8Array, pos: number): void {
    const len = chunk.length;
    const base = offset;
    parser.newBuffer();
    if (mode !== IDLE) pos = resume(chunk);
    // The fast path's own next-CR cache: one CR search per chunk when the chunk has none.
    let cr = -1;
    while (pos < len) {
      const b = chunk[pos];
      // Between events every CR and LF is a blank line or part of one: nothing to dispatch, skip them.
      if (b === LF || b === CR) {
        pos++;
        continue;
      }
      // Fast path for the shape nearly every stream sends: one `data:` line and a blank line, LF-terminated,
      // inside this chunk, no CR before the blank line. Anything else takes parser.parse, which handles it all.
      if (b === D_LOWER && pos + 5 < len) {
        const lf = chunk.indexOf(LF, pos);
        if (
          lf !== -1 && lf + 1 < len && chunk[lf + 1] === LF && chunk[pos + 1] === A_LOWER &&
          chunk[pos + 2] === T_LOWER && chunk[pos + 3] === A_LOWER && chunk[pos + 4] === COLON
        ) {
          if (cr < pos) {
            cr = chunk.indexOf(CR, pos);
            if (cr === -1) cr = len;
          }
          if (cr > lf && lf + 2 - pos <= maxEventBytes) {
            event.setData(chunk, chunk[pos + 5] === SPACE ? pos + 6 : pos + 5, lf);
            event.event = null;
            event.start = base + pos;
            event.end = dispatchedEnd = base + lf + 2;
            try {
              onEvent(event);
            } catch {
              // The contract: push/end never throw. A throwing callback is the caller's bug; scanning goes on.
            }
            dispatchedEnd = -1;
            event.release();
            pos = lf + 2;
            continue;
          }
        }
      }
      // Second fast path: `event:` + one `data:` line + a blank line, LF-terminated, no CR (Anthropic, Responses).
      if (b === E_LOWER && pos + 6 < len && chunk[pos + 5] === COLON) {
        const lf = chunk.indexOf(LF, pos);
        const d = lf + 1;
        if (
          lf !== -1 && d + 5 < len && chunk[pos + 1] === V_LOWER && chunk[pos + 2] === E_LOWER &&
          chunk[pos + 3] === N_LOWER && chunk[pos + 4] === T_LOWER && chunk[d] === D_LOWER &&
          chunk[d + 1] === A_LOWER && chunk[d + 2] === T_LOWER && chunk[d + 3] === A_LOWER && chunk[d + 4] === COLON
        ) {
          const lf2 = chunk.indexOf(LF, d);
          if (lf2 !== -1 && lf2 + 1 < len && chunk[lf2 + 1] === LF) {
            if (cr < pos) {
              cr = chunk.indexOf(CR, pos);
              if (cr === -1) cr = len;
            }
            if (cr > lf2 && lf2 + 2 - pos <= maxEventBytes) {
              const nameStart = chunk[pos + 6] === SPACE ? pos + 7 : pos + 6;
              // An empty `event:` value names no type (WHATWG "message"): null, as on the general path.
              event.event = nameStart >= lf ? null : intern(chunk, nameStart, lf);
              event.setData(chunk, chunk[d + 5] === SPACE ? d + 6 : d + 5, lf2);
              event.start = base + pos;
              event.end = dispatchedEnd = base + lf2 + 2;
              try {
                onEvent(event);
              } catch {
                // The contract: push/end never throw. A throwing callback is the caller's bug; scanning goes on.
              }
              dispatchedEnd = -1;
              event.release();
              pos = lf2 + 2;
              continue;
            }
          }
        }
      }
      const end = parser.parse(chunk, pos, false);
      if (end >= 0) {
        dispatch(chunk, pos, end, base);
        pos = end;
        continue;
      }
      // The event runs past this chunk: keep its bytes and the line state at the chunk's end.
      eventStart = base + pos;
      mode = end === AWAIT_LF ? AWAIT : PENDING;
      const last = chunk[len - 1];
      atLineStart = last === LF || last === CR;
      skipLF = last === CR;
      retain(chunk.subarray(pos));
      return;
    }
  }

  /** Feeds bytes a partial BOM held back, as ordinary stream bytes at their own offsets. */
  function replayHeldBom(held: number): void {
    offset -= held;
    scan(BOM.subarray(0, held), 0);
    offset += held;
  }

  return {
    push(chunk) {
      const len = chunk.length;
      if (ended || len === 0) return;
      let from = 0;
      if (bomMatched !== -1) {
        const before = bomMatched;
        while (bomMatched < 3 && from < len && chunk[from] === BOM[bomMatched]) {
          bomMatched++;
          from++;
        }
        if (bomMatched === 3) bomMatched = -1;
        else if (from === len) {
          offset += len;
          return;
        } else {
          bomMatched = -1;
          if (before > 0) replayHeldBom(before);
          from = 0;
        }
      }
      scan(chunk, from);
      offset += len;
    },
    end() {
      if (ended) return false;
      ended = true;
      if (bomMatched > 0) replayHeldBom(bomMatched);
      bomMatched = -1;
      // The stream stopped inside a line of an event: the connection closed mid-event. (A last event that only
      // lacks its blank line is complete enough; AWAIT's blank line is complete, only its CRLF is undecided.)
      const cut = mode === PENDING && !atLineStart;
      if (mode === PENDING || mode === AWAIT) completePending(EMPTY);
      pieces = [];
      mode = IDLE;
      return cut;
    },
    settled() {
      if (dispatchedEnd !== -1) return dispatchedEnd;
      // Bytes that may still turn out to be a BOM are not settled.
      if (bomMatched > 0) return 0;
      if (mode === PENDING || mode === AWAIT) return eventStart;
      // IDLE, and DISCARD too: an oversized event is never dispatched, so there is nothing to hold it for.
      return offset;
    },
  };
}
