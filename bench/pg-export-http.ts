/**
 * One PostgreSQL export through HTTP (issue 24): the API routes over a PostgreSQL store (Bun.serve on loopback), and
 * curl downloading `/api/export?format=csv` (the whole table; the routes unmounted, so `/export`) as a separate process; the server's RSS is sampled
 * every 50 ms. `--src` picks the tree whose store and routes run (e.g. main's, unpacked by `git archive`, beside
 * this one), so before and after alternate over the same database, a fresh process each:
 *   bun bench/pg-export-http.ts --url URL [--src DIR] [--label TEXT] [--query since=30d]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const url = arg("--url", "");
const src = resolve(arg("--src", new URL("../src", import.meta.url).pathname));
const label = arg("--label", src);
const extra = arg("--query", "");
const { createPgStore } = await import(`${src}/store/pg/pg-store.ts`);
const { createApiRoutes } = await import(`${src}/routes/api.ts`);
const store = createPgStore(url, { poolSize: 4 });
await store.usage({}, "day"); // connected and migrated before the clock starts
const app = createApiRoutes({ store, adminToken: null, loopbackOnly: true, now: Date.now });
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const mib = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const rss = { start: mib(), max: 0 };
const sampler = setInterval(() => (rss.max = Math.max(rss.max, mib())), 50);
const loadBefore = load();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const curl = Bun.spawn(["curl", "-s", "-o", "-", `http://127.0.0.1:${server.port}/export?format=csv${extra ? `&${extra}` : ""}`], {
  stdout: "pipe",
});
// Count the lines as they arrive (header and records), so the client holds no body.
let lines = 0;
for await (const chunk of curl.stdout) for (const b of chunk as Uint8Array) if (b === 10) lines++;
await curl.exited;
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
const records = lines - 1;
console.log(
  `| ${label} | ${records.toLocaleString("en-US")} | ${Math.round(records / seconds).toLocaleString("en-US")}/s | ` +
    `${((cpu.user + cpu.system) / 1000 / records * 1000).toFixed(2)} ms | ${rss.start} → ${rss.max} | ${loadBefore} → ${load()} |`,
);
server.stop(true);
await store.close();
process.exit(0);
