/**
 * @module Header block of an AWS event-stream message: `{ u8 name_len; name; u8 type; value }` repeated, all
 * integers big-endian (smithy "amazon-eventstream" spec). Value types 0–9 map to JS as below.
 */
import type { HeaderValue } from "./types.ts";

export const TYPE_TRUE = 0;
export const TYPE_FALSE = 1;
/** int8 → number */
export const TYPE_BYTE = 2;
/** int16 → number */
export const TYPE_SHORT = 3;
/** int32 → number */
export const TYPE_INT = 4;
/** int64 → bigint (exact; a number would lose precision past 2^53) */
export const TYPE_LONG = 5;
/** u16 length + bytes → Uint8Array (a copy: header values outlive the frame buffer) */
export const TYPE_BYTES = 6;
/** u16 length + UTF-8 → string */
export const TYPE_STRING = 7;
/** int64 milliseconds since the epoch → Date */
export const TYPE_TIMESTAMP = 8;
/** 16 bytes → string in the canonical 8-4-4-4-12 lowercase hex form (what the AWS SDKs print) */
export const TYPE_UUID = 9;

const decoder = new TextDecoder();

/** Strings up to this many bytes are interned: header names and most values repeat in every frame. */
const INTERN_MAX_BYTES = 64;
/** Most distinct short strings kept per stream; Bedrock streams use about a dozen. */
const INTERN_MAX_ENTRIES = 64;

/** Lowercase hex for each byte value, so UUIDs format without per-byte toString calls. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function formatUuid(bytes: Uint8Array, at: number): string {
  let s = "";
  for (let k = 0; k < 16; k++) {
    if (k === 4 || k === 6 || k === 8 || k === 10) s += "-";
    s += HEX[bytes[at + k] as number];
  }
  return s;
}

/** For the rare numeric types only; strings and booleans read bytes directly. */
function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes the headers in `bytes[start, end)`; null when malformed (a length past the block, an unknown type). */
export type HeaderDecoder = (bytes: Uint8Array, start: number, end: number) => Record<string, HeaderValue> | null;

/**
 * Creates a header decoder for one stream. It interns short strings (names and most values repeat in every
 * frame), so after the first frame a header decodes without TextDecoder. The last of duplicate names wins.
 */
export function createHeaderDecoder(): HeaderDecoder {
  const internBytes: Uint8Array[] = [];
  const internStrings: string[] = [];

  /** HOT (per header). The UTF-8 string `bytes[start, end)`, from the intern table when it has been seen. */
  function decodeText(bytes: Uint8Array, start: number, end: number): string {
    const n = end - start;
    if (n > INTERN_MAX_BYTES) return decoder.decode(bytes.subarray(start, end));
    search: for (let i = 0; i < internBytes.length; i++) {
      const known = internBytes[i] as Uint8Array;
      if (known.length !== n) continue;
      for (let k = n - 1; k >= 0; k--) if (known[k] !== bytes[start + k]) continue search;
      return internStrings[i] as string;
    }
    const text = decoder.decode(bytes.subarray(start, end));
    if (internBytes.length < INTERN_MAX_ENTRIES) {
      internBytes.push(bytes.slice(start, end));
      internStrings.push(text);
    }
    return text;
  }

  return (bytes, start, end) => {
    const headers: Record<string, HeaderValue> = {};
    let at = start;
    while (at < end) {
      const nameLen = bytes[at] as number;
      const typeAt = at + 1 + nameLen;
      if (nameLen === 0 || typeAt >= end) return null;
      const name = decodeText(bytes, at + 1, typeAt);
      const type = bytes[typeAt] as number;
      at = typeAt + 1;
      let value: HeaderValue;
      let size: number;
      switch (type) {
        case TYPE_TRUE:
        case TYPE_FALSE:
          value = type === TYPE_TRUE;
          size = 0;
          break;
        case TYPE_BYTE:
          size = 1;
          if (at + size > end) return null;
          value = dataView(bytes).getInt8(at);
          break;
        case TYPE_SHORT:
          size = 2;
          if (at + size > end) return null;
          value = dataView(bytes).getInt16(at);
          break;
        case TYPE_INT:
          size = 4;
          if (at + size > end) return null;
          value = dataView(bytes).getInt32(at);
          break;
        case TYPE_LONG:
        case TYPE_TIMESTAMP:
          size = 8;
          if (at + size > end) return null;
          value = type === TYPE_LONG
            ? dataView(bytes).getBigInt64(at)
            : new Date(Number(dataView(bytes).getBigInt64(at)));
          break;
        case TYPE_BYTES:
        case TYPE_STRING: {
          if (at + 2 > end) return null;
          const len = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
          at += 2;
          size = len;
          if (at + size > end) return null;
          value = type === TYPE_BYTES ? bytes.slice(at, at + len) : decodeText(bytes, at, at + len);
          break;
        }
        case TYPE_UUID:
          size = 16;
          if (at + size > end) return null;
          value = formatUuid(bytes, at);
          break;
        default:
          return null;
      }
      // A plain assignment to "__proto__" would replace the prototype instead of adding a header.
      if (name === "__proto__") {
        Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
      } else headers[name] = value;
      at += size;
    }
    return headers;
  };
}
