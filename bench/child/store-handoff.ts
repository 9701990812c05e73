/**
 * @module The main thread's cost of handing records to the store worker, alone:
 * `bun bench/child/store-handoff.ts [SRC_DIR] [N] [PER_MS]`. Adds N test records to `createWorkerStore` from SRC_DIR
 * (default src/; point it at another tree's src/ for an A/B) over a real worker and SQLite file, 64 at a time at
 * PER_MS records per millisecond (default 12, about Kestrel's most requests per second on one core), then flushes.
 * A tree whose worker store takes facts (issue 25) is handed facts (`addFact`), as the sink does; an older one records.
 * Prints main-thread CPU µs per record (/proc, 10 ms ticks), the whole process's (worker and its SQLite writes
 * included), and the store's counts: faster than the worker can parse and insert, the ring fills and drops.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeFact, makeRecord } from "../../test/store/helpers.ts";

const SRC = resolve(process.argv[2] ?? new URL("../../src", import.meta.url).pathname);
const N = Number(process.argv[3] ?? 100_000);
const PER_TURN = 64;
const PER_MS = Number(process.argv[4] ?? 12);

const { openSqlite } = await import(`${SRC}/entry/sqlite-bun.ts`);
const { createStore } = await import(`${SRC}/store/store.ts`);
const { createWorkerStore } = await import(`${SRC}/store/worker/client.ts`);

function mainThreadSeconds(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const path = join(mkdtempSync(join(tmpdir(), "kestrel-handoff-")), "k.db");
const worker = new Worker(new URL(`file://${SRC}/entry/store-worker-bun.ts`).href);
const store = createWorkerStore(createStore(openSqlite(path)), worker, { path });
const records = Array.from({ length: 1000 }, (_, i) => makeRecord(i));
// The records' request ids (a generated one is a random ULID: an index on it would measure B-tree splits instead).
const facts = Array.from({ length: 1000 }, (_, i) => makeFact(i, { request_id: records[i]!.request_id }));
const add = store.addFact
  ? (i: number, id: string) => store.addFact({ ...facts[i % 1000]!, id })
  : (i: number, id: string) => store.add({ ...records[i % 1000]!, id });
await new Promise((r) => setTimeout(r, 300));

let next = 0;
async function round(n: number) {
  const main0 = mainThreadSeconds();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n;) {
    for (let j = 0; j < PER_TURN && i < n; j++, i++) add(i, `r${next++}`);
    const due = start + i / PER_MS - performance.now();
    await new Promise((r) => (due > 0 ? setTimeout(r, due) : setImmediate(r)));
  }
  await store.flush();
  const cpu = process.cpuUsage(cpu0);
  return { mainUs: ((mainThreadSeconds() - main0) * 1e6) / n, allUs: (cpu.user + cpu.system) / n };
}
await round(Math.min(N, 10_000));
const rounds = [];
for (let r = 0; r < 3; r++) rounds.push(await round(N));
await store.close();
console.log(JSON.stringify({ src: SRC, n: N, facts: Boolean(store.addFact), rounds, stats: store.stats() }));
process.exit(0);
