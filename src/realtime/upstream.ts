/**
 * @module Kestrel's WebSocket client towards the upstream, over a byte stream the runtime dials: the opening
 * handshake (a refusal is read whole, so the client gets the upstream's status and body), then frames both ways.
 * Own framing rather than the runtime's WebSocket client: only this way can a refusal be passed on, reading be
 * paused (TCP backpressure on the upstream), and both runtimes behave the same (docs/architecture.md §18).
 */
import {
  CLOSE_ABNORMAL,
  closePayload,
  encodeFrame,
  FrameReader,
  OP_BINARY,
  OP_CLOSE,
  OP_PONG,
  OP_TEXT,
  relayCloseCode,
} from "./frames.ts";
import { checkUpgrade, newKey, parseHead, RefusalBody, requestHead, type ResponseHead } from "./handshake.ts";
import type { ByteStream, Dial, SocketEvents, UpstreamSide } from "./types.ts";
import { concatBytes } from "../sse/bytes.ts";

export type Upstream =
  | { kind: "open"; socket: UpstreamSide; head: ResponseHead }
  | { kind: "refused"; status: number; headers: Headers; body: Uint8Array };

/** A handshake that failed for a reason the client should hear as 502 / 504. */
export class UpstreamFailure extends Error {
  constructor(message: string, readonly timeout = false) {
    super(message);
  }
}

export interface ConnectOptions {
  /** TCP (and TLS) connect limit. */
  connectTimeoutMs: number;
  /** How long the upstream may take to answer the upgrade (and to finish a refusal's body). */
  answerTimeoutMs: number;
  /** Largest message accepted from the upstream; larger ones close with 1009. */
  maxMessage: number;
}

/** The part of `url` after its authority: the raw path and query, exactly as resolved. */
export function targetOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start);
}

/**
 * Opens a WebSocket to `url` (`http(s):` as resolved; TLS for https) with `headers` (already cleaned). `offered`
 * are the subprotocols the client offered, which the upstream's choice must be one of.
 */
export async function connectUpstream(dial: Dial, url: string, headers: Headers, offered: string[], options: ConnectOptions): Promise<Upstream> {
  const parsed = new URL(url);
  const stream = await dial(parsed, options.connectTimeoutMs);
  const key = newKey();
  let received: Uint8Array = new Uint8Array(0);
  let onBytes: ((chunk: Uint8Array) => void) | null = null;
  let onEnd: ((error: string | null) => void) | null = null;
  let leftover: Uint8Array[] = [];
  let ended: string | null | undefined;
  let socket: UpstreamSocket | null = null;
  stream.attach({
    data: (chunk) => (onBytes ? onBytes(chunk) : leftover.push(chunk)),
    drain: () => socket?.onDrain(),
    closed: (error) => {
      ended = error;
      if (onEnd) onEnd(error);
      socket?.onClosed();
    },
  });
  const timer = { id: 0 as unknown as ReturnType<typeof setTimeout> };
  const deadline = (message: string) =>
    new Promise<never>((_, reject) => {
      timer.id = setTimeout(() => reject(new UpstreamFailure(message, true)), options.answerTimeoutMs);
    });
  try {
    stream.write(requestHead(parsed.host, targetOf(url), headers, key));
    const head = await Promise.race([
      new Promise<ResponseHead>((resolve, reject) => {
        onBytes = (chunk) => {
          received = received.byteLength === 0 ? chunk : concatBytes([received], received.byteLength + chunk.byteLength, chunk);
          const h = parseHead(received);
          if (h === null) return;
          onBytes = null;
          if (typeof h === "string") reject(new UpstreamFailure(`Upstream answered the upgrade badly: ${h}`));
          else resolve(h);
        };
        onEnd = (error) => reject(new UpstreamFailure(`Upstream closed the connection before answering the upgrade${error ? `: ${error}` : ""}`));
        for (const chunk of leftover.splice(0)) onBytes?.(chunk);
        if (ended !== undefined) onEnd(ended);
      }),
      deadline("Upstream did not answer the upgrade in time"),
    ]);
    clearTimeout(timer.id);
    const rest = received.subarray(head.size);
    if (head.status === 101) {
      const problem = await checkUpgrade(head, key, offered);
      if (problem !== null) throw new UpstreamFailure(`Upstream upgrade refused by Kestrel: ${problem}`);
      const open = new UpstreamSocket(stream, options.maxMessage);
      // Frames that came with the answer, or while it was checked, are the first the relay gets.
      open.early = [...(rest.byteLength > 0 ? [rest.slice()] : []), ...leftover.splice(0)];
      onBytes = (chunk) => open.onData(chunk);
      socket = open;
      if (ended !== undefined) open.onClosed();
      return { kind: "open", socket: open, head };
    }
    const body = new RefusalBody(head);
    let complete = body.push(rest);
    for (const chunk of leftover.splice(0)) complete = body.push(chunk);
    if (!complete && ended === undefined) {
      await Promise.race([
        new Promise<void>((resolve) => {
          onBytes = (chunk) => body.push(chunk) && resolve();
          onEnd = () => resolve();
        }),
        deadline("Upstream did not finish its refusal in time").catch(() => {}),
      ]);
      clearTimeout(timer.id);
    }
    stream.destroy();
    return { kind: "refused", status: head.status, headers: head.headers, body: body.bytes() };
  } catch (err) {
    clearTimeout(timer.id);
    stream.destroy();
    throw err;
  }
}

/** How long the upstream gets to answer Kestrel's close frame before the connection is dropped. */
const CLOSE_WAIT_MS = 5000;

/** The upstream side of a relay, once the upgrade succeeded. */
class UpstreamSocket implements UpstreamSide {
  readonly canPause = true;
  written = 0;
  /** Bytes that arrived with the 101 answer (first frames), delivered once the relay attaches. */
  early: Uint8Array[] = [];
  private events: SocketEvents | null = null;
  private readonly reader: FrameReader;
  /** Kestrel sent its close frame; nothing else is sent after it. */
  private closing = false;
  private peerCode = CLOSE_ABNORMAL;
  private peerReason = "";
  private done = false;
  private closeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly stream: ByteStream, maxMessage: number) {
    this.reader = new FrameReader({
      message: (payload, text) => this.events?.message(payload, text),
      ping: (payload) => this.write(OP_PONG, payload),
      pong: () => {},
      close: (code, reason) => {
        this.peerCode = code;
        this.peerReason = reason;
        // Answer with the same code (RFC 6455 §5.5.1), then let the server close TCP first; drop it if it does not.
        if (!this.closing) this.sendClose(relayCloseCode(code), reason);
        this.stream.end();
      },
      fail: (code, reason) => {
        this.peerCode = code;
        this.peerReason = reason;
        this.sendClose(code, reason);
        this.stream.end();
      },
    }, maxMessage);
  }

  attach(events: SocketEvents): void {
    this.events = events;
    for (const chunk of this.early.splice(0)) this.reader.push(chunk);
    if (this.done) events.closed(this.peerCode, this.peerReason);
  }

  onData(chunk: Uint8Array): void {
    if (this.events === null) this.early.push(chunk);
    else this.reader.push(chunk);
  }

  onDrain(): void {
    this.events?.drain();
  }

  onClosed(): void {
    if (this.done) return;
    this.done = true;
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.events?.closed(this.peerCode, this.peerReason);
  }

  send(data: Uint8Array | string, text: boolean): void {
    if (this.closing) return;
    const frame = encodeFrame(text ? OP_TEXT : OP_BINARY, data);
    this.written += frame.byteLength - headerLength(frame);
    this.stream.write(frame);
  }

  get buffered(): number {
    return this.stream.buffered;
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  close(code: number, reason: string): void {
    if (this.done || this.closing) return;
    this.sendClose(relayCloseCode(code), reason);
  }

  private sendClose(code: number | null, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.stream.write(encodeFrame(OP_CLOSE, closePayload(code, reason)));
    this.closeTimer = setTimeout(() => this.stream.destroy(), CLOSE_WAIT_MS);
  }

  private write(opcode: number, payload: Uint8Array): void {
    if (!this.closing) this.stream.write(encodeFrame(opcode, payload));
  }
}

/** A masked client frame's header length, from its second byte. */
function headerLength(frame: Uint8Array): number {
  const size = frame[1]! & 0x7f;
  return size === 126 ? 8 : size === 127 ? 14 : 6;
}
