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
import { BOM, COLON, concatBytes, CR, EMPTY, FIELD_DATA, FIELD_EVENT, LF, NameInterner, SPACE } from "./bytes.ts";
import { OffsetEvent } from "./event.ts";
import {
  AWAIT_LF,
  createEventParser,
  type EventParser,
  INCOMPLETE_AFTER_CR,
  INCOMPLETE_AT_LINE_START,
  joinData,
} from "./event-parser.ts";

const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;
/** Shared stand-in for "no pending pieces": an open stream between events holds no array of its own. */
const NO_PIECES: Uint8Array[] = [];

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
  return new Scanner(options);
}

/**
 * The scanner's state in fields and its behaviour on the prototype: an open stream holds this object, its event,
 * its line parser and its name interner, and no closures (issue 25, bench/child/stream-heap.ts).
 */
class Scanner implements SseScanner {
  /**
   * Called as `options.onEvent(event)`, so a class instance can be the options (the meter is); a detached
   * function works as before.
   */
  private readonly sink: SseScannerOptions;
  private readonly maxEventBytes: number;
  private readonly names = new NameInterner();
  private readonly parser: EventParser = createEventParser();
  private readonly event = new OffsetEvent();

  /** Stream offset of byte 0 of the chunk being scanned. */
  private offset = 0;
  private mode = IDLE;
  /** BOM bytes matched so far at the stream start, -1 once decided: a BOM can be split across chunks. */
  private bomMatched = 0;
  /** PENDING/DISCARD: the last chunk ended just after a line end, so a line end first in the next is blank. */
  private atLineStart = true;
  /** PENDING/DISCARD: the last chunk ended in a CR line end, so an LF first in the next is the rest of it. */
  private skipLF = false;
  /** Stream offset of the pending (or oversized) event's first byte. */
  private eventStart = 0;
  /** Copies of the pending event's raw bytes, joined once when it completes (no O(N²) re-scanning). */
  private pieces: Uint8Array[] = NO_PIECES;
  private piecesLen = 0;
  /** After end(), pushes are ignored: there is no stream left to belong to. */
  private ended = false;
  /** During onEvent: the dispatched event's end, which is what settled() reports then; else -1. */
  private dispatchedEnd = -1;

  constructor(options: SseScannerOptions) {
    this.sink = options;
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  push(chunk: Uint8Array): void {
    const len = chunk.length;
    if (this.ended || len === 0) return;
    let from = 0;
    if (this.bomMatched !== -1) {
      const before = this.bomMatched;
      let matched = before;
      while (matched < 3 && from < len && chunk[from] === BOM[matched]) {
        matched++;
        from++;
      }
      if (matched === 3) this.bomMatched = -1;
      else if (from === len) {
        this.bomMatched = matched;
        this.offset += len;
        return;
      } else {
        this.bomMatched = -1;
        if (before > 0) this.replayHeldBom(before);
        from = 0;
      }
    }
    this.scan(chunk, from);
    this.offset += len;
  }

  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    if (this.bomMatched > 0) this.replayHeldBom(this.bomMatched);
    this.bomMatched = -1;
    // The stream stopped inside a line of an event: the connection closed mid-event. (A last event that only
    // lacks its blank line is complete enough; AWAIT's blank line is complete, only its CRLF is undecided.)
    const cut = this.mode === PENDING && !this.atLineStart;
    if (this.mode === PENDING || this.mode === AWAIT) this.completePending(EMPTY);
    this.pieces = NO_PIECES;
    this.mode = IDLE;
    return cut;
  }

  settled(): number {
    if (this.dispatchedEnd !== -1) return this.dispatchedEnd;
    // Bytes that may still turn out to be a BOM are not settled.
    if (this.bomMatched > 0) return 0;
    if (this.mode === PENDING || this.mode === AWAIT) return this.eventStart;
    // IDLE, and DISCARD too: an oversized event is never dispatched, so there is nothing to hold it for.
    return this.offset;
  }

  private reportTooLarge(size: number): void {
    const error: ScanError = {
      code: "event_too_large",
      message:
        `Cannot scan SSE event at offset ${this.eventStart}: ${size} bytes exceed the ${this.maxEventBytes}-byte cap`,
    };
    try {
      this.sink.onError?.(error);
    } catch {
      // The contract: push/end never throw. A throwing callback is the caller's bug; scanning goes on.
    }
  }

  /** HOT. Hands the event to the sink, then drops its chunk (an idle stream must not keep it alive). */
  private deliver(end: number): void {
    const event = this.event;
    event.end = this.dispatchedEnd = end;
    try {
      this.sink.onEvent(event);
    } catch {
      // The contract: push/end never throw. A throwing callback is the caller's bug; scanning goes on.
    }
    this.dispatchedEnd = -1;
    event.release();
  }

  /** HOT. Delivers the event parser.parse just read from `buf[s, e)`; `base` is the stream offset of `buf[0]`. */
  private dispatch(buf: Uint8Array, s: number, e: number, base: number): void {
    if (e - s > this.maxEventBytes) {
      this.eventStart = base + s;
      this.reportTooLarge(e - s);
      return;
    }
    const fields = this.parser.fields;
    if (fields.dataCount === 0) return;
    const event = this.event;
    if (fields.dataMore.length === 0) event.setData(buf, fields.data0Start, fields.data0End);
    else {
      const joined = joinData(buf, fields);
      event.setData(joined, 0, joined.length);
    }
    // An empty `event:` value names no type: WHATWG dispatches it as "message", which is null here too.
    event.event = fields.nameStart === -1 || fields.nameStart === fields.nameEnd
      ? null
      : this.names.intern(buf, fields.nameStart, fields.nameEnd);
    event.start = base + s;
    this.deliver(base + e);
  }

  /** Joins the pending pieces plus `last`, parses them as one buffer and dispatches the event. */
  private completePending(last: Uint8Array): void {
    const pieces = this.pieces;
    const size = this.piecesLen + last.length;
    const joined = pieces.length === 1 && last.length === 0 ? pieces[0] as Uint8Array : concatBytes(pieces, size, last);
    this.pieces = NO_PIECES;
    this.piecesLen = 0;
    this.mode = IDLE;
    if (size > this.maxEventBytes) {
      this.reportTooLarge(size);
      return;
    }
    this.parser.newBuffer();
    const end = this.parser.parse(joined, 0, true);
    this.dispatch(joined, 0, end, this.eventStart);
    this.parser.newBuffer();
  }

  /** Keeps a copy of a pending event's bytes; past the cap, reports once and drops the event. */
  private retain(bytes: Uint8Array): void {
    this.piecesLen += bytes.length;
    if (this.piecesLen > this.maxEventBytes) {
      this.reportTooLarge(this.piecesLen);
      this.pieces = NO_PIECES;
      this.piecesLen = 0;
      this.mode = this.mode === AWAIT ? IDLE : DISCARD;
      return;
    }
    if (this.pieces === NO_PIECES) this.pieces = [];
    this.pieces.push(bytes.slice());
  }

  /** Continues a PENDING/AWAIT/DISCARD event into `chunk`; returns where IDLE scanning resumes. */
  private resume(chunk: Uint8Array): number {
    const len = chunk.length;
    if (this.mode === AWAIT) {
      const end = chunk[0] === LF ? 1 : 0;
      this.completePending(chunk.subarray(0, end));
      return end;
    }
    const from = this.skipLF && chunk[0] === LF ? 1 : 0;
    const end = this.parser.findBlankLine(chunk, from, this.atLineStart);
    if (end >= 0) {
      if (this.mode === PENDING) this.completePending(chunk.subarray(0, end));
      this.mode = IDLE;
      return end;
    }
    this.atLineStart = end === INCOMPLETE_AT_LINE_START || end === INCOMPLETE_AFTER_CR;
    this.skipLF = end === INCOMPLETE_AFTER_CR;
    if (end === AWAIT_LF) this.mode = this.mode === PENDING ? AWAIT : IDLE;
    if (this.mode !== DISCARD && this.mode !== IDLE) this.retain(chunk);
    return len;
  }

  /** HOT. Scans `chunk` from `pos`; `offset` must be the stream offset of `chunk[0]`. */
  private scan(chunk: Uint8Array, pos: number): void {
    const len = chunk.length;
    const base = this.offset;
    const maxEventBytes = this.maxEventBytes;
    const event = this.event;
    this.parser.newBuffer();
    if (this.mode !== IDLE) pos = this.resume(chunk);
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
            this.deliver(base + lf + 2);
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
              event.event = nameStart >= lf ? null : this.names.intern(chunk, nameStart, lf);
              event.setData(chunk, chunk[d + 5] === SPACE ? d + 6 : d + 5, lf2);
              event.start = base + pos;
              this.deliver(base + lf2 + 2);
              pos = lf2 + 2;
              continue;
            }
          }
        }
      }
      const end = this.parser.parse(chunk, pos, false);
      if (end >= 0) {
        this.dispatch(chunk, pos, end, base);
        pos = end;
        continue;
      }
      // The event runs past this chunk: keep its bytes and the line state at the chunk's end.
      this.eventStart = base + pos;
      this.mode = end === AWAIT_LF ? AWAIT : PENDING;
      const last = chunk[len - 1];
      this.atLineStart = last === LF || last === CR;
      this.skipLF = last === CR;
      this.retain(chunk.subarray(pos));
      return;
    }
  }

  /** Feeds bytes a partial BOM held back, as ordinary stream bytes at their own offsets. */
  private replayHeldBom(held: number): void {
    this.offset -= held;
    this.scan(BOM.subarray(0, held), 0);
    this.offset += held;
  }
}
