/**
 * Child process for the TLS acceptance test: the official `openai` client's realtime WebSocket class (which
 * forces wss:) against Kestrel's TLS listener. Prints one JSON line per server event, then `{"closed": code}`.
 * argv: baseURL apiKey model; the CA comes from the environment (NODE_EXTRA_CA_CERTS / DENO_CERT).
 */
import OpenAI from "openai";
import { OpenAIRealtimeWebSocket } from "openai/realtime/websocket";

const [baseURL, apiKey, model] = process.argv.slice(2) as [string, string, string];
const client = new OpenAI({ apiKey, baseURL });
const rt = new OpenAIRealtimeWebSocket({ model }, client);
const print = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
rt.on("error", (err) => print({ error: err.message }));
rt.on("event", (event) => {
  print({ type: event.type });
  if (event.type === "response.done") rt.close({ code: 1000, reason: "done" });
});
rt.socket.addEventListener("open", () => {
  print({ open: rt.url.toString().replace(/\?.*$/, "") });
  rt.send({ type: "session.update", session: { type: "realtime", instructions: "Be brief." } });
  rt.send({ type: "input_audio_buffer.append", audio: btoa("\u0000".repeat(4800)) });
  rt.send({ type: "input_audio_buffer.commit" });
  rt.send({ type: "response.create" });
});
rt.socket.addEventListener("close", (e: CloseEvent) => {
  print({ closed: e.code });
  process.exit(0);
});
