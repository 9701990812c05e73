/**
 * @module RFC 6455 framing for Kestrel's client side of the upstream connection: a reader for the server's frames
 * (unmasked; fragmented messages joined; control frames checked) and an encoder for masked client frames.
 * HOT: the reader hands out views into the chunk it was given when a frame lies within one chunk (most do), and
 * copies only a frame or message that spans chunks.
 */

import { concatBytes } from "../sse/bytes.ts";

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close codes Kestrel sends or reads (RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_NO_STATUS = 1005;
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_INVALID_DATA = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL = 1011;
export const CLOSE_TRY_AGAIN = 1013;

export interface FrameEvents {
  /** A whole data message; the view is valid only during the call. */
  message(payload: Uint8Array, text: boolean): void;
  ping(payload: Uint8Array): void;
  pong(payload: Uint8Array): void;
  /** The peer's close frame: its code (1005 when it gave none) and reason. */
  close(code: number, reason: string): void;
  /** The peer broke the protocol: the connection must be closed with this code. Nothing is read after it. */
  fail(code: number, reason: string): void;
}

const EMPTY = new Uint8Array(0);
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Joins views into one new array (a single view is passed as it is). */
const join = (parts: Uint8Array[], size: number): Uint8Array => parts.length === 1 ? parts[0]! : concatBytes(parts, size);

/** Reads the frames of one server → client byte stream. */
export class FrameReader {
  /** Header bytes of a header that spans chunks (at most 14: server frames carry no mask). */
  private head = new Uint8Array(14);
  private headLen = 0;
  /** Payload bytes still to come for the current frame, and the pieces already in. */
  private need = 0;
  private pieces: Uint8Array[] = [];
  private pieceBytes = 0;
  private opcode = 0;
  private fin = false;
  /** The opcode of a fragmented message in progress (0: none), and its parts so far. */
  private fragmentOf = 0;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private stopped = false;

  constructor(private readonly events: FrameEvents, private readonly maxMessage: number) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    const len = chunk.byteLength;
    while (at < len && !this.stopped) {
      if (this.need > 0) {
        const take = Math.min(this.need, len - at);
        this.pieces.push(chunk.subarray(at, at + take));
        this.pieceBytes += take;
        this.need -= take;
        at += take;
        if (this.need === 0) this.frame(join(this.pieces, this.pieceBytes));
        continue;
      }
      // Fast path: a whole header in this chunk (the usual case) is read in place.
      let src: Uint8Array;
      let base: number;
      if (this.headLen === 0 && len - at >= 2 && len - at >= headerSize(chunk[at + 1]!)) {
        src = chunk;
        base = at;
        at += headerSize(chunk[at + 1]!);
      } else {
        while (this.headLen < 2 && at < len) this.head[this.headLen++] = chunk[at++]!;
        if (this.headLen < 2) return;
        const want = headerSize(this.head[1]!);
        while (this.headLen < want && at < len) this.head[this.headLen++] = chunk[at++]!;
        if (this.headLen < want) return;
        src = this.head;
        base = 0;
      }
      this.headLen = 0;
      const size = this.header(src, base);
      if (size < 0) return;
      if (size === 0) {
        this.frame(EMPTY);
      } else if (len - at >= size) {
        this.frame(chunk.subarray(at, at + size));
        at += size;
      } else {
        this.need = size;
        this.pieces = [];
        this.pieceBytes = 0;
      }
    }
  }

  /** Reads the header at `buf[at…]`; returns the payload length, or -1 after failing the connection. */
  private header(buf: Uint8Array, at: number): number {
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    if ((b0 & 0x70) !== 0) return this.failWith(CLOSE_PROTOCOL_ERROR, "reserved bits set without an extension");
    if ((b1 & 0x80) !== 0) return this.failWith(CLOSE_PROTOCOL_ERROR, "masked frame from the server");
    this.fin = (b0 & 0x80) !== 0;
    this.opcode = b0 & 0x0f;
    let size = b1 & 0x7f;
    if (size === 126) {
      size = (buf[at + 2]! << 8) | buf[at + 3]!;
    } else if (size === 127) {
      const high = ((buf[at + 2]! << 24) >>> 0) + ((buf[at + 3]! << 16) | (buf[at + 4]! << 8) | buf[at + 5]!);
      const low = ((buf[at + 6]! << 24) >>> 0) + ((buf[at + 7]! << 16) | (buf[at + 8]! << 8) | buf[at + 9]!);
      size = high * 2 ** 32 + low; // beyond 2^53 inexact, but refused just below anyway
    }
    if (this.opcode >= OP_CLOSE && (size > 125 || !this.fin)) {
      return this.failWith(CLOSE_PROTOCOL_ERROR, "control frame fragmented or longer than 125 bytes");
    }
    if (size > this.maxMessage || this.partBytes + size > this.maxMessage) {
      return this.failWith(CLOSE_TOO_BIG, `message larger than ${this.maxMessage} bytes`);
    }
    return size;
  }

  private frame(payload: Uint8Array): void {
    this.pieces = [];
    this.pieceBytes = 0;
    const op = this.opcode;
    if (op === OP_TEXT || op === OP_BINARY) {
      if (this.fragmentOf !== 0) return void this.failWith(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
      if (this.fin) return this.events.message(payload, op === OP_TEXT);
      this.fragmentOf = op;
      // A view into a chunk stays valid: chunks are never reused by the stream that delivers them.
      this.parts = [payload];
      this.partBytes = payload.byteLength;
    } else if (op === OP_CONTINUATION) {
      if (this.fragmentOf === 0) return void this.failWith(CLOSE_PROTOCOL_ERROR, "continuation without a message");
      this.parts.push(payload);
      this.partBytes += payload.byteLength;
      if (!this.fin) return;
      const whole = join(this.parts, this.partBytes);
      const text = this.fragmentOf === OP_TEXT;
      this.fragmentOf = 0;
      this.parts = [];
      this.partBytes = 0;
      this.events.message(whole, text);
    } else if (op === OP_PING) {
      this.events.ping(payload);
    } else if (op === OP_PONG) {
      this.events.pong(payload);
    } else if (op === OP_CLOSE) {
      this.readClose(payload);
    } else {
      this.failWith(CLOSE_PROTOCOL_ERROR, `unknown opcode ${op}`);
    }
  }

  private readClose(payload: Uint8Array): void {
    this.stopped = true;
    if (payload.byteLength === 0) return this.events.close(CLOSE_NO_STATUS, "");
    const code = payload.byteLength >= 2 ? (payload[0]! << 8) | payload[1]! : 0;
    if (payload.byteLength === 1 || !isValidCloseCode(code)) {
      return this.events.fail(CLOSE_PROTOCOL_ERROR, "invalid close frame");
    }
    let reason: string;
    try {
      reason = strictUtf8.decode(payload.subarray(2));
    } catch {
      return this.events.fail(CLOSE_INVALID_DATA, "close reason is not UTF-8");
    }
    this.events.close(code, reason);
  }

  private failWith(code: number, reason: string): -1 {
    this.stopped = true;
    this.events.fail(code, reason);
    return -1;
  }
}

/** Header length from its second byte (server frames: no mask key). */
function headerSize(b1: number): number {
  const size = b1 & 0x7f;
  return size === 126 ? 4 : size === 127 ? 10 : 2;
}

/** Codes a peer may put in a close frame (RFC 6455 §7.4; 1004-1006 and 1015 are reserved). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * The close code to send when passing `code` on: the same when a peer may send it, else what it means on the
 * wire: no status (1005) → none, an abnormal end (1006) → going away, anything else unsendable → internal error.
 */
export function relayCloseCode(code: number): number | null {
  if (isValidCloseCode(code)) return code;
  if (code === CLOSE_NO_STATUS) return null;
  return code === CLOSE_ABNORMAL ? CLOSE_GOING_AWAY : CLOSE_INTERNAL;
}

/** Mask keys come from a pool of crypto-random bytes, refilled when used up: one entropy call per 1,024 frames. */
const MASK_POOL = new Uint8Array(4096);
let maskAt = MASK_POOL.length;
const encoder = new TextEncoder();

/**
 * One masked client frame. A string payload is encoded straight into the frame (one copy). The payload starts
 * at a 4-byte aligned offset, so the mask is applied a 32-bit word at a time.
 */
export function encodeFrame(opcode: number, payload: Uint8Array | string, fin = true): Uint8Array {
  const room = typeof payload === "string" ? payload.length * 3 : payload.byteLength;
  const buf = new Uint8Array(16 + room);
  let size: number;
  if (typeof payload === "string") size = encoder.encodeInto(payload, buf.subarray(16)).written;
  else {
    buf.set(payload, 16);
    size = payload.byteLength;
  }
  const headerLen = size < 126 ? 6 : size < 65536 ? 8 : 14;
  let at = 16 - headerLen;
  const start = at;
  buf[at++] = (fin ? 0x80 : 0) | opcode;
  if (size < 126) buf[at++] = 0x80 | size;
  else if (size < 65536) {
    buf[at++] = 0x80 | 126;
    buf[at++] = size >>> 8;
    buf[at++] = size & 0xff;
  } else {
    buf[at++] = 0x80 | 127;
    buf[at++] = 0;
    buf[at++] = 0;
    buf[at++] = Math.floor(size / 2 ** 40) & 0xff;
    buf[at++] = Math.floor(size / 2 ** 32) & 0xff;
    buf[at++] = (size >>> 24) & 0xff;
    buf[at++] = (size >>> 16) & 0xff;
    buf[at++] = (size >>> 8) & 0xff;
    buf[at++] = size & 0xff;
  }
  if (maskAt === MASK_POOL.length) {
    crypto.getRandomValues(MASK_POOL);
    maskAt = 0;
  }
  for (let k = 0; k < 4; k++) buf[at + k] = MASK_POOL[maskAt + k]!;
  maskAt += 4;
  mask(buf, 16, size, at);
  return buf.subarray(start, 16 + size);
}

/** XORs `buf[from, from + size)` with the 4-byte key at `buf[keyAt]`; both offsets are 4-byte aligned. */
function mask(buf: Uint8Array, from: number, size: number, keyAt: number): void {
  const words = size >>> 2;
  if (words > 0) {
    // The key read through a word view of the same memory has the same byte order as the words it masks.
    const key = new Uint32Array(buf.buffer, buf.byteOffset + keyAt, 1)[0]!;
    const view = new Uint32Array(buf.buffer, buf.byteOffset + from, words);
    for (let i = 0; i < words; i++) view[i]! ^= key;
  }
  for (let i = words << 2; i < size; i++) buf[from + i]! ^= buf[keyAt + (i & 3)]!;
}

/** A close frame's payload: the code and a reason cut to fit 125 bytes on a character boundary. */
export function closePayload(code: number | null, reason: string): Uint8Array {
  if (code === null) return EMPTY;
  let text = encoder.encode(reason);
  if (text.byteLength > 123) {
    let end = 123;
    while (end > 0 && (text[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
    text = text.subarray(0, end);
  }
  const out = new Uint8Array(2 + text.byteLength);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}
