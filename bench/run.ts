/**
 * The benchmark suite: `bun bench/run.ts` (`npm run bench`) runs every section against baselines measured in the
 * same run and writes BENCHMARKS.md; `--quick` runs every section with tiny sizes (harness check, < 60 s) and
 * writes nothing. Options: `--out FILE`, `--only scanner,store,pgstore,control,sequential,concurrent,big,memory,coldstart`,
 * `--loadgen wrk|autocannon`. Everything runs on loopback; children are started here and stopped here.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAndNow } from "./before.ts";
import { type Contender, startContenders, startKestrel, startMock } from "./lib/contenders.ts";
import { createLoadGen } from "./lib/load.ts";
import { busyProcesses, describeMachine, machineMarkdown } from "./lib/machine.ts";
import { BUN, killAllSync, type Proc, ROOT, run, stopAll } from "./lib/proc.ts";
import { renderDocument, type SectionResult, targetsTable } from "./lib/report.ts";
import { bigStreamSection } from "./sections/big-stream.ts";
import { coldStartSection } from "./sections/cold-start.ts";
import { controlSection } from "./sections/control.ts";
import { concurrentSection } from "./sections/concurrent.ts";
import { memorySection } from "./sections/memory.ts";
import { pgStoreSection } from "./sections/pg-store.ts";
import { scannerSection } from "./sections/scanner.ts";
import { sequentialSection } from "./sections/sequential.ts";
import { storeSection } from "./sections/store.ts";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? null : argv[i + 1] ?? null;
};
const QUICK = argv.includes("--quick");
const OUT = flag("--out") ?? (QUICK ? null : `${ROOT}BENCHMARKS.md`);
const ONLY = flag("--only")?.split(",") ?? null;
const LOADGEN = flag("--loadgen") as "wrk" | "autocannon" | null;

/** Sizes: full run (< 10 min on 2 cores) and quick run (harness check). */
const P = QUICK
  ? {
    scanner: { mb: 1, rounds: 2 },
    sequential: { rounds: 2, perRound: 5, perRoundStream: 5, warmup: 1, events: 4, gapMs: 1 },
    concurrent: { levels: [16], rounds: 1, seconds: 1, warmupSeconds: 0 },
    big: { bytes: 1e6, rounds: 1 },
    memory: { streams: 20, events: 4, gapMs: 50, requests: 1000, settleMs: 200 },
    store: { records: 5000, rounds: 1 },
    pgstore: { records: 5000, rounds: 1 },
    coldstart: { runs: 2 },
  }
  : {
    scanner: { mb: 32, rounds: 7 },
    sequential: { rounds: 7, perRound: 150, perRoundStream: 50, warmup: 20, events: 8, gapMs: 1 },
    concurrent: { levels: [1, 16, 64], rounds: 3, seconds: 4, warmupSeconds: 2 },
    big: { bytes: 100e6, rounds: 3 },
    memory: { streams: 1000, events: 20, gapMs: 150, requests: 100_000, settleMs: 1000 },
    store: { records: 300_000, rounds: 3 },
    pgstore: { records: 300_000, rounds: 3 },
    coldstart: { runs: 11 },
  };

const want = (key: string) => ONLY === null || ONLY.includes(key);
const t0 = performance.now();
const work = QUICK ? mkdtempSync(join(tmpdir(), "kestrel-bench-")) : `${ROOT}bench/.work/last-run`;
if (!QUICK) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
}

process.on("SIGINT", () => {
  killAllSync();
  process.exit(130);
});
process.on("exit", killAllSync);

const results: Record<string, SectionResult> = {};
const failures: string[] = [];

async function section(key: string, title: string, fn: () => Promise<SectionResult>): Promise<void> {
  if (!want(key)) return;
  console.log(`\n== ${key}: ${title}`);
  const s0 = performance.now();
  try {
    const r = await fn();
    results[key] = r;
    console.log(r.markdown);
    console.log(`(${((performance.now() - s0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failures.push(key);
    console.log(`FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
}

const machine = describeMachine();
const busy = await busyProcesses(QUICK ? 200 : 1000);
if (busy.length) console.log(`WARNING: other processes are using CPU: ${busy.join("; ")}`);
const gen = createLoadGen({ ...(LOADGEN ? { prefer: LOADGEN } : {}), offline: QUICK });
console.log(`kestrel bench${QUICK ? " (quick)" : ""}: ${machine.cpu}, ${machine.cores} cores; Bun ${machine.bun}, Deno ${machine.deno}; ${gen.version}; commit ${machine.commit}`);

await section("scanner", "scanner + usage vs eventsource-parser + JSON.parse", () => scannerSection(P.scanner));
await section("store", "records/s into SQLite", () => storeSection(P.store));
await section("pgstore", "records/s into PostgreSQL", () => pgStoreSection(P.pgstore));
await section("control", "pre-forward spend check", () => controlSection(QUICK));

const proxyKeys = ["sequential", "concurrent", "big", "memory", "coldstart"];
if (proxyKeys.some(want)) {
  let mock: Proc | null = null;
  let contenders: Contender[] = [];
  const binary = `${work}/kestrel`;
  try {
    await run(null, BUN, ["build.ts", "--outfile", binary]);
    mock = await startMock(work);
    contenders = await startContenders(mock, work, binary);
  } catch (err) {
    failures.push("startup");
    console.log(`FAILED to start contenders: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (mock && contenders.length > 0) {
    const m = mock;
    await section("sequential", "added latency, one request at a time", () => sequentialSection(m, contenders, P.sequential));
    await section("concurrent", "requests/s at fixed connections", () => concurrentSection(m, contenders, gen, P.concurrent));
    await section("big", "one long stream", () => bigStreamSection(m, contenders, P.big));
    await section("memory", "RSS with open streams, RSS growth", () =>
      memorySection(m, contenders, gen, {
        ...P.memory,
        // Only meaningful with more streams than Bun's default fetch cap (256).
        capDemo: P.memory.streams > 256 ? () => startKestrel("kestrel", m, work, binary, {}, "kestrel-default-cap") : null,
      }));
  }
  await stopAll();
  // Alone: the other contenders are stopped, so nothing else competes with the spawns.
  if (existsSync(binary)) await section("coldstart", "spawn to the first proxied answer", () => coldStartSection(binary, P.coldstart.runs));
}

const seconds = (performance.now() - t0) / 1000;
const order = ["scanner", "sequential", "concurrent", "big", "memory", "coldstart", "store", "pgstore", "control"];
const sections = order.map((k) => results[k]).filter((s): s is SectionResult => s !== undefined);
console.log(`\n== targets\n${targetsTable(sections.flatMap((s) => s.targets))}`);

if (OUT !== null && failures.length === 0) {
  const command = `bun bench/run.ts${argv.length ? " " + argv.join(" ") : ""}`;
  const method = readFileSync(new URL("./method.md", import.meta.url), "utf8").trim();
  const profilePath = new URL("./profile.md", import.meta.url);
  // Figures from runs that are not sections of this bench (the soak, A/B experiments), kept by hand with their commands.
  const others = readFileSync(new URL("./other-runs.md", import.meta.url), "utf8").trim();
  const profile = [
    beforeAndNow(sections.flatMap((s) => s.targets)),
    existsSync(profilePath) ? readFileSync(profilePath, "utf8").trim() : "",
    others,
  ].join("\n\n");
  writeFileSync(OUT, renderDocument({ machine: machineMarkdown(machine, command, gen.version, seconds, busy), method, sections, profile }));
  console.log(`wrote ${OUT}`);
}
if (QUICK) rmSync(work, { recursive: true, force: true });
else {
  // The logs stay for inspection; the databases (hundreds of MB after a full run) do not.
  for (const f of readdirSync(work)) if (/\.db(-wal|-shm)?$/.test(f)) rmSync(`${work}/${f}`, { force: true });
}
console.log(`\ndone in ${seconds.toFixed(1)} s${failures.length ? `; FAILED: ${failures.join(", ")}` : ""}`);
process.exit(failures.length ? 1 : 0);
