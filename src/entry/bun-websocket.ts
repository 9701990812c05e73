/**
 * @module The client side of a realtime session on Bun: `server.upgrade` and Bun.serve's `websocket` handlers
 * behind the MessageSocket seam (src/realtime/types.ts). Bun can pause reading a client, so both directions of a
 * session meet TCP backpressure.
 */
import { relayCloseCode } from "../realtime/frames.ts";
import { MAX_BUFFERED } from "../realtime/relay.ts";
import type { AcceptWebSocket, MessageSocket, SocketEvents } from "../realtime/types.ts";

/** The few ServerWebSocket members used here (bun-types' globals clash with Deno's in `deno check`). */
interface BunSocket {
  data: BunClientSocket;
  binaryType?: string;
  sendText(data: string): number;
  sendBinary(data: Uint8Array): number;
  getBufferedAmount(): number;
  pause(): void;
  resume(): void;
  close(code?: number, reason?: string): void;
}

interface BunServer {
  upgrade(req: Request, options: { data: BunClientSocket; headers: Headers }): boolean;
}

const decoder = new TextDecoder();

class BunClientSocket implements MessageSocket {
  readonly canPause = true;
  private ws: BunSocket | null = null;
  private events: SocketEvents | null = null;
  /** Messages sent before Bun opened the socket (the upstream's first frames can come that early). */
  private early: [Uint8Array | string, boolean][] = [];
  private earlyBytes = 0;
  private paused = false;
  private closeWith: [number, string] | null = null;

  opened(ws: BunSocket): void {
    this.ws = ws;
    ws.binaryType = "uint8array";
    for (const [data, text] of this.early.splice(0)) this.send(data, text);
    this.earlyBytes = 0;
    if (this.paused) ws.pause();
    if (this.closeWith !== null) this.close(...this.closeWith);
  }

  received(message: string | Uint8Array): void {
    this.events?.message(message, typeof message === "string");
  }

  drained(): void {
    this.events?.drain();
  }

  closed(code: number, reason: string): void {
    this.events?.closed(code, reason);
  }

  attach(events: SocketEvents): void {
    this.events = events;
  }

  send(data: Uint8Array | string, text: boolean): void {
    const ws = this.ws;
    if (ws === null) {
      this.early.push([data, text]);
      this.earlyBytes += typeof data === "string" ? data.length : data.byteLength;
      return;
    }
    if (text) ws.sendText(typeof data === "string" ? data : decoder.decode(data));
    else ws.sendBinary(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  get buffered(): number {
    return this.ws === null ? this.earlyBytes : this.ws.getBufferedAmount();
  }

  pause(): void {
    this.paused = true;
    this.ws?.pause();
  }

  resume(): void {
    this.paused = false;
    this.ws?.resume();
  }

  close(code: number, reason: string): void {
    if (this.ws === null) {
      this.closeWith = [code, reason];
      return;
    }
    const sent = relayCloseCode(code);
    if (sent === null) this.ws.close();
    else this.ws.close(sent, reason);
  }
}

/** Upgrades on the server the request arrived at (`conn`, which the Bun entry passes to the app's fetch). */
export const acceptBun: AcceptWebSocket = (req, init, conn) => {
  const socket = new BunClientSocket();
  const headers = new Headers(init.headers);
  if (init.protocol !== null) headers.set("sec-websocket-protocol", init.protocol);
  if (!(conn as BunServer).upgrade(req, { data: socket, headers })) throw new Error("Bun refused the upgrade");
  // Bun answers the upgrade itself; the handler's return value is ignored.
  return { response: new Response(null, { status: 200 }), socket };
};

/** Bun.serve's `websocket` option: every event goes to the socket's MessageSocket. */
export const BUN_WEBSOCKET = {
  // Messages up to the relay's bound; Kestrel's own idle limit applies, not Bun's pings.
  maxPayloadLength: MAX_BUFFERED,
  // Above the relay's 1013 bound, so Bun never drops a message the relay still counts as held.
  backpressureLimit: 2 * MAX_BUFFERED,
  closeOnBackpressureLimit: false,
  idleTimeout: 0,
  sendPings: false,
  perMessageDeflate: false,
  open: (ws: BunSocket) => ws.data.opened(ws),
  message: (ws: BunSocket, message: string | Uint8Array) => ws.data.received(message),
  drain: (ws: BunSocket) => ws.data.drained(),
  close: (ws: BunSocket, code: number, reason: string) => ws.data.closed(code, reason),
};
