/**
 * @module Child processes of the bench: started pinned to a CPU with `taskset` (when there are ≥ 2 CPUs),
 * stdout and stderr to a log file (nobody reads a pipe, so nothing blocks), ready when a line matches.
 * Every process started here is stopped at exit, by its own pid.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

export const BIN = new URL("../../node_modules/.bin/", import.meta.url).pathname;
export const ROOT = new URL("../../", import.meta.url).pathname;
export const BUN = `${BIN}bun`;
export const DENO = `${BIN}deno`;

const HAS_TASKSET = cpus().length >= 2 && spawnSync("taskset", ["-V"]).status === 0;
export const PINNING = HAS_TASKSET;

/** The CPU a role runs on: the load side (mock, clients, load generator) vs the proxy under test. */
export const CPU = { load: "0", proxy: "1" } as const;

export interface Proc {
  name: string;
  pid: number;
  /** Base URL from the ready line (or given). */
  url: string;
  log: string;
  child: ChildProcess;
  /** Resident set size in bytes (VmRSS), or NaN when the process is gone. */
  rss(): number;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  cmd: string;
  args: string[];
  cpu: string | null;
  log: string;
  env?: Record<string, string>;
  /** Ready when a log line matches; the first capture group (if any) is the URL. */
  ready: RegExp;
  url?: string;
  timeoutMs?: number;
}

const live = new Set<Proc>();

/** Wraps a command in `taskset -c CPU` when pinning is available. */
export function pinned(cpu: string | null, cmd: string, args: string[]): [string, string[]] {
  return cpu !== null && HAS_TASKSET ? ["taskset", ["-c", cpu, cmd, ...args]] : [cmd, args];
}

/** Moves a running process, every thread of it, to `cpus` (`taskset -a -p`); no-op without pinning. */
export function repin(pid: number, cpus: string): void {
  if (!HAS_TASKSET) return;
  const r = spawnSync("taskset", ["-a", "-p", "-c", cpus, String(pid)]);
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${r.stderr.toString().trim()}`);
}

export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process has used: its main thread (the event loop) and every other thread. */
export interface ThreadCpu {
  main: number;
  others: number;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on every Linux build that matters). */
const TICKS = 100;

/** Per-thread CPU from /proc/PID/task/TID/stat (fields 14 and 15); threads that ended are lost, so sample around a run. */
export function threadCpu(pid: number): ThreadCpu {
  const cpu: ThreadCpu = { main: 0, others: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main: NaN, others: NaN };
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // ended between the listing and the read
    }
    // The command name (field 2) may hold spaces and parentheses: count fields from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
    if (tid === String(pid)) cpu.main += seconds;
    else cpu.others += seconds;
  }
  return cpu;
}

export async function start(o: StartOptions): Promise<Proc> {
  const fd = openSync(o.log, "w");
  const [cmd, args] = pinned(o.cpu, o.cmd, o.args);
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const proc: Proc = {
    name: o.name,
    pid: child.pid!,
    url: o.url ?? "",
    log: o.log,
    child,
    rss: () => rssOf(child.pid!),
    async stop() {
      live.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  const deadline = performance.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    const text = readFileSync(o.log, "utf8");
    const m = o.ready.exec(text);
    if (m) {
      if (m[1]) proc.url = m[1];
      return proc;
    }
    if (child.exitCode !== null || performance.now() > deadline) {
      await proc.stop();
      throw new Error(`${o.name} did not start (${child.exitCode ?? "timeout"}); log ${o.log}:\n${text.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Stops every process still running (end of run, or an error). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

/** Last resort when the orchestrator dies: SIGKILL every child by pid. */
export function killAllSync(): void {
  for (const p of live) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** A free TCP port on loopback (for servers that need one on the command line, like Portkey). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion (pinned), returning stdout; throws with stderr on failure. */
export async function run(cpu: string | null, cmd: string, args: string[], env: Record<string, string> = {}) {
  const [c, a] = pinned(cpu, cmd, args);
  const child = spawn(c, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("close", (c) => resolve(c)));
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ").slice(0, 300)} exited ${code}: ${err.slice(-2000)}`);
  return out;
}
