/**
 * The pass-through body's options priced alone (issue 25; bench/other-runs.md "Long stream path options"): one
 * process serves a long SSE stream from the mock (bench/mock-upstream.ts) through each wrapper around the upstream's
 * body, with a minimal meter (a byte count: what every option must at least do), and curl downloads it.
 * Reports per option the wall time (curl) and this process's CPU time (process.cpuUsage, every thread), which a
 * loaded machine disturbs far less than wall time. Rounds interleave the options.
 *
 *   bun bench/stream-path.ts [--mb 100] [--rounds 6] [--only a,b]      (or: deno run -A bench/stream-path.ts …)
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const MB = Number(flag("--mb", "100"));
const ROUNDS = Number(flag("--rounds", "6"));
const isBun = "Bun" in globalThis;
const here = new URL(".", import.meta.url).pathname;

let counted = 0;
let chunks = 0;
const meter = (chunk: Uint8Array) => (counted += chunk.byteLength, chunks++, chunk);

type Wrap = (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> | null;
function pull(hwm: QueuingStrategy<Uint8Array>): Wrap {
  return (body) => {
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        const { done, value } = await reader.read();
        if (done) c.close();
        else c.enqueue(meter(value));
      },
      cancel: (r) => reader.cancel(r),
    }, hwm);
  };
}
const OPTIONS: Record<string, Wrap> = {
  native: () => null,
  pull: pull({ highWaterMark: 0 }),
  "pull-hwm1": pull({ highWaterMark: 1 }),
  "pull-1mb": pull({ highWaterMark: 1 << 20, size: (c: Uint8Array) => c.byteLength }),
  // Not a candidate as is (the branch the meter reads runs ahead of a slow client, unbounded), priced to see whether
  // a native branch to the client escapes the JS crossing.
  tee: (body) => {
    const [a, b] = body.tee();
    void (async () => {
      for await (const chunk of b) meter(chunk);
    })();
    return a;
  },
  transform: (body) => body.pipeThrough(new TransformStream({ transform: (chunk, c) => c.enqueue(meter(chunk)) })),
};
if (isBun) {
  OPTIONS["read-many"] = (body) => {
    const reader = body.getReader() as any;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        const { done, value } = await reader.readMany();
        for (const v of value) c.enqueue(meter(v));
        if (done) c.close();
      },
      cancel: (r) => reader.cancel(r),
    }, { highWaterMark: 0 });
  };
  OPTIONS["many-1mb"] = (body) => {
    const reader = body.getReader() as any;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        const { done, value } = await reader.readMany();
        for (const v of value) c.enqueue(meter(v));
        if (done) c.close();
      },
      cancel: (r) => reader.cancel(r),
    }, { highWaterMark: 1 << 20, size: (c: Uint8Array) => c.byteLength });
  };
  OPTIONS.direct = (body) => {
    const reader = body.getReader();
    return new ReadableStream({
      type: "direct",
      async pull(c: any) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return c.close();
          c.write(meter(value));
          await c.flush();
        }
      },
      cancel: (r: unknown) => reader.cancel(r),
    } as any) as ReadableStream<Uint8Array>;
  };
  OPTIONS["direct-many"] = (body) => {
    const reader = body.getReader() as any;
    return new ReadableStream({
      type: "direct",
      async pull(c: any) {
        for (;;) {
          const { done, value } = await reader.readMany();
          for (const v of value) c.write(meter(v));
          if (done) return c.close();
          await c.flush();
        }
      },
      cancel: (r: unknown) => reader.cancel(r),
    } as any) as ReadableStream<Uint8Array>;
  };
  OPTIONS["async-gen"] = (body) =>
    (async function* () {
      for await (const chunk of body) yield meter(chunk);
    })() as any;
} else {
  OPTIONS.byob = (body) => {
    const reader = body.getReader({ mode: "byob" });
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        const { done, value } = await reader.read(new Uint8Array(256 * 1024));
        if (value && value.byteLength > 0) c.enqueue(meter(value));
        if (done) c.close();
      },
      cancel: (r) => reader.cancel(r),
    }, { highWaterMark: 0 });
  };
}
const only = argv.includes("--only") ? flag("--only", "").split(",") : null;
const names = Object.keys(OPTIONS).filter((n) => only === null || n === "native" || only.includes(n));

// The mock, pinned like bench/run.ts's (its own process).
// This process runs pinned to one core (taskset by the caller); the mock and curl go to the other (cpu0).
const mockProc = spawn("taskset", ["-c", "0", isBun ? process.execPath : `${here}../node_modules/.bin/bun`, `${here}mock-upstream.ts`], { stdio: ["ignore", "pipe", "inherit"] });
const mockUrl: string = await new Promise((resolve) => {
  mockProc.stdout!.on("data", (d: Buffer) => {
    const m = /http:\/\/[\w.:]+/.exec(String(d));
    if (m) resolve(m[0]);
  });
});
await fetch(`${mockUrl}/_config`, { method: "POST", body: JSON.stringify({ streamBytes: MB * 1e6 }) });
const REQ = JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] });

async function handle(req: Request): Promise<Response> {
  const name = new URL(req.url).pathname.slice(1);
  const up = await fetch(`${mockUrl}/v1/chat/completions`, { method: "POST", body: REQ, headers: { "content-type": "application/json" } });
  const body = OPTIONS[name]!(up.body!);
  return body === null ? up : new Response(body, { status: up.status, headers: up.headers });
}
const server: any = isBun
  ? (globalThis as any).Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: handle })
  : (globalThis as any).Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
const port = server.port ?? server.addr.port;

function parse(out: string, before: NodeJS.CpuUsage, faultsBefore = 0) {
  const [t, size] = out.trim().split(" ").map(Number);
  if (size! < MB * 1e6) throw new Error(`short body: ${size}`);
  const d = process.cpuUsage(before);
  return { wall: t! * 1000, cpu: (d.user + d.system) / 1000, faults: process.resourceUsage().minorPageFault - faultsBefore };
}
// curl is a separate native process (its CPU is not this process's), run asynchronously: this event loop serves it.
async function run(name: string) {
  const faults = process.resourceUsage().minorPageFault;
  const before = process.cpuUsage();
  const out: string = await new Promise((resolve, reject) => {
    const c = spawn("taskset", ["-c", "0", "curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", `http://127.0.0.1:${port}/${name}`]);
    let s = "";
    c.stdout.on("data", (d: Buffer) => (s += d));
    c.on("close", (code: number) => (code === 0 ? resolve(s) : reject(new Error(`curl ${code}`))));
  });
  return parse(out, before, faults);
}

const res: Record<string, { wall: number[]; cpu: number[]; chunks: number[]; faults: number[] }> = {};
for (const n of names) res[n] = { wall: [], cpu: [], chunks: [], faults: [] };
for (const n of names) await run(n); // warm-up
const loads: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < names.length; i++) {
    const n = names[(i + r) % names.length]!;
    chunks = 0;
    const x = await run(n);
    res[n]!.chunks.push(chunks);
    res[n]!.faults.push(x.faults);
    res[n]!.wall.push(x.wall);
    res[n]!.cpu.push(x.cpu);
  }
  loads.push(loadavg()[0]!);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = (k: "wall" | "cpu") => med(res.native![k]);
const pullMed = (k: "wall" | "cpu") => med(res.pull![k]);
console.log(`${isBun ? `Bun ${process.versions.bun}` : `Deno ${(globalThis as any).Deno.version.deno}`}, ${MB} MB SSE, ${ROUNDS} rounds, load ${loads.map((l) => l.toFixed(1)).join(" ")}`);
console.log("| option | wall ms | × native | × pull | CPU ms | × native | × pull | chunks metered | minor page faults |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const n of names) {
  const w = med(res[n]!.wall), c = med(res[n]!.cpu);
  console.log(`| \`${n}\` | ${w.toFixed(0)} (${Math.min(...res[n]!.wall).toFixed(0)}–${Math.max(...res[n]!.wall).toFixed(0)}) | ${(w / base("wall")).toFixed(2)}× | ${(w / pullMed("wall")).toFixed(2)}× | ${c.toFixed(0)} | ${(c / base("cpu")).toFixed(2)}× | ${(c / pullMed("cpu")).toFixed(2)}× | ${med(res[n]!.chunks)} | ${med(res[n]!.faults)} |`);
}
mockProc.kill();
server.stop?.(true);
await server.shutdown?.();
process.exit(0);
