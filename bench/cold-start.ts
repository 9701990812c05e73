/**
 * @module Binary cold start (issue 25): `bun bench/cold-start.ts [--runs 21] [--binary FILE] [--before FILE] [--quick]`.
 * Builds the binary (`bun build.ts`, or takes --binary) and the bare pass-through proxy (bench/bare-proxy.ts) with
 * the same `bun build --compile --minify`, then per round, contenders interleaved so that a noisy machine moves them
 * alike, times from spawn to:
 *   - `kestrel --version` exiting;
 *   - `kestrel serve` (fresh SQLite file in a temp dir) answering its first proxied request: a small OpenAI chat
 *     completion through it to bench/mock-upstream.ts, the answer read whole (bare: the same request);
 *   - `kestrel serve` answering its first `GET /health` (a separate spawn).
 * The client reacts to the listening line on stdout (a pipe it reads), so no connect polling competes for the CPU.
 * Kestrel runs without BUN_CONFIG_MAX_HTTP_REQUESTS (what a user's shell gives it: it re-executes itself once, see
 * src/entry/fetch-limit.ts) and, on the "env" rows, with it set (as deploy/ does).
 * --before FILE adds the same rows for another kestrel binary (e.g. one built from main) in the same rounds.
 * --imports also compiles bench/child/import-cost.ts with the binary's flags (scripts/compile-flags.ts) and with
 * main's old ones (one file, no bytecode) and prints the median ms each piece of Kestrel adds to a start.
 * Prints a Markdown table: median (min–max) ms and the median of per-round ratios to bare.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, ROOT } from "./lib/proc.ts";
import { fmt, median, summarize } from "./lib/stats.ts";
import { COMPILE_FLAGS } from "../scripts/compile-flags.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? null : args[i + 1] ?? null;
};
const quick = args.includes("--quick");
const runs = Number(option("--runs") ?? (quick ? 2 : 21));
const work = mkdtempSync(join(tmpdir(), "kestrel-cold-"));
const LIMIT_VAR = "BUN_CONFIG_MAX_HTTP_REQUESTS";
const DEADLINE_MS = 30_000;
const CHAT = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });

function build(cmd: string, argv: string[]): void {
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${r.stdout}${r.stderr}`);
}

let binary = option("--binary");
if (binary === null) {
  binary = join(work, "kestrel");
  build(BUN, ["build.ts", "--outfile", binary]);
}
const bare = join(work, "bare");
build(BUN, ["build", "--compile", "--minify", "bench/bare-proxy.ts", "--outfile", bare]);
const before = option("--before");

/** The child's environment without the fetch limit (the bench's own shell may have it). */
function env(withLimit: boolean): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e[LIMIT_VAR];
  if (withLimit) e[LIMIT_VAR] = "4096";
  return e;
}

/** ms from spawn to the process's exit (code 0). */
function timedExit(cmd: string, argv: string[], e: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { env: e, cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("close", (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} exited ${code}:\n${out}`))));
  });
}

/** ms from spawn to the end of `then(url)`, run as soon as the listening line is on stdout; the child is then killed. */
function timedServe(cmd: string, argv: string[], e: NodeJS.ProcessEnv, then: (url: string) => Promise<void>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { env: e, cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let result: number | Error | null = null;
    const finish = (r: number | Error) => {
      if (result !== null) return;
      result = r;
      clearTimeout(timer);
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => finish(new Error(`${cmd}: not ready in ${DEADLINE_MS} ms\n${out}`)), DEADLINE_MS);
    let started = false;
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = started ? null : /listening on (https?:\/\/\S+)/.exec(out);
      if (m === null) return;
      started = true;
      then(m[1]!).then(() => finish(performance.now() - t0), (err: Error) => finish(err));
    });
    child.once("close", (code) => {
      if (result === null) finish(new Error(`${cmd} exited ${code} before answering:\n${out}`));
      if (result instanceof Error) reject(result);
      else resolve(result!);
    });
  });
}

async function expectOk(res: Response, what: string): Promise<void> {
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${body.slice(0, 200)}`);
}
const chat = (base: string) =>
  fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-bench" }, body: CHAT });

// The mock upstream runs from source on Bun for the whole run.
const mock = spawn(BUN, ["bench/mock-upstream.ts"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
const mockUrl = await new Promise<string>((resolve, reject) => {
  let out = "";
  mock.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  mock.once("exit", (code) => reject(new Error(`mock upstream exited ${code}`)));
});

let serial = 0;
/** A fresh SQLite file per spawn. */
function serveArgs(): string[] {
  const dir = join(work, `run-${serial++}`);
  mkdirSync(dir);
  return ["serve", "--port", "0", "--db", join(dir, "k.db"), "--upstream", `openai=${mockUrl}`, "--log-level", "info"];
}

type Row = { name: string; run: () => Promise<number> };
function kestrelRows(label: string, file: string): Row[] {
  const rows: Row[] = [];
  for (const withLimit of [false, true]) {
    const tag = withLimit ? `${label}, ${LIMIT_VAR} set` : label;
    rows.push(
      { name: `${tag}: --version`, run: () => timedExit(file, ["--version"], env(withLimit)) },
      {
        name: `${tag}: serve → first proxied answer`,
        run: () => timedServe(file, serveArgs(), env(withLimit), async (url) => expectOk(await chat(`${url}/openai`), "proxied")),
      },
      { name: `${tag}: serve → /health`, run: () => timedServe(file, serveArgs(), env(withLimit), async (url) => expectOk(await fetch(`${url}/health`), "health")) },
    );
  }
  return rows;
}

const rows: Row[] = [
  { name: "bare: serve → first proxied answer", run: () => timedServe(bare, ["--upstream", mockUrl], env(false), async (url) => expectOk(await chat(url), "bare")) },
  ...kestrelRows("kestrel", binary),
  ...(before ? kestrelRows("before", before) : []),
];

const results = new Map<string, number[]>(rows.map((r) => [r.name, []]));
const load: number[] = [];
try {
  for (let round = 0; round < runs; round++) {
    load.push(loadavg()[0]!);
    for (const row of rows) {
      results.get(row.name)!.push(await row.run());
    }
  }
} finally {
  mock.kill("SIGKILL");
}

const bareMs = results.get(rows[0]!.name)!;
console.log(`\nCold start, ${runs} rounds (contenders interleaved per round), load average (1 min) during the run ${fmt(Math.min(...load), 2)}–${fmt(Math.max(...load), 2)} on ${cpus().length} cores\n`);
console.log("| Start | median ms | min–max ms | × bare (median of per-round ratios) |");
console.log("|---|---:|---:|---:|");
for (const row of rows) {
  const values = results.get(row.name)!;
  const s = summarize(values);
  const ratio = median(values.map((v, i) => v / bareMs[i]!));
  console.log(`| ${row.name} | ${fmt(s.median, 0)} | ${fmt(s.min, 0)}–${fmt(s.max, 0)} | ${fmt(ratio, 2)} |`);
}

if (args.includes("--imports")) {
  const variants: [string, readonly string[]][] = [["one file (main's flags)", ["--minify", "--sourcemap"]], ["chunks + bytecode (build.ts)", COMPILE_FLAGS]];
  const probes = variants.map(([name, flags], i) => {
    const file = join(work, `import-cost-${i}`);
    build(BUN, ["build", "--compile", ...flags, "bench/child/import-cost.ts", "--outfile", file]);
    return { name, file, runs: [] as Record<string, number>[] };
  });
  for (let round = 0; round < runs; round++) {
    for (const p of probes) {
      const r = spawnSync(p.file, [], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${p.file}: ${r.stderr}`);
      p.runs.push(JSON.parse(r.stdout) as Record<string, number>);
    }
  }
  console.log(`\nWhat a start spends per piece (bench/child/import-cost.ts, median ms of ${runs} runs; cumulative: a shared module counts where first loaded)\n`);
  console.log(`| Piece | ${probes.map((p) => p.name).join(" | ")} |`);
  console.log(`|---|${probes.map(() => "---:").join("|")}|`);
  for (const step of Object.keys(probes[0]!.runs[0]!)) {
    console.log(`| ${step} | ${probes.map((p) => fmt(median(p.runs.map((r) => r[step]!)), 1)).join(" | ")} |`);
  }
  const total = (p: (typeof probes)[number]) => fmt(median(p.runs.map((r) => Object.values(r).reduce((a, b) => a + b, 0))), 1);
  console.log(`| total | ${probes.map(total).join(" | ")} |`);
}
rmSync(work, { recursive: true, force: true });
