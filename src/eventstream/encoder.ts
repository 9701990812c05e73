/**
 * @module Encoder for AWS event-stream frames, for tests and mock upstreams (a mock Bedrock answering
 * `converse-stream`): string headers and a payload in, one complete frame with both CRCs out.
 */
import { crc32 } from "./crc32.ts";
import { TYPE_STRING } from "./headers.ts";

const encoder = new TextEncoder();

function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/**
 * Frames an already-encoded header block and a payload: prelude (lengths + prelude CRC), headers, payload,
 * message CRC. Lets tests build headers of every value type by hand.
 */
export function encodeEventStreamFrame(headerBlock: Uint8Array, payload: Uint8Array): Uint8Array {
  const total = 12 + headerBlock.length + payload.length + 4;
  const out = new Uint8Array(total);
  putU32(out, 0, total);
  putU32(out, 4, headerBlock.length);
  putU32(out, 8, crc32(out, 0, 8));
  out.set(headerBlock, 12);
  out.set(payload, 12 + headerBlock.length);
  putU32(out, total - 4, crc32(out, 0, total - 4));
  return out;
}

/** Encodes string headers (value type 7), in insertion order, as a header block. */
export function encodeStringHeaders(headers: Record<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = encoder.encode(name);
    const v = encoder.encode(value);
    if (n.length === 0 || n.length > 255) throw new RangeError(`Cannot encode header "${name}": name length`);
    if (v.length > 65535) throw new RangeError(`Cannot encode header "${name}": value longer than 65535 bytes`);
    const part = new Uint8Array(1 + n.length + 1 + 2 + v.length);
    part[0] = n.length;
    part.set(n, 1);
    part[1 + n.length] = TYPE_STRING;
    part[2 + n.length] = v.length >>> 8;
    part[3 + n.length] = v.length & 0xff;
    part.set(v, 4 + n.length);
    parts.push(part);
  }
  const block = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    block.set(p, at);
    at += p.length;
  }
  return block;
}

/** One complete event-stream message with string headers, e.g. `{":event-type": "metadata", …}`. */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: Uint8Array): Uint8Array {
  return encodeEventStreamFrame(encodeStringHeaders(headers), payload);
}
