/**
 * @module The realtime bench's upstream (Bun.serve, pinned to the load CPU): per session, `dir=down` sends
 * `frames` OpenAI `response.output_audio.delta` events of `size` base64 bytes (every 100th a `response.done` with
 * usage, so Kestrel meters as in a real session) as fast as the relay takes them; `dir=up` counts the client's
 * messages. Both end with `{"type":"bench.end"}`.
 */

interface Data {
  frames: number;
  size: number;
  dir: string;
  sent: number;
  got: number;
  delta: string;
}

function pump(ws: { data: Data; send(s: string): number }): void {
  const d = ws.data;
  while (d.sent < d.frames) {
    d.sent++;
    const event = d.sent % 100 === 0
      ? `{"type":"response.done","event_id":"e${d.sent}","response":{"id":"resp_${d.sent}","status":"completed","usage":{"total_tokens":300,"input_tokens":100,"output_tokens":200,"input_token_details":{"text_tokens":20,"audio_tokens":80,"cached_tokens":0},"output_token_details":{"text_tokens":10,"audio_tokens":190}}}}`
      : `{"type":"response.output_audio.delta","event_id":"e${d.sent}","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"${d.delta}"}`;
    if (ws.send(event) === -1) return; // backpressure: drain() continues
  }
  if (d.sent === d.frames) {
    d.sent++;
    ws.send('{"type":"bench.end"}');
  }
}

declare const Bun: { serve(o: unknown): { port: number } };
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req: Request, srv: { upgrade(req: Request, o: unknown): boolean }) {
    const q = new URL(req.url).searchParams;
    const size = Number(q.get("size") ?? 4096);
    const data: Data = { frames: Number(q.get("frames") ?? 1000), size, dir: q.get("dir") ?? "down", sent: 0, got: 0, delta: "A".repeat(size) };
    const protocol = req.headers.get("sec-websocket-protocol")?.split(",")[0]?.trim();
    srv.upgrade(req, { data, headers: protocol ? { "sec-websocket-protocol": protocol } : {} });
    return undefined;
  },
  websocket: {
    idleTimeout: 0,
    backpressureLimit: 64 * 1024 * 1024,
    open(ws: { data: Data; send(s: string): number }) {
      if (ws.data.dir === "down") pump(ws);
    },
    drain(ws: { data: Data; send(s: string): number }) {
      if (ws.data.dir === "down") pump(ws);
    },
    message(ws: { data: Data; send(s: string): number }) {
      if (ws.data.dir === "up" && ++ws.data.got === ws.data.frames) ws.send('{"type":"bench.end"}');
    },
  },
});
console.log(`ready http://127.0.0.1:${server.port}`);
