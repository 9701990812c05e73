/** @module The machine, runtimes and source revision a run measured, for the report header. */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { BUN, DENO, PINNING, ROOT } from "./proc.ts";

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "";
}

function pkgVersion(name: string): string {
  const path = `${ROOT}node_modules/${name}/package.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")).version as string) : "?";
}

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  bun: string;
  deno: string;
  commit: string;
  date: string;
}

export function describeMachine(): Machine {
  const model = /model name\s*:\s*(.+)/.exec(existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "");
  const commit = sh("git", ["rev-parse", "--short", "HEAD"]) || "unknown";
  // Uncommitted changes under src/ mean the numbers are not the commit's.
  const dirty = sh("git", ["status", "--porcelain", "--", "src", "build.ts"]) !== "";
  return {
    cpu: model?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    ramGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    bun: sh(BUN, ["--version"]),
    deno: sh(DENO, ["--version"]).split("\n")[0]!.replace(/^deno\s+/, "").replace(/\s*\(.*$/, ""),
    commit: dirty ? `${commit} + uncommitted changes in src/` : commit,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

export function machineMarkdown(m: Machine, command: string, loadGen: string, seconds: number, busy: string[]): string {
  return [
    "| | |",
    "| --- | --- |",
    `| date | ${m.date} |`,
    `| commit | ${m.commit} |`,
    `| command | \`${command}\` (${Math.round(seconds)} s) |`,
    `| CPU | ${m.cpu}, ${m.cores} cores (${PINNING ? "load side pinned to cpu0, proxy under test to cpu1 with taskset" : "no pinning"}) |`,
    `| RAM | ${m.ramGiB} GiB |`,
    `| kernel | Linux ${m.kernel} |`,
    `| runtimes | Bun ${m.bun}, Deno ${m.deno}; hono ${pkgVersion("hono")}; @portkey-ai/gateway ${pkgVersion("@portkey-ai/gateway")} (under Bun) |`,
    `| load generator | ${loadGen} |`,
    `| other busy processes at start | ${busy.length ? `**${busy.join("; ")}** — every figure below ran beside them` : "none"} |`,
  ].join("\n");
}

/** CPU time (ticks) per process from /proc, for spotting other busy processes. */
function processTicks(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  for (const name of existsSync("/proc") ? readdirSync("/proc") : []) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      out.set(Number(name), { comm: stat.slice(stat.indexOf("(") + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Processes other than this one using ≥ 5 % of a CPU over `ms` before the run (they skew every figure). */
export async function busyProcesses(ms = 1000): Promise<string[]> {
  const before = processTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = processTicks();
  const busy: string[] = [];
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (!b || pid === process.pid) continue;
    const pct = ((a.ticks - b.ticks) / (ms / 10)) * 100; // ticks are 1/100 s
    if (pct >= 5) busy.push(`pid ${pid} (${a.comm}) ${Math.round(pct)} %`);
  }
  return busy;
}
