/** A WebSocket client for tests: the runtime's own WebSocket (Bun and Deno both take `headers`), messages collected. */
import { until } from "./poll.ts";

export interface Received {
  data: Uint8Array | string;
  text: boolean;
}

export interface TestClient {
  ws: WebSocket;
  /** The subprotocol the server chose. */
  protocol: string;
  messages: Received[];
  /** Resolves once `count` messages have arrived (rejects after the poll deadline). */
  waitFor(count: number): Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket and waits for it to open; rejects with the runtime's error when the upgrade fails. */
export async function openClient(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<TestClient> {
  const init = { protocols: options.protocols ?? [], ...(options.headers ? { headers: options.headers } : {}) };
  const ws = new WebSocket(url, init as unknown as string[]);
  ws.binaryType = "arraybuffer";
  const messages: Received[] = [];
  ws.onmessage = (e: MessageEvent) => {
    messages.push(typeof e.data === "string" ? { data: e.data, text: true } : { data: new Uint8Array(e.data as ArrayBuffer), text: false });
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (e: CloseEvent) => resolve({ code: e.code, reason: e.reason }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (e) => reject(new Error(`WebSocket error: ${(e as ErrorEvent).message ?? "unknown"}`));
  });
  ws.onerror = null;
  return {
    ws,
    protocol: ws.protocol,
    messages,
    closed,
    waitFor: (count) => until(`${count} messages`, () => messages.length >= count, { detail: () => `got ${messages.length}` }),
  };
}
