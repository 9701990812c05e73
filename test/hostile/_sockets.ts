/**
 * Raw TCP on both sides of Kestrel for the hostile catalogue: an upstream that writes whatever bytes a case
 * chooses (lying lengths, resets, garbage instead of HTTP), and a client that sends whatever bytes a case chooses
 * (CR/LF in headers, duplicate lengths, HTTP/1.0) and reads the answer as raw bytes.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface UpstreamRequest {
  head: string;
  body: Buffer;
}

/** What an upstream case does with the connection once the request has arrived. */
export type UpstreamAct = (socket: Socket, request: UpstreamRequest) => void | Promise<void>;

/**
 * A raw upstream that reads the request head and its body (Content-Length or chunked), then hands the socket to
 * the act named by the request's `x-case` header.
 */
export async function startRawUpstream(acts: ReadonlyMap<string, UpstreamAct>): Promise<{ url: string; hits: Map<string, number>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const hits = new Map<string, number>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.subarray(0, end).toString("latin1");
      const rest = buf.subarray(end + 4);
      let body: Buffer;
      if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
        if (rest.indexOf("0\r\n\r\n") < 0 && !rest.subarray(0, 5).equals(Buffer.from("0\r\n\r\n"))) return;
        body = rest;
      } else {
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (rest.byteLength < length) return;
        body = rest.subarray(0, length);
      }
      socket.off("data", onData);
      const name = /\r\nx-case: *([^\r]*)/i.exec(head)?.[1] ?? "";
      hits.set(name, (hits.get(name) ?? 0) + 1);
      const act = acts.get(name);
      if (!act) {
        socket.end("HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\ncontent-length: 9\r\n\r\nno such case");
        return;
      }
      Promise.resolve(act(socket, { head, body })).catch(() => socket.destroy());
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface Reply {
  status?: number | string;
  headers?: Record<string, string | string[]>;
  /** Body parts, written one after another (`gapMs` apart). */
  parts?: (string | Uint8Array)[];
  gapMs?: number;
  /** How the connection ends after the parts: closed cleanly (default), reset, or left open. */
  end?: "close" | "reset" | "hang";
}

/** An act that writes a status line, headers and body parts as given, byte for byte. */
export function reply(r: Reply): UpstreamAct {
  return async (socket) => {
    const status = typeof r.status === "string" ? r.status : `${r.status ?? 200} X`;
    let head = `HTTP/1.1 ${status}\r\n`;
    for (const [name, value] of Object.entries(r.headers ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
    }
    if (!r.headers || !Object.keys(r.headers).some((h) => h.toLowerCase() === "connection")) head += "connection: close\r\n";
    socket.write(Buffer.from(`${head}\r\n`, "latin1"));
    for (const part of r.parts ?? []) {
      if (r.gapMs) await sleep(r.gapMs);
      if (socket.destroyed) return;
      // Respect back-pressure, as a real upstream does: a reader that stops reading stops the writer.
      if (!socket.write(typeof part === "string" ? Buffer.from(part, "utf8") : part)) {
        await new Promise((resolve) => {
          socket.once("drain", resolve);
          socket.once("close", resolve);
        });
      }
    }
    if (r.end === "reset") socket.resetAndDestroy();
    else if (r.end !== "hang") socket.end();
  };
}

export const bytesOf = (parts: (string | Uint8Array)[] = []): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

export interface RawAnswer {
  /** Everything the server sent before closing or before the wait ended. */
  bytes: Buffer;
  status: number | null;
  closed: boolean;
}

/**
 * Sends `parts` (with `gapMs` between them) on a fresh connection and collects the answer until the server
 * closes or `waitMs` passes. `leaveAfter` closes the client side right after the parts: a client that vanishes.
 */
export async function rawRequest(url: string, parts: (string | Uint8Array)[], options: { gapMs?: number; waitMs?: number; leaveAfter?: boolean } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  let closed = false;
  const done = new Promise<void>((resolve) => {
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("close", () => {
      closed = true;
      resolve();
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  for (const part of parts) {
    if (socket.destroyed) break;
    socket.write(typeof part === "string" ? Buffer.from(part, "latin1") : part);
    if (options.gapMs) await sleep(options.gapMs);
  }
  if (options.leaveAfter) {
    socket.destroy();
    return { bytes: Buffer.alloc(0), status: null, closed: true };
  }
  await Promise.race([done, sleep(options.waitMs ?? 3000)]);
  socket.destroy();
  const bytes = Buffer.concat(chunks);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(bytes.toString("latin1"));
  // A 100 Continue comes first when the client asked for it; the final status is the one that counts.
  const all = [...bytes.toString("latin1").matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
  return { bytes, status: all.find((s) => s >= 200) ?? (status ? Number(status[1]) : null), closed };
}

/** The body of the first answer in raw HTTP/1.1 bytes (after the head), de-chunked when it is chunked. */
export function rawBody(bytes: Buffer): Buffer {
  let text = bytes;
  // Skip interim 1xx answers.
  for (;;) {
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return Buffer.alloc(0);
    const head = text.subarray(0, end).toString("latin1");
    const body = text.subarray(end + 4);
    if (/^HTTP\/1\.[01] 1\d\d/.test(head)) {
      text = body;
      continue;
    }
    // The first answer only: a request split by an injected blank line is two requests, and gets two answers.
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) return body.subarray(0, Number(length[1]));
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return body;
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      const line = body.indexOf("\r\n", at);
      if (line < 0) break;
      const size = parseInt(body.subarray(at, line).toString("latin1"), 16);
      if (!(size > 0)) break;
      out.push(body.subarray(line + 2, line + 2 + size));
      at = line + 2 + size + 2;
    }
    return Buffer.concat(out);
  }
}

/**
 * How many of process `pid`'s open sockets are TCP connections to `port` on this machine (Linux /proc; null
 * elsewhere): the upstream connections it holds.
 */
export function socketsTo(pid: number, port: number): number | null {
  if (!existsSync(`/proc/${pid}/fd`)) return null;
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed while listing
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let n = 0;
  for (const table of ["tcp", "tcp6"]) {
    const path = `/proc/${pid}/net/${table}`;
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[2]!.endsWith(`:${hexPort}`) && inodes.has(cols[9]!)) n++;
    }
  }
  return n;
}
