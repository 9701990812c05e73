/** A local HTTP upstream (node:http, same on both runtimes) that records what it received. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export interface Mock {
  url: string;
  received: Received[];
  /** Sockets the mock saw closed before it finished responding. */
  aborted: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

/** `handler` runs after the whole request body arrived unless `streamBody` is set (then body is empty). */
export async function startMock(handler: Handler, options: { streamBody?: boolean } = {}): Promise<Mock> {
  const received: Received[] = [];
  const mock: Mock = {
    url: "",
    received,
    aborted: 0,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
  const server = createServer(async (req, res) => {
    res.on("close", () => {
      if (!res.writableFinished) mock.aborted++;
    });
    try {
      if (options.streamBody) {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0) });
        await handler(req, res, Buffer.alloc(0));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      await handler(req, res, body);
    } catch {
      // The client (Kestrel) went away mid-request, e.g. killed by a test: an unhandled rejection here would be
      // charged by the runner to whichever test runs next.
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mock.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return mock;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A port nothing listens on: bound, noted, closed. Not port 1: Deno's fetch refuses it before connecting, and the
 * connect error (which holds the full URL) is the path worth testing.
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
