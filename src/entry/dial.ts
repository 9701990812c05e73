/**
 * @module The upstream end of a realtime session: a TCP or TLS connection as a ByteStream (src/realtime/types.ts).
 * node:net and node:tls behave alike on Bun and Deno, so both entries use this file. TLS verifies the upstream
 * against the runtime's trusted roots (plus NODE_EXTRA_CA_CERTS on Bun, DENO_CERT on Deno).
 */
import net from "node:net";
import tls from "node:tls";
import type { ByteStream, Dial } from "../realtime/types.ts";

/** Queued bytes past which `write` reports backpressure (the relay then stops reading the client). */
const HIGH_WATER = 1024 * 1024;

export const dial: Dial = (url, timeoutMs) =>
  new Promise((resolve, reject) => {
    const secure = url.protocol === "https:" || url.protocol === "wss:";
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port) || (secure ? 443 : 80);
    const socket: net.Socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ["http/1.1"] })
      : net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect to ${url.host} timed out after ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once("error", fail);
    socket.once(secure ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      socket.setNoDelay(true);
      resolve(byteStream(socket));
    });
  });

function byteStream(socket: net.Socket): ByteStream {
  let error: string | null = null;
  socket.on("error", (err) => {
    error = err.message;
  });
  return {
    write: (bytes) => socket.write(bytes) && socket.writableLength < HIGH_WATER,
    get buffered() {
      return socket.writableLength;
    },
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
    attach(events) {
      socket.on("data", (chunk: Uint8Array) => events.data(chunk));
      socket.on("drain", () => events.drain());
      socket.once("close", () => events.closed(error));
    },
  };
}
