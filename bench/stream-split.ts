/**
 * Which part of a JS stream wrapper costs on Bun (issue 25; bench/other-runs.md "Long stream path options"): reading
 * a fetch body in JS, or serving a JS stream, and whether the chunks' bytes or their fresh buffers are the price.
 * One Bun process (pin it: `taskset -c 1 bun bench/stream-split.ts [--mb 100] [--rounds 6] [--chunk 262144]`)
 * serves each mode; the mock (bench/mock-upstream.ts) and curl run on cpu0. Prints wall time (curl) and this
 * process's CPU time (all threads), medians of interleaved rounds.
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const MB = Number(flag("--mb", "100"));
const ROUNDS = Number(flag("--rounds", "6"));
const CH = Number(flag("--chunk", "262144"));
const here = new URL(".", import.meta.url).pathname;
const Bun = (globalThis as any).Bun;

const mockProc = spawn("taskset", ["-c", "0", process.execPath, `${here}mock-upstream.ts`], { stdio: ["ignore", "pipe", "inherit"] });
const mockUrl: string = await new Promise((resolve) => {
  mockProc.stdout!.on("data", (d: Buffer) => {
    const m = /http:\/\/[\w.:]+/.exec(String(d));
    if (m) resolve(m[0]);
  });
});
await fetch(`${mockUrl}/_config`, { method: "POST", body: JSON.stringify({ streamBytes: MB * 1e6 }) });
const REQ = JSON.stringify({ model: "m", stream: true, messages: [] });
const big = new Uint8Array(MB * 1e6);
const up = () => fetch(`${mockUrl}/v1/chat/completions`, { method: "POST", body: REQ });
/** A JS pull stream over `big`, each chunk made by `chunk(at)`. */
const served = (chunk: (at: number) => Uint8Array) => {
  let at = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(chunk(at));
        at += CH;
        if (at >= big.length) c.close();
      },
    }, { highWaterMark: 0 }),
  );
};
const pool = Array.from({ length: 8 }, () => new Uint8Array(CH));
let turn = 0;
const MODES: Record<string, () => Promise<Response>> = {
  /** bare: the fetch Response returned as is (Bun pipes it natively). */
  "proxy-native": async () => await up(),
  /** The upstream read in JS (reader.read), nothing sent back: the read side alone. */
  "read-js": async () => {
    const r = (await up()).body!.getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      n += value.byteLength;
    }
    return new Response(String(n));
  },
  "read-many": async () => {
    const r = (await up()).body!.getReader() as any;
    let n = 0;
    for (;;) {
      const { done, value } = await r.readMany();
      for (const v of value) n += v.byteLength;
      if (done) break;
    }
    return new Response(String(n));
  },
  /** The write side alone: a JS stream of views into one buffer (no fresh memory per chunk). */
  "serve-js-views": async () => served((at) => big.subarray(at, at + CH)),
  /** The same bytes copied into 8 reused buffers (the copy, without fresh memory). */
  "serve-js-pool": async () =>
    served((at) => {
      const b = pool[turn++ & 7]!;
      b.set(big.subarray(at, at + CH));
      return b;
    }),
  /** The same bytes copied into a fresh buffer per chunk, as a fetch body's reader hands them to JS. */
  "serve-js-fresh": async () => served((at) => big.slice(at, at + CH)),
  /** A fresh buffer per chunk (as the reader's) copied into a reused one, which is what the server gets. */
  "serve-js-fresh-pooled": async () =>
    served((at) => {
      const fresh = big.slice(at, at + CH);
      const b = pool[turn++ & 7]!;
      b.set(fresh);
      return b;
    }),
};
const names = Object.keys(MODES).filter((n) => !argv.includes("--only") || flag("--only", "").split(",").includes(n));
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (req: Request) => MODES[new URL(req.url).pathname.slice(1)]!() });

async function run(name: string) {
  const before = process.cpuUsage();
  const out: string = await new Promise((resolve) => {
    const c = spawn("taskset", ["-c", "0", "curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", `http://127.0.0.1:${server.port}/${name}`]);
    let s = "";
    c.stdout.on("data", (d: Buffer) => (s += d));
    c.on("close", () => resolve(s));
  });
  const d = process.cpuUsage(before);
  return { wall: Number(out) * 1000, cpu: (d.user + d.system) / 1000 };
}
const res: Record<string, { wall: number[]; cpu: number[] }> = {};
for (const n of names) {
  await run(n);
  res[n] = { wall: [], cpu: [] };
}
const loads: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const n of names) {
    const x = await run(n);
    res[n]!.wall.push(x.wall);
    res[n]!.cpu.push(x.cpu);
  }
  loads.push(loadavg()[0]!);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`Bun ${Bun.version}, ${MB} MB, ${CH}-byte chunks, ${ROUNDS} rounds, load ${loads.map((l) => l.toFixed(1)).join(" ")}`);
console.log("| mode | wall ms | CPU ms |\n| --- | --- | --- |");
for (const n of names) console.log(`| \`${n}\` | ${med(res[n]!.wall).toFixed(0)} | ${med(res[n]!.cpu).toFixed(0)} |`);
mockProc.kill();
server.stop(true);
process.exit(0);
