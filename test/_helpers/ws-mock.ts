/**
 * A WebSocket upstream for tests: node:http's `upgrade` event (the same on Bun and Deno) and RFC 6455 server
 * framing written here, so a test controls every byte: fragmentation, pings, close codes, refusals, stalls.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { concatBytes } from "../../src/sse/bytes.ts";

export interface Message {
  data: Uint8Array;
  text: boolean;
}

export interface MockSession {
  /** The upgrade request as the upstream saw it. */
  url: string;
  headers: IncomingMessage["headers"];
  received: Message[];
  /** Resolves with the client's close (code, reason), or 1006 when the connection dropped without one. */
  closed: Promise<{ code: number; reason: string }>;
  send(data: Uint8Array | string, options?: { binary?: boolean; fragments?: number }): void;
  ping(payload?: Uint8Array): void;
  /** Sends a close frame (no code when `code` is null); the mock ends the connection once the client answers. */
  close(code: number | null, reason?: string): void;
  /** Drops the TCP connection without a close frame. */
  destroy(): void;
  /** Resolves when `count` messages have arrived. */
  waitFor(count: number): Promise<void>;
  /** Stops / resumes reading the socket (a slow upstream). */
  pause(): void;
  resume(): void;
  socket: Socket;
}

export interface Refusal {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface MockWsOptions {
  /** Answer the upgrade with this instead of 101. */
  refuse?(req: IncomingMessage): Refusal | null;
  /** The subprotocol to choose from the client's offer (default: the first one that is not a key). */
  protocol?(offered: string[]): string | null;
  /** Extra headers on the 101 answer. */
  headers?: Record<string, string>;
  /** Serve TLS with this certificate. */
  tls?: { cert: string; key: string };
}

export interface MockWsUpstream {
  /** `http://127.0.0.1:port` (or https): an `--upstream` origin. */
  url: string;
  sessions: MockSession[];
  /** Resolves with the next session to open. */
  next(): Promise<MockSession>;
  /** Upgrade requests seen (refused ones too). */
  requests: number;
  close(): Promise<void>;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const encoder = new TextEncoder();

/** One unmasked server frame. */
export function serverFrame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  const n = payload.byteLength;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(head + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 127;
    const view = new DataView(out.buffer);
    view.setUint32(2, Math.floor(n / 2 ** 32));
    view.setUint32(6, n >>> 0);
  }
  out.set(payload, head);
  return out;
}

export async function startWsMock(onSession: (s: MockSession) => void | Promise<void> = () => {}, options: MockWsOptions = {}): Promise<MockWsUpstream> {
  const sessions: MockSession[] = [];
  const waiting: ((s: MockSession) => void)[] = [];
  const sockets = new Set<Socket>();
  const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }) : createServer();
  const mock: MockWsUpstream = {
    url: "",
    sessions,
    requests: 0,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    mock.requests++;
    const refusal = options.refuse?.(req) ?? null;
    if (refusal !== null) {
      const body = refusal.body ?? "";
      const headers = { "content-type": "application/json", "content-length": String(encoder.encode(body).byteLength), ...refusal.headers };
      socket.end(`HTTP/1.1 ${refusal.status} Refused\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${body}`);
      return;
    }
    const key = String(req.headers["sec-websocket-key"]);
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
    const protocol = options.protocol ? options.protocol(offered) : offered.find((p) => !p.includes("api-key")) ?? null;
    const extra = Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
        `${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ""}${extra}\r\n`,
    );
    socket.setNoDelay(true);
    const session = newSession(req, socket);
    sessions.push(session);
    if (head.byteLength > 0) socket.unshift(head);
    const w = waiting.shift();
    if (w) w(session);
    void onSession(session);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mock.url = `${options.tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return mock;
}

function newSession(req: IncomingMessage, socket: Socket): MockSession {
  const received: Message[] = [];
  const waiters: { count: number; resolve(): void }[] = [];
  let resolveClosed: (v: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  let closeSent = false;
  let closeCode: { code: number; reason: string } | null = null;
  let buf: Uint8Array = new Uint8Array(0);
  let parts: Uint8Array[] = [];
  let partOp = 0;
  const deliver = (m: Message) => {
    received.push(m);
    for (const w of waiters.splice(0)) {
      if (received.length >= w.count) w.resolve();
      else waiters.push(w);
    }
  };
  socket.on("data", (chunk: Buffer) => {
    buf = concatBytes([buf], buf.byteLength + chunk.byteLength, chunk);
    for (;;) {
      if (buf.byteLength < 2) return;
      const fin = (buf[0]! & 0x80) !== 0;
      const op = buf[0]! & 0x0f;
      let n = buf[1]! & 0x7f;
      let at = 2;
      if (n === 126) {
        if (buf.byteLength < 4) return;
        n = (buf[2]! << 8) | buf[3]!;
        at = 4;
      } else if (n === 127) {
        if (buf.byteLength < 10) return;
        n = new DataView(buf.buffer, buf.byteOffset).getUint32(6);
        at = 10;
      }
      const masked = (buf[1]! & 0x80) !== 0;
      if (buf.byteLength < at + (masked ? 4 : 0) + n) return;
      const mask = masked ? buf.slice(at, at + 4) : null;
      at += masked ? 4 : 0;
      const payload = buf.slice(at, at + n);
      if (mask) for (let i = 0; i < n; i++) payload[i]! ^= mask[i & 3]!;
      buf = buf.slice(at + n);
      if (op === 8) {
        const code = n >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
        closeCode = { code, reason: new TextDecoder().decode(payload.subarray(2)) };
        if (!closeSent) {
          closeSent = true;
          socket.write(serverFrame(8, payload.subarray(0, Math.min(n, 125))));
        }
        socket.end();
        return;
      }
      if (op === 9) socket.write(serverFrame(10, payload));
      else if (op === 1 || op === 2) {
        if (fin) deliver({ data: payload, text: op === 1 });
        else {
          partOp = op;
          parts = [payload];
        }
      } else if (op === 0) {
        parts.push(payload);
        if (fin) {
          deliver({ data: concatBytes(parts, parts.reduce((a, p) => a + p.byteLength, 0)), text: partOp === 1 });
        }
      }
    }
  });
  socket.on("close", () => resolveClosed(closeCode ?? { code: 1006, reason: "" }));
  socket.on("error", () => {});
  return {
    url: req.url ?? "",
    headers: req.headers,
    received,
    closed,
    socket,
    send(data, options = {}) {
      const bytes = typeof data === "string" ? encoder.encode(data) : data;
      const op = options.binary || typeof data !== "string" ? 2 : 1;
      const pieces = Math.max(1, Math.min(options.fragments ?? 1, bytes.byteLength || 1));
      const size = Math.ceil(bytes.byteLength / pieces);
      for (let i = 0; i < pieces; i++) {
        const part = bytes.subarray(i * size, Math.min(bytes.byteLength, (i + 1) * size));
        socket.write(serverFrame(i === 0 ? op : 0, part, i === pieces - 1));
      }
    },
    ping(payload = new Uint8Array(0)) {
      socket.write(serverFrame(9, payload));
    },
    close(code, reason = "") {
      if (closeSent) return;
      closeSent = true;
      const text = encoder.encode(reason);
      const payload = code === null ? new Uint8Array(0) : new Uint8Array(2 + text.byteLength);
      if (code !== null) {
        payload[0] = code >>> 8;
        payload[1] = code & 0xff;
        payload.set(text, 2);
      }
      socket.write(serverFrame(8, payload));
    },
    destroy() {
      socket.destroy();
    },
    waitFor(count) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    pause() {
      socket.pause();
    },
    resume() {
      socket.resume();
    },
  };
}
