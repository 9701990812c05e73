/**
 * @module The mock upstream and every contender, started on loopback: direct (the mock itself), bare (minimal
 * Bun pass-through), Kestrel from source on Bun, the compiled binary, Kestrel on Deno, and the Portkey gateway
 * under Bun. The mock runs on the load CPU, every proxy on the proxy CPU.
 */
import { BUN, CPU, DENO, freePort, type Proc, ROOT, start } from "./proc.ts";

export interface Contender {
  /** Short id used in tables: direct, bare, kestrel, binary, deno, portkey. */
  key: string;
  label: string;
  /** The chat completions endpoint as this contender exposes it. */
  endpoint: string;
  headers: Record<string, string>;
  /** The proxy process (null for direct). */
  proc: Proc | null;
}

export const KEYS = ["direct", "bare", "kestrel", "binary", "deno", "portkey"] as const;

/** Bun's fetch queues requests beyond 256 in flight (oven-sh/bun#12214); raised for every Bun contender. */
export const FETCH_CAP_ENV = { BUN_CONFIG_MAX_HTTP_REQUESTS: "4096" };

const AUTH = { "authorization": "Bearer sk-bench-0123456789abcdef", "content-type": "application/json" };
const LISTEN = /listening on (http:\/\/[\w.:[\]]+)/;

export interface Setup {
  mock: Proc;
  contenders: Contender[];
}

export async function startMock(work: string): Promise<Proc> {
  return await start({
    name: "mock",
    cmd: BUN,
    args: ["bench/mock-upstream.ts"],
    cpu: CPU.load,
    log: `${work}/mock.log`,
    ready: LISTEN,
  });
}

/** Starts one Kestrel; `how` picks source on Bun, the compiled binary, or source on Deno. */
export async function startKestrel(
  how: "kestrel" | "binary" | "deno",
  mock: Proc,
  work: string,
  binary: string,
  env: Record<string, string> = FETCH_CAP_ENV,
  tag: string = how,
): Promise<Proc> {
  const serve = ["serve", "--port", "0", "--db", `${work}/${tag}.db`, "--upstream", `openai=${mock.url}`];
  const [cmd, args] = how === "kestrel"
    ? [BUN, ["src/entry/bun.ts", ...serve]]
    : how === "binary"
    ? [binary, serve]
    : [DENO, ["run", "-A", "--unstable-no-legacy-abort", "src/entry/deno.ts", ...serve]];
  return await start({ name: tag, cmd, args, cpu: CPU.proxy, log: `${work}/${tag}.log`, env, ready: LISTEN });
}

export async function startContenders(mock: Proc, work: string, binary: string): Promise<Contender[]> {
  const portkeyPort = await freePort();
  const [bare, kestrel, bin, deno, portkey] = await Promise.all([
    start({
      name: "bare",
      cmd: BUN,
      args: ["bench/bare-proxy.ts", "--upstream", mock.url],
      cpu: CPU.proxy,
      log: `${work}/bare.log`,
      env: FETCH_CAP_ENV,
      ready: LISTEN,
    }),
    startKestrel("kestrel", mock, work, binary),
    startKestrel("binary", mock, work, binary),
    startKestrel("deno", mock, work, binary),
    start({
      name: "portkey",
      cmd: BUN,
      args: [`${ROOT}node_modules/@portkey-ai/gateway/build/start-server.js`, `--port=${portkeyPort}`, "--headless"],
      cpu: CPU.proxy,
      log: `${work}/portkey.log`,
      env: FETCH_CAP_ENV,
      ready: /Ready for connections/,
      url: `http://127.0.0.1:${portkeyPort}`,
    }),
  ]);
  const chat = "/v1/chat/completions";
  return [
    { key: "direct", label: "direct (mock)", endpoint: mock.url + chat, headers: AUTH, proc: null },
    { key: "bare", label: "bare Bun proxy", endpoint: bare.url + chat, headers: AUTH, proc: bare },
    { key: "kestrel", label: "Kestrel (Bun, source)", endpoint: `${kestrel.url}/openai${chat}`, headers: AUTH, proc: kestrel },
    { key: "binary", label: "Kestrel (compiled binary)", endpoint: `${bin.url}/openai${chat}`, headers: AUTH, proc: bin },
    { key: "deno", label: "Kestrel (Deno)", endpoint: `${deno.url}/openai${chat}`, headers: AUTH, proc: deno },
    {
      key: "portkey",
      label: "Portkey 1.15.2 (Bun)",
      endpoint: portkey.url + chat,
      headers: { ...AUTH, "x-portkey-provider": "openai", "x-portkey-custom-host": `${mock.url}/v1` },
      proc: portkey,
    },
  ];
}

/** Shapes the mock's next responses (see bench/mock-upstream.ts MockConfig). */
export async function configureMock(mock: Proc, config: Record<string, number>): Promise<void> {
  const res = await fetch(`${mock.url}/_config`, { method: "POST", body: JSON.stringify(config) });
  if (!res.ok) throw new Error(`mock /_config: ${res.status}`);
  await res.arrayBuffer();
}

export async function mockStats(mock: Proc): Promise<{ active: number; maxActive: number; served: number }> {
  return await (await fetch(`${mock.url}/_stats`)).json();
}

/** Request bodies: non-streaming, streaming that asks for usage itself (no injection by Kestrel), and one that does not. */
export const BODY = {
  json: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Name a holiday." }] }),
  stream: JSON.stringify({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Name a holiday." }],
    stream: true,
    stream_options: { include_usage: true },
  }),
  /** Streaming without asking for usage: Kestrel adds `include_usage` and takes the usage chunk out again. */
  streamInjected: JSON.stringify({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Name a holiday." }],
    stream: true,
  }),
};
