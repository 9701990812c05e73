/** @module Byte constants and small byte helpers for the SSE scanner (no decoding anywhere). */

export const LF = 0x0a;
export const CR = 0x0d;
export const COLON = 0x3a;
export const SPACE = 0x20;

/** UTF-8 byte order mark, dropped once at the start of a stream (WHATWG SSE "decode" step). */
export const BOM: Uint8Array = new Uint8Array([0xef, 0xbb, 0xbf]);

/** Field names, pre-encoded so lines are compared as bytes and only values are ever looked at. */
export const FIELD_DATA: Uint8Array = new Uint8Array([0x64, 0x61, 0x74, 0x61]);
export const FIELD_EVENT: Uint8Array = new Uint8Array([0x65, 0x76, 0x65, 0x6e, 0x74]);

/** A zero-length view, so "no bytes" never allocates. */
export const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * When the line `buf[start, end)` is the field `name` (`name:value` or a bare `name`), the index where its value
 * starts (after the colon and at most ONE space); else -1. A bare `name` line has an empty value at `end`.
 */
export function fieldValueStart(buf: Uint8Array, start: number, end: number, name: Uint8Array): number {
  const n = name.length;
  if (end - start < n) return -1;
  for (let k = 0; k < n; k++) if (buf[start + k] !== name[k]) return -1;
  const at = start + n;
  if (at === end) return end;
  if (buf[at] !== COLON) return -1;
  return at + 1 < end && buf[at + 1] === SPACE ? at + 2 : at + 1;
}

/** True when `buf[start, end)` holds exactly the bytes of `bytes`. */
export function equalsAt(buf: Uint8Array, start: number, end: number, bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (end - start !== n) return false;
  for (let k = 0; k < n; k++) if (buf[start + k] !== bytes[k]) return false;
  return true;
}

/** Joins `pieces` (and an optional last view) into one new array of `total` bytes, copying each byte once. */
export function concatBytes(pieces: readonly Uint8Array[], total: number, last?: Uint8Array): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  if (last !== undefined) out.set(last, at);
  return out;
}

/** Most distinct `event:` names kept; real streams use under twenty (Anthropic, Responses API). */
const MAX_INTERNED = 64;

/**
 * Returns stable copies of short byte strings (SSE event names): the same bytes give the same array, so the
 * hot path allocates nothing for a repeated name and the name stays valid after the callback. Do not mutate.
 */
export class NameInterner {
  /** Made at the first name: most streams (OpenAI-style chat) name no event, and an open one should hold little. */
  private table: Uint8Array[] | null = null;
  /** The last name returned: streams repeat one name in runs (`content_block_delta`), so try it first. */
  private recent: Uint8Array = EMPTY;

  intern(buf: Uint8Array, start: number, end: number): Uint8Array {
    if (equalsBackward(buf, start, end, this.recent)) return this.recent;
    const table = this.table ??= [];
    for (let i = 0; i < table.length; i++) {
      const known = table[i] as Uint8Array;
      if (equalsBackward(buf, start, end, known)) return (this.recent = known);
    }
    const copy = buf.slice(start, end);
    if (table.length < MAX_INTERNED) table.push(copy);
    return (this.recent = copy);
  }
}

/** equalsAt comparing from the end: names that share a prefix (`content_block_…`) differ at the end. */
function equalsBackward(buf: Uint8Array, start: number, end: number, bytes: Uint8Array): boolean {
  let k = bytes.length;
  if (end - start !== k) return false;
  while (k-- > 0) if (buf[start + k] !== bytes[k]) return false;
  return true;
}
