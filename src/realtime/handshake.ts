/**
 * @module The client side of the opening handshake (RFC 6455 §4.1) towards an upstream: the request head, the
 * response head, and — when the upstream refuses the upgrade — its status and body, read whole (capped) so the
 * client can be given exactly what the upstream answered.
 */

import { concatBytes } from "../sse/bytes.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Longest response head read before giving up (upstream heads are well under 8 KiB). */
export const MAX_HEAD = 64 * 1024;
/** Longest refusal body passed on; the rest is dropped (refusals are short JSON errors). */
export const MAX_REFUSAL_BODY = 1024 * 1024;

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64. */
export function newKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** The `Sec-WebSocket-Accept` the upstream must answer for `key`. */
export async function acceptFor(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", encoder.encode(key + GUID)));
  return btoa(String.fromCharCode(...digest));
}

/**
 * The request head. `target` is the raw path and query as the client sent them (never re-encoded); `headers`
 * are the client's, already cleaned of hop-by-hop and handshake fields (src/realtime/connect.ts).
 */
export function requestHead(host: string, target: string, headers: Headers, key: string): Uint8Array {
  let head = `GET ${target} HTTP/1.1\r\nhost: ${host}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
    `sec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n`;
  headers.forEach((value, name) => {
    head += `${name}: ${value}\r\n`;
  });
  return encoder.encode(`${head}\r\n`);
}

export interface ResponseHead {
  status: number;
  headers: Headers;
  /** Bytes of the head, including the blank line: what follows belongs to the body or the first frames. */
  size: number;
}

/** The response head in `buf`, null while incomplete, or an error message. */
export function parseHead(buf: Uint8Array): ResponseHead | null | string {
  const end = headEnd(buf);
  if (end === -1) return buf.byteLength > MAX_HEAD ? `response head longer than ${MAX_HEAD} bytes` : null;
  const lines = latin1.decode(buf.subarray(0, end - 4)).split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? "");
  if (!status) return `not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? "").slice(0, 64))}`;
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return "malformed response header line";
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      return "invalid response header";
    }
  }
  return { status: Number(status[1]), headers, size: end };
}

function headEnd(buf: Uint8Array): number {
  for (let i = buf.indexOf(13); i !== -1 && i + 3 < buf.byteLength; i = buf.indexOf(13, i + 1)) {
    if (buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i + 4;
  }
  return -1;
}

/** Why a 101 answer is not a WebSocket the client may use, or null when it is. */
export async function checkUpgrade(head: ResponseHead, key: string, offered: string[]): Promise<string | null> {
  if ((head.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") return "101 without Upgrade: websocket";
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(head.headers.get("connection") ?? "")) return "101 without Connection: Upgrade";
  if (head.headers.get("sec-websocket-accept") !== await acceptFor(key)) return "wrong Sec-WebSocket-Accept";
  // No extension was offered, so none may be used (a compressed frame would be read as garbage).
  if (head.headers.has("sec-websocket-extensions")) return "an extension Kestrel did not offer";
  const protocol = head.headers.get("sec-websocket-protocol");
  if (protocol !== null && !offered.includes(protocol)) return "a subprotocol the client did not offer";
  return null;
}

/**
 * Collects a refusal's body as it arrives: by Content-Length, chunked, or until the connection closes; at most
 * MAX_REFUSAL_BODY bytes are kept. `push` returns true once the body is complete.
 */
export class RefusalBody {
  private parts: Uint8Array[] = [];
  private kept = 0;
  private remaining: number;
  private readonly chunked: boolean;
  /** Unparsed chunked-encoding bytes. */
  private pending = new Uint8Array(0);
  private done = false;

  constructor(head: ResponseHead, method = "GET") {
    this.chunked = /(^|,)\s*chunked\s*$/i.test(head.headers.get("transfer-encoding") ?? "");
    const length = head.headers.get("content-length");
    const noBody = head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200) || method === "HEAD";
    this.remaining = noBody ? 0 : this.chunked ? Infinity : length !== null && /^\d+$/.test(length) ? Number(length) : Infinity;
    this.done = this.remaining === 0;
  }

  get complete(): boolean {
    return this.done;
  }

  push(bytes: Uint8Array): boolean {
    if (this.done) return true;
    if (!this.chunked) {
      const take = Math.min(bytes.byteLength, this.remaining);
      this.keep(bytes.subarray(0, take));
      this.remaining -= take;
      this.done = this.remaining === 0;
      return this.done;
    }
    const buf = this.pending.byteLength === 0 ? bytes : concatBytes([this.pending], this.pending.byteLength + bytes.byteLength, bytes);
    let at = 0;
    for (;;) {
      const lineEnd = indexOfCrlf(buf, at);
      if (lineEnd === -1) break;
      const size = parseInt(latin1.decode(buf.subarray(at, lineEnd)).split(";")[0]!.trim(), 16);
      if (!Number.isFinite(size) || size < 0) {
        this.done = true; // malformed chunking: keep what came
        return true;
      }
      if (size === 0) {
        this.done = true;
        return true;
      }
      if (buf.byteLength < lineEnd + 2 + size + 2) break;
      this.keep(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    this.pending = buf.slice(at);
    // A chunk larger than the cap is never waited for whole: what came is enough.
    if (this.pending.byteLength > MAX_REFUSAL_BODY) this.done = true;
    return this.done;
  }

  /** The body so far (at end of stream, all of it). */
  bytes(): Uint8Array {
    return concatBytes(this.parts, this.kept);
  }

  private keep(bytes: Uint8Array): void {
    const take = Math.min(bytes.byteLength, MAX_REFUSAL_BODY - this.kept);
    if (take <= 0) return;
    this.parts.push(bytes.slice(0, take));
    this.kept += take;
  }
}

function indexOfCrlf(buf: Uint8Array, from: number): number {
  for (let i = buf.indexOf(13, from); i !== -1; i = buf.indexOf(13, i + 1)) if (buf[i + 1] === 10) return i;
  return -1;
}
