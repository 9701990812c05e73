/**
 * @module Line-level parsing of one SSE event block inside one buffer, for the scanner (src/sse/scanner.ts):
 * where lines end (LF, CRLF, bare CR), which lines are `data:` / `event:` fields, where the blank line is.
 * Records byte ranges only; nothing is decoded or copied here except when several data lines must be joined.
 */
import { COLON, CR, FIELD_DATA, FIELD_EVENT, fieldValueStart, LF, SPACE } from "./bytes.ts";

/** The buffer ended before the blank line (mid-line, or the last line ended in a CR an LF may still follow). */
export const INCOMPLETE = -1;
/** The blank line ends in a CR that is the buffer's last byte: an LF may follow and belong to the event. */
export const AWAIT_LF = -2;
/** findBlankLine: as INCOMPLETE, and the buffer ended exactly after a line end. */
export const INCOMPLETE_AT_LINE_START = -3;
/** findBlankLine: as INCOMPLETE_AT_LINE_START, and that line end was a CR (an LF first next is its rest). */
export const INCOMPLETE_AFTER_CR = -4;

const D_LOWER = FIELD_DATA[0] as number;
const A_LOWER = FIELD_DATA[1] as number;
const T_LOWER = FIELD_DATA[2] as number;
const E_LOWER = FIELD_EVENT[0] as number;

/** What `parse` found in the last event: data line ranges and the last `event:` value range. */
export interface EventFields {
  dataCount: number;
  data0Start: number;
  data0End: number;
  /** Ranges of the second and later data lines, as flat [start, end] pairs. */
  dataMore: number[];
  /** -1 when the event had no `event:` line. */
  nameStart: number;
  nameEnd: number;
}

export interface EventParser {
  readonly fields: EventFields;
  /** Forget the line-end caches: call whenever the next call is about a different buffer. */
  newBuffer(): void;
  /**
   * Parses the event whose first, non-blank line starts at `pos`; fills `fields`; returns the offset just past
   * its blank line, INCOMPLETE or AWAIT_LF. `final`: the buffer is the rest of the stream, so its end ends the
   * last line and the event.
   */
  parse(buf: Uint8Array, pos: number, final: boolean): number;
  /**
   * Finds the blank line of an event continuing at `pos` (`lineStart`: `pos` is at a line start): its end,
   * AWAIT_LF, or an INCOMPLETE code telling the line state at the buffer's end.
   */
  findBlankLine(buf: Uint8Array, pos: number, lineStart: boolean): number;
}

/** Shared, never written: `parse` only empties `dataMore` when it holds something. */
const NO_MORE: number[] = [];

/** HOT. True when the line `buf[pos, end)` starts with `data:`. */
function isDataColon(buf: Uint8Array, pos: number, end: number): boolean {
  return end - pos >= 5 && buf[pos + 1] === A_LOWER && buf[pos + 2] === T_LOWER && buf[pos + 3] === A_LOWER &&
    buf[pos + 4] === COLON;
}

/**
 * A parser with its own line-end caches. It is its own `fields` (one object per stream, not two), and its state
 * lives in fields with the behaviour on the prototype: an open stream holds no closures for it (issue 25).
 */
class LineParser implements EventParser, EventFields {
  dataCount = 0;
  data0Start = 0;
  data0End = 0;
  /** NO_MORE until an event has a second data line: a stream of one-line events holds no array for it. */
  dataMore: number[] = NO_MORE;
  nameStart = -1;
  nameEnd = -1;
  // Next LF / CR at or after the last position asked for in the current buffer (its length when there is
  // none), refreshed only when passed: an LF-only buffer pays ONE CR search, a CR-only buffer one LF search.
  private lfAt = -1;
  private crAt = -1;

  get fields(): EventFields {
    return this;
  }

  /** HOT. Where the line starting at `pos` ends: the smaller of the next LF and the next CR. */
  private lineEnd(buf: Uint8Array, pos: number): number {
    let lfAt = this.lfAt;
    if (lfAt < pos) {
      lfAt = buf.indexOf(LF, pos);
      if (lfAt === -1) lfAt = buf.length;
      this.lfAt = lfAt;
    }
    let crAt = this.crAt;
    if (crAt < pos) {
      crAt = buf.indexOf(CR, pos);
      if (crAt === -1) crAt = buf.length;
      this.crAt = crAt;
    }
    return lfAt < crAt ? lfAt : crAt;
  }

  newBuffer(): void {
    this.lfAt = -1;
    this.crAt = -1;
  }

  parse(buf: Uint8Array, pos: number, final: boolean): number {
    const len = buf.length;
    this.dataCount = 0;
    this.nameStart = -1;
    if (this.dataMore.length !== 0) this.dataMore.length = 0;
    for (;;) {
      const b = buf[pos];
      // Blank line: checked by byte before any search, since it follows nearly every data line.
      if (b === LF) return pos + 1;
      if (b === CR) {
        if (pos + 1 < len) return buf[pos + 1] === LF ? pos + 2 : pos + 1;
        return final ? len : AWAIT_LF;
      }
      if (pos >= len) return final ? len : INCOMPLETE;
      const end = this.lineEnd(buf, pos);
      let next: number;
      if (end === len) {
        if (!final) return INCOMPLETE;
        next = len;
      } else if (buf[end] === LF) next = end + 1;
      else if (end + 1 < len) next = buf[end + 1] === LF ? end + 2 : end + 1;
      else if (final) next = len;
      else return INCOMPLETE; // a CR last: whether an LF follows is unknown until the next chunk
      if (b === D_LOWER) {
        // `data:` checked inline first (nearly every line); fieldValueStart also covers a bare `data` line.
        const v = isDataColon(buf, pos, end)
          ? (buf[pos + 5] === SPACE ? pos + 6 : pos + 5)
          : fieldValueStart(buf, pos, end, FIELD_DATA);
        if (v !== -1) {
          if (this.dataCount === 0) {
            this.data0Start = v;
            this.data0End = end;
          } else {
            if (this.dataMore === NO_MORE) this.dataMore = [];
            this.dataMore.push(v, end);
          }
          this.dataCount++;
        }
      } else if (b === E_LOWER) {
        const v = fieldValueStart(buf, pos, end, FIELD_EVENT);
        if (v !== -1) {
          this.nameStart = v;
          this.nameEnd = end;
        }
      }
      // Anything else is a comment (`:` first), `id`, `retry` or an unknown field: nothing the contract exposes.
      pos = next;
    }
  }

  findBlankLine(buf: Uint8Array, pos: number, lineStart: boolean): number {
    const len = buf.length;
    for (;;) {
      if (pos >= len) return lineStart ? INCOMPLETE_AT_LINE_START : INCOMPLETE;
      if (lineStart) {
        const b = buf[pos];
        if (b === LF) return pos + 1;
        if (b === CR) return pos + 1 < len ? (buf[pos + 1] === LF ? pos + 2 : pos + 1) : AWAIT_LF;
      }
      const end = this.lineEnd(buf, pos);
      if (end === len) return INCOMPLETE;
      if (buf[end] === LF) pos = end + 1;
      else if (end + 1 < len) pos = buf[end + 1] === LF ? end + 2 : end + 1;
      else return INCOMPLETE_AFTER_CR;
      lineStart = true;
    }
  }
}

/** Creates a parser with its own line-end caches. */
export function createEventParser(): EventParser {
  return new LineParser();
}

/** The data lines of `fields`, joined with LF: a view for one line, one new array for several. */
export function joinData(buf: Uint8Array, fields: EventFields): Uint8Array {
  const { data0Start, data0End, dataMore } = fields;
  if (dataMore.length === 0) return buf.subarray(data0Start, data0End);
  let total = data0End - data0Start + dataMore.length / 2;
  for (let i = 0; i < dataMore.length; i += 2) total += (dataMore[i + 1] as number) - (dataMore[i] as number);
  const out = new Uint8Array(total);
  out.set(buf.subarray(data0Start, data0End), 0);
  let at = data0End - data0Start;
  for (let i = 0; i < dataMore.length; i += 2) {
    out[at++] = LF;
    const s = dataMore[i] as number;
    const e = dataMore[i + 1] as number;
    out.set(buf.subarray(s, e), at);
    at += e - s;
  }
  return out;
}
