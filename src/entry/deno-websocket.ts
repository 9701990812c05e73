/**
 * @module The client side of a realtime session on Deno: `Deno.upgradeWebSocket` behind the MessageSocket seam
 * (src/realtime/types.ts). Deno's server socket cannot stop reading and has no drain event: the relay bounds
 * what a client sends ahead of a slow upstream (1013 past the limit), and `drain` is found by polling
 * `bufferedAmount` while it is high.
 */
import { relayCloseCode } from "../realtime/frames.ts";
import { HIGH_WATER } from "../realtime/relay.ts";
import type { AcceptWebSocket, MessageSocket, SocketEvents } from "../realtime/types.ts";

const decoder = new TextDecoder();
const DRAIN_POLL_MS = 10;

class DenoClientSocket implements MessageSocket {
  readonly canPause = false;
  private events: SocketEvents | null = null;
  private early: [Uint8Array | string, boolean][] = [];
  private earlyBytes = 0;
  private closeWith: [number, string] | null = null;
  private poll: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly ws: WebSocket, private readonly onClosed: () => void) {
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      for (const [data, text] of this.early.splice(0)) this.send(data, text);
      this.earlyBytes = 0;
      if (this.closeWith !== null) this.close(...this.closeWith);
    };
    ws.onmessage = (e: MessageEvent) => {
      const data = e.data;
      if (typeof data === "string") this.events?.message(data, true);
      else this.events?.message(new Uint8Array(data as ArrayBuffer), false);
    };
    ws.onclose = (e: CloseEvent) => {
      this.stopPoll();
      onClosed();
      this.events?.closed(e.code, e.reason);
    };
  }

  attach(events: SocketEvents): void {
    this.events = events;
  }

  send(data: Uint8Array | string, text: boolean): void {
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.early.push([data, text]);
      this.earlyBytes += typeof data === "string" ? data.length : data.byteLength;
      return;
    }
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (text) this.ws.send(typeof data === "string" ? data : decoder.decode(data));
    else this.ws.send(typeof data === "string" ? new TextEncoder().encode(data) : data as Uint8Array<ArrayBuffer>);
    if (this.poll === null && this.ws.bufferedAmount > HIGH_WATER) {
      this.poll = setInterval(() => {
        if (this.ws.bufferedAmount >= HIGH_WATER) return;
        this.stopPoll();
        this.events?.drain();
      }, DRAIN_POLL_MS);
    }
  }

  get buffered(): number {
    return this.ws.bufferedAmount + this.earlyBytes;
  }

  pause(): void {}

  resume(): void {}

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.closeWith = [code, reason];
      return;
    }
    const sent = relayCloseCode(code);
    if (sent === null) this.ws.close();
    else this.ws.close(sent, reason);
  }

  private stopPoll(): void {
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
  }
}

/**
 * Client sockets open per listener: Deno's `shutdown()` closes upgraded sockets, so the entry waits for them to
 * end before it lets a listener go (src/entry/deno.ts).
 */
export function createDenoAccept(open: Set<WebSocket>): AcceptWebSocket {
  return (req, init) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { ...(init.protocol !== null ? { protocol: init.protocol } : {}), idleTimeout: 0 });
    init.headers.forEach((value, name) => response.headers.append(name, value));
    open.add(socket);
    return { response, socket: new DenoClientSocket(socket, () => open.delete(socket)) };
  };
}
