/**
 * @module The realtime bench's baseline: a bare WebSocket relay on Bun (Bun.serve's upgrade + Bun's WebSocket
 * client), no metering, no records, no limits, no backpressure: the floor a relay in JavaScript sits on.
 * UPSTREAM is the upstream's origin.
 */
declare const Bun: { serve(o: unknown): { port: number }; env: Record<string, string | undefined> };
const UPSTREAM = Bun.env.UPSTREAM!.replace(/^http/, "ws");

type Message = string | Uint8Array;
interface Socket {
  data: Pair;
  send(d: Message): number;
  close(code?: number): void;
}
interface Pair {
  up: WebSocket;
  client: Socket | null;
  /** Upstream messages before the client side opened, client messages before the upstream did. */
  down: Message[];
  upQueue: Message[];
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req: Request, srv: { upgrade(req: Request, o: unknown): boolean }) {
    const url = new URL(req.url);
    const protocol = req.headers.get("sec-websocket-protocol")?.split(",").map((p) => p.trim()) ?? [];
    const up = new WebSocket(`${UPSTREAM}${url.pathname}${url.search}`, protocol);
    up.binaryType = "arraybuffer";
    const pair: Pair = { up, client: null, down: [], upQueue: [] };
    up.onmessage = (e) => {
      const m = typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer);
      if (pair.client) pair.client.send(m);
      else pair.down.push(m);
    };
    up.onopen = () => {
      for (const m of pair.upQueue.splice(0)) up.send(m);
    };
    up.onclose = () => pair.client?.close(1000);
    srv.upgrade(req, { data: pair });
    return undefined;
  },
  websocket: {
    idleTimeout: 0,
    open(ws: Socket) {
      ws.data.client = ws;
      for (const m of ws.data.down.splice(0)) ws.send(m);
    },
    message(ws: Socket, m: Message) {
      if (ws.data.up.readyState === 1) ws.data.up.send(m);
      else ws.data.upQueue.push(m);
    },
    close(ws: Socket) {
      ws.data.up.close();
    },
  },
});
console.log(`ready http://127.0.0.1:${server.port}`);
