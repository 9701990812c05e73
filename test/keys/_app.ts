/**
 * An in-process Kestrel for the keys tests: the real app, sink, store (SQLite in a temp dir, or a PostgreSQL URL),
 * spend control and key ring, with an injected upstream fetch that answers like each provider and remembers what it
 * was sent (headers and URL), so a test can see which credential went upstream. Logs are kept in memory.
 */
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import type { ControlSetup } from "../../src/control/setup.ts";
import { startStoreControl } from "../control/_helpers.ts";
import { createKeyRing, type KeyRing } from "../../src/keys/ring.ts";
import { createLogger } from "../../src/log.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import type { WebSocketRuntime } from "../../src/realtime/types.ts";
import type { Store } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";

export const PROVIDER_SECRETS = {
  OPENAI_SECRET: "sk-proj-UPSTREAMSECRETopenai0000000000000000",
  ANTHROPIC_SECRET: "sk-ant-api03-UPSTREAMSECRETanthropic00000000000",
  GEMINI_SECRET: "AIzaUPSTREAMSECRETgemini000000000000",
  VERTEX_SECRET: "AQ.UPSTREAMSECRETvertexexpress00000000",
};

export interface Sent {
  url: string;
  headers: Headers;
  body: string;
}

export interface Running {
  app: ReturnType<typeof createApp>;
  store: Store;
  ring: KeyRing;
  setup: ControlSetup;
  sent: Sent[];
  logs: string[];
  records(): Promise<UsageRecord[]>;
  /** Calls the app's admin API (loopback: no token). */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

const json = (value: unknown) => {
  const text = JSON.stringify(value);
  return new Response(text, { headers: { "content-type": "application/json", "content-length": String(text.length) } });
};

/** Answers like OpenAI chat, Anthropic messages or Gemini generateContent (JSON or streamed), by path. */
async function answer(url: string, body: string): Promise<Response> {
  const path = new URL(url).pathname;
  if (path.endsWith("/chat/completions")) {
    const model = (JSON.parse(body) as { model: string }).model;
    return json({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
    });
  }
  if (path.endsWith("/messages")) {
    return json({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-3-5-haiku-20241022",
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 10, output_tokens: 5 },
    });
  }
  if (path.includes(":streamGenerateContent")) {
    // `alt=sse`, as @google/genai asks: the last event carries the usage.
    const events = [
      { candidates: [{ content: { role: "model", parts: [{ text: "o" }] } }], modelVersion: "gemini-2.0-flash" },
      {
        candidates: [{ content: { role: "model", parts: [{ text: "k" }] }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
        modelVersion: "gemini-2.0-flash",
      },
    ];
    return new Response(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(""), { headers: { "content-type": "text/event-stream" } });
  }
  if (path.includes(":generateContent")) {
    return json({
      candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
      modelVersion: "gemini-2.0-flash",
    });
  }
  return json({ data: [] });
}

export async function startApp(store: Store, args: string[] = [], options: { pollMs?: number; master?: CryptoKey; websockets?: WebSocketRuntime } = {}): Promise<Running> {
  const sent: Sent[] = [];
  const logs: string[] = [];
  const now = Date.now;
  const upstream: typeof fetch = async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    const body = await request.text();
    sent.push({ url: request.url, headers: request.headers, body });
    return answer(request.url, body);
  };
  const log = createLogger({ format: "text", write: (bytes: Uint8Array) => (logs.push(new TextDecoder().decode(bytes)), Promise.resolve()), now });
  const config = parseConfig({
    args,
    env: { ...PROVIDER_SECRETS, KESTREL_CONFIG: "/kestrel.json" },
    readFile: () =>
      JSON.stringify({
        provider_keys: {
          openai: { env: "OPENAI_SECRET" },
          anthropic: { env: "ANTHROPIC_SECRET" },
          "google-ai-studio": { env: "GEMINI_SECRET" },
          "google-vertex-ai": { env: "VERTEX_SECRET" },
        },
      }),
  });
  const setup = await startStoreControl(store, { budgets: [], log, fetch: upstream, now, syncEveryMs: 100 });
  const ring = createKeyRing(store.keys, { now, sleep: () => Promise.resolve(), master: options.master ?? null });
  await ring.reload();
  ring.start(options.pollMs);
  const app = createApp({ config, fetch: upstream, now, log, store, pricer: createPricer(), probe: null, control: setup, keys: ring, websockets: options.websockets ?? null });
  return {
    app,
    store,
    ring,
    setup,
    sent,
    logs,
    async records() {
      await app.drain(1000);
      await store.flush();
      const all: UsageRecord[] = [];
      for await (const page of store.exportRows({})) all.push(...page);
      return all;
    },
    async api(method, path, body) {
      const res = await app.fetch(new Request(`http://127.0.0.1${path}`, {
        method,
        headers: { host: "127.0.0.1", "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }));
      const text = await res.text();
      return { status: res.status, json: text === "" ? null : JSON.parse(text) };
    },
    async stop() {
      ring.stop();
      await app.drain(0);
      await setup.stop();
      await store.close();
    },
  };
}
