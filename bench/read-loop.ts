/**
 * The event loop while the dashboard's reports loop, and /api/export's rate, through HTTP as `kestrel serve` answers
 * them (issue 24; BENCHMARKS.md "Reads off the event loop"). The server process runs the API routes over a store
 * with its reader worker; a second process (the dashboard, a script) asks the reports back to back, then downloads
 * one export. The server measures its own event loop (a 1 ms timer's lateness, p99), its main thread's CPU time
 * (/proc/self/task/<pid>/schedstat: what the loop spent, apart from waiting for a core), and its RSS.
 *
 *   bun bench/read-loop.ts --db FILE [--seconds 10] [--src DIR]             one run, one JSON line
 *   bun bench/read-loop.ts --db FILE --compare DIR_A,DIR_B [--rounds 3]    interleaved runs of two code trees
 *
 * `--src` is the `src` folder of the code under test (default this tree's), e.g. an older commit's `git archive`
 * with node_modules linked beside it, so both trees read the same file on the same machine in alternating rounds.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";

const args = process.argv.slice(2);
const get = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};
const here = new URL(".", import.meta.url).pathname;
const db = get("db");
const seconds = Number(get("seconds") ?? 10);
const DAY = 86_400_000;
const since = (days: number) => new Date(Date.now() - days * DAY).toISOString();
/** The loop: the 30-day report by model, 7 days by hour and model, the first listing page. */
const REPORTS = () => [
  `/api/usage?since=${since(30)}&group_by=model`,
  `/api/usage?since=${since(7)}&group_by=hour,model`,
  `/api/requests?limit=50`,
];
const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const load = () => loadavg()[0]!;

/** The other process: reports back to back until told to stop, or one export; prints what it did as JSON. */
async function client(url: string, mode: string): Promise<void> {
  if (mode === "export") {
    const start = performance.now();
    const res = await fetch(`${url}/api/export?since=${since(30)}&format=csv`);
    let lines = 0;
    let bytes = 0;
    for await (const chunk of res.body!) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++; // native: the client's CPU is the server's too
    }
    console.log(JSON.stringify({ records: lines - 1, bytes, ms: performance.now() - start }));
    return;
  }
  let stop = false;
  process.stdin.on("data", () => (stop = true));
  let reports = 0;
  const took: number[] = [];
  while (!stop) {
    for (const path of REPORTS()) {
      const s = performance.now();
      const res = await fetch(url + path);
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      await res.arrayBuffer();
      took.push(performance.now() - s);
      reports++;
    }
  }
  console.log(JSON.stringify({ reports, p50: p(took, 0.5) }));
}

/** Main-thread CPU time so far (ms): the event loop's own work, whatever it waited for a core. */
const schedstat = () => readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ").map(Number);
const mainCpu = () => schedstat()[0]! / 1e6;
/** Time the main thread was ready to run but waited for a core (ms): the contention, apart from its own work. */
const mainRunqueue = () => schedstat()[1]! / 1e6;

/** The 1 ms timer's lateness p99 while `during` runs. */
async function lag(during: Promise<unknown> | null, ms: number): Promise<number> {
  const lags: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const s = performance.now();
    await new Promise((r) => setTimeout(r, 1));
    lags.push(performance.now() - s - 1);
  }
  await during;
  return p(lags, 0.99);
}

async function server(src: string, path: string): Promise<void> {
  const { Hono } = await import("hono");
  const { createStore } = await import(`${src}/store/store.ts`);
  const { withReadWorker } = await import(`${src}/store/worker/read-client.ts`);
  const { createApiRoutes } = await import(`${src}/routes/api.ts`);
  const { openSqlite } = await import(`${src}/entry/sqlite-bun.ts`);
  const worker = new Worker(`${src}/entry/store-worker-bun.ts`, { type: "module" });
  const store = withReadWorker(createStore(openSqlite(path)), worker, { path });
  const app = new Hono().route("/api", createApiRoutes({ store, adminToken: null, loopbackOnly: true, now: Date.now }));
  const http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
  const url = `http://127.0.0.1:${http.port}`;
  const spawnClient = (mode: string) =>
    Bun.spawn([process.execPath, import.meta.path, "--client", "--url", url, "--mode", mode], { stdin: "pipe", stdout: "pipe" });
  for (const path of REPORTS()) await (await fetch(url + path)).arrayBuffer(); // warm the worker's cache

  const loadIdle = load();
  const icpu0 = mainCpu();
  const iwait0 = mainRunqueue();
  const idle = await lag(null, seconds * 1000);
  const idleCpu = mainCpu() - icpu0; // the timer's own wake-ups, taken off below
  const idleWait = mainRunqueue() - iwait0;
  const loop = spawnClient("reports");
  await new Promise((r) => setTimeout(r, 200));
  const cpu0 = mainCpu();
  const wait0 = mainRunqueue();
  const busy = await lag(null, seconds * 1000);
  const cpu = mainCpu() - cpu0;
  const loopWait = mainRunqueue() - wait0;
  loop.stdin.write("stop\n");
  loop.stdin.end();
  const looped = JSON.parse(await new Response(loop.stdout).text()) as { reports: number; p50: number };
  const loadLoop = load();

  const rss0 = process.memoryUsage().rss;
  let rssMax = rss0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 100);
  const ecpu0 = mainCpu();
  const exp = spawnClient("export");
  const exportDone = new Response(exp.stdout).text();
  const exportLag = await lag(exportDone, 3000);
  const exported = JSON.parse(await exportDone) as { records: number; bytes: number; ms: number };
  const ecpu = mainCpu() - ecpu0;
  clearInterval(sampler);
  console.log(JSON.stringify({
    src,
    idleP99: idle,
    loopP99: busy,
    loadIdle,
    loadLoop,
    reports: looped.reports,
    reportP50: looped.p50,
    mainCpuPerReport: (cpu - idleCpu) / looped.reports,
    mainCpuShare: cpu / (seconds * 1000),
    runqueueMsPerSecond: [idleWait / seconds, loopWait / seconds],
    exportRate: exported.records / (exported.ms / 1000),
    exportRecords: exported.records,
    exportMainCpuPer1000: (ecpu / exported.records) * 1000,
    exportLagP99: exportLag,
    rss0: rss0 / 2 ** 20,
    rssMax: rssMax / 2 ** 20,
    loadExport: load(),
  }));
  http.stop(true);
  await store.close();
  process.exit(0);
}

/** Alternating runs of two code trees, each in a fresh process; one Markdown row per run. */
async function compare(srcs: string[], rounds: number): Promise<void> {
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(`| round | src | loop p99 idle → reports looping (load) | main-thread CPU per report | reports in ${seconds} s | main thread waiting for a core, ms/s idle → looping | export records/s (load) | export main CPU / 1,000 | export loop p99 | RSS MB |`);
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (let round = 1; round <= rounds; round++) {
    for (const src of srcs) {
      const run = Bun.spawn([process.execPath, import.meta.path, "--db", db!, "--seconds", String(seconds), "--src", resolve(src)], {
        stdout: "pipe",
        stderr: "inherit",
      });
      const r = JSON.parse((await new Response(run.stdout).text()).trim().split("\n").pop()!);
      console.log(
        `| ${round} | ${src} | ${f(r.idleP99)} → ${f(r.loopP99)} ms (${f(r.loadIdle, 1)}, ${f(r.loadLoop, 1)}) | ${f(r.mainCpuPerReport, 3)} ms | ${r.reports} | ${f(r.runqueueMsPerSecond[0], 1)} → ${f(r.runqueueMsPerSecond[1], 1)} | ${Math.round(r.exportRate).toLocaleString("en-US")} (${f(r.loadExport, 1)}) | ${f(r.exportMainCpuPer1000)} ms | ${f(r.exportLagP99)} ms | ${Math.round(r.rss0)} → ${Math.round(r.rssMax)} |`,
      );
    }
  }
  console.log(`\n${cpus().length} cores`);
}

if (args.includes("--client")) await client(get("url")!, get("mode")!);
else if (get("compare") !== undefined) await compare(get("compare")!.split(","), Number(get("rounds") ?? 3));
else if (db !== undefined) await server(resolve(get("src") ?? `${here}../src`), db);
else {
  console.error("Usage: bun bench/read-loop.ts --db FILE [--seconds 10] [--src DIR | --compare A,B [--rounds 3]]");
  process.exit(2);
}
