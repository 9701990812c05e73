/**
 * @module What waking a sleeping worker costs the waking thread: `bun bench/child/wake-cost.ts` (or `deno run -A`).
 * The worker sleeps in `Atomics.waitAsync` and raises a flag when it does; the main thread waits for the flag and
 * wakes it, 20,000 times, by `Atomics.notify` or by a postMessage "wake", twice each, interleaved. Prints main-thread
 * CPU µs per wake (/proc, 10 ms ticks; the waiting loop is in both figures) and the wall time per round trip.
 */
import { readFileSync } from "node:fs";

const N = 20_000;
const mainCpuUs = () => {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
/** [0] counter waited on, [2] wakes seen, [3] 1 while the worker sleeps. */
const a = new Int32Array(new SharedArrayBuffer(16));
const source = `let a;
onmessage = (e) => {
  if (e.data === "wake") { Atomics.add(a, 2, 1); Atomics.store(a, 3, 1); return; }
  a = new Int32Array(e.data);
  const loop = () => {
    Atomics.store(a, 3, 1);
    const r = Atomics.waitAsync(a, 0, Atomics.load(a, 0));
    (r.async ? r.value : Promise.resolve()).then(() => { Atomics.add(a, 2, 1); loop(); });
  };
  loop();
  postMessage(1);
};`;
const worker = new Worker("data:text/javascript," + encodeURIComponent(source), { type: "module" });
worker.postMessage(a.buffer);
await new Promise((resolve) => (worker.onmessage = resolve));

async function run(kind: string, wake: () => void): Promise<void> {
  const cpu0 = mainCpuUs();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    while (Atomics.load(a, 3) !== 1) await new Promise((resolve) => setTimeout(resolve, 0));
    Atomics.store(a, 3, 0);
    wake();
  }
  const cpu = (mainCpuUs() - cpu0) / N;
  console.log(`${kind}: main CPU ${cpu.toFixed(1)} µs per wake, wall ${(((performance.now() - t0) * 1000) / N).toFixed(0)} µs`);
}
const notify = () => {
  Atomics.add(a, 0, 1);
  Atomics.notify(a, 0);
};
const message = () => {
  Atomics.add(a, 0, 1);
  worker.postMessage("wake");
};
for (let r = 0; r < 2; r++) {
  await run("Atomics.notify", notify);
  await run("postMessage", message);
}
worker.terminate();
process.exit(0);
