/**
 * @module What the realtime relay sees of sockets (docs/architecture.md §18): whole messages on both sides. The
 * runtime supplies the client side (its server's WebSocket upgrade) and a byte stream to the upstream; framing,
 * masking and the handshake towards the upstream are Kestrel's own (src/realtime/upstream.ts).
 */

/** Events one side of a relay delivers. Called by the socket, never re-entrantly. */
export interface SocketEvents {
  /** One whole message: text as a string or UTF-8 bytes (as the side receives it), binary as bytes. */
  message(data: Uint8Array | string, text: boolean): void;
  /** What `buffered` counts fell back under the low-water mark after `send` had pushed it over. */
  drain(): void;
  /** The socket is closed: the peer's close code and reason (1005: none given, 1006: no close frame). */
  closed(code: number, reason: string): void;
}

/** One side of a relayed WebSocket: fragmentation, pings and the closing handshake are the socket's business. */
export interface MessageSocket {
  /** Sends one message. Text accepts a string or UTF-8 bytes. Ignored once the socket is closing. */
  send(data: Uint8Array | string, text: boolean): void;
  /** Bytes accepted by `send` and not yet written to the network. */
  readonly buffered: number;
  /**
   * Stops reading, so the peer meets TCP backpressure; `resume` undoes it. Messages already read may still be
   * delivered (a chunk's worth).
   */
  pause(): void;
  resume(): void;
  /** False where the runtime cannot stop reading (the relay then bounds the other side's buffer instead). */
  readonly canPause: boolean;
  /**
   * Starts the closing handshake; `closed` follows when it ends (or at once when the socket is gone). `code` may
   * be one a peer cannot send (a relayed 1005 or 1006): the socket sends what src/realtime/frames.ts
   * `relayCloseCode` makes of it.
   */
  close(code: number, reason: string): void;
  /** Wires the events; called once, before any message can be delivered. */
  attach(events: SocketEvents): void;
}

/** The upstream side is Kestrel's own client (src/realtime/upstream.ts), which counts what it sends exactly. */
export interface UpstreamSide extends MessageSocket {
  /** Payload bytes accepted by `send` so far. */
  readonly written: number;
}

/** What the client side is answered with when Kestrel accepts its upgrade. */
export interface AcceptInit {
  /** The subprotocol the upstream chose (`Sec-WebSocket-Protocol`), or null. */
  protocol: string | null;
  /** Upstream handshake headers worth passing on (request ids). */
  headers: Headers;
}

/**
 * The runtime's server side: answers a client's upgrade request; the core returns `response` from its handler.
 * `conn` is what the runtime passed to the app's `fetch` beside the request (Bun: its server), handed back.
 */
export type AcceptWebSocket = (req: Request, init: AcceptInit, conn?: unknown) => { response: Response; socket: MessageSocket };

/** A connected TCP (or TLS) stream to an upstream, as the runtime's socket API provides it. */
export interface ByteStream {
  /** Queues bytes; the return value is false once the stream holds more than its high-water mark. */
  write(bytes: Uint8Array): boolean;
  /** Bytes queued and not yet written. */
  readonly buffered: number;
  pause(): void;
  resume(): void;
  /** Half-closes after the queued bytes (the peer sees EOF). */
  end(): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
  /** Wires the events; called once. `closed` fires exactly once, whatever ends the stream. */
  attach(events: { data(chunk: Uint8Array): void; drain(): void; closed(error: string | null): void }): void;
}

/** Opens a stream to `url`'s host and port, over TLS for `wss:`/`https:`. Rejects after `timeoutMs`. */
export type Dial = (url: URL, timeoutMs: number) => Promise<ByteStream>;

/** The runtime's part of realtime: both are present on Bun and Deno (src/entry/). */
export interface WebSocketRuntime {
  accept: AcceptWebSocket;
  dial: Dial;
}
