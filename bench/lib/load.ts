/**
 * @module Closed-loop load at a fixed number of connections: wrk (preferred: C, µs latency resolution) or
 * autocannon under Bun (fallback; 1 ms latency resolution). Runs pinned to the load CPU, beside the mock.
 * wrk is found on PATH or in bench/.work/wrk (see `fetchWrk`, which runs `apt-get download` + `dpkg -x`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { BUN, CPU, ROOT, run } from "./proc.ts";

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  rps: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  requests: number;
  /** Socket errors, timeouts and non-2xx responses. */
  errors: number;
}

export interface LoadGen {
  name: string;
  version: string;
  run(job: LoadJob): Promise<LoadResult>;
}

const WRK_DIR = `${ROOT}bench/.work/wrk`;
const WRK_ROOT = `${WRK_DIR}/root`;
const LIB = `${WRK_ROOT}/usr/lib/x86_64-linux-gnu`;

function wrkPath(): string | null {
  const local = `${WRK_ROOT}/usr/bin/wrk`;
  if (existsSync(local)) return local;
  const which = spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

/** Unpacks wrk and LuaJIT from Debian packages into bench/.work/wrk (no root install). True on success. */
export function fetchWrk(): boolean {
  if (wrkPath()) return true;
  mkdirSync(WRK_DIR, { recursive: true });
  const dl = spawnSync("apt-get", ["download", "wrk", "libluajit-5.1-2"], { cwd: WRK_DIR, timeout: 60_000 });
  if (dl.status !== 0) return false;
  for (const deb of readdirSync(WRK_DIR).filter((f) => f.endsWith(".deb"))) {
    spawnSync("dpkg", ["-x", `${WRK_DIR}/${deb}`, WRK_ROOT]);
  }
  return wrkPath() !== null;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function wrkMs(text: string, label: string): number {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
}

function luaString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function createWrk(path: string): LoadGen {
  const env = { LD_LIBRARY_PATH: `${LIB}:${process.env.LD_LIBRARY_PATH ?? ""}` };
  const version = (spawnSync(path, ["--version"], { encoding: "utf8", env: { ...process.env, ...env } }).stdout ?? "")
    .split("\n")[0]!.replace(/\s+Copyright.*$/, "").trim();
  let scripts = 0;
  return {
    name: "wrk",
    version,
    async run(job) {
      mkdirSync(`${ROOT}bench/.work`, { recursive: true });
      const script = `${ROOT}bench/.work/wrk-${process.pid}-${scripts++}.lua`;
      const lines = [`wrk.method = "POST"`, `wrk.body = ${luaString(job.body)}`];
      for (const [k, v] of Object.entries(job.headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
      writeFileSync(script, lines.join("\n") + "\n");
      const out = await run(CPU.load, path, [
        "-t1",
        `-c${job.connections}`,
        `-d${Math.max(1, Math.round(job.seconds))}s`,
        "--latency",
        "-s",
        script,
        job.url,
      ], env).finally(() => rmSync(script, { force: true }));
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      return {
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
        p50: wrkMs(out, "50%"),
        p99: wrkMs(out, "99%"),
        requests,
        errors: non2xx + (socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0),
      };
    },
  };
}

function createAutocannon(): LoadGen {
  const script = `${ROOT}node_modules/autocannon/autocannon.js`;
  const pkg = `${ROOT}node_modules/autocannon/package.json`;
  const version = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, "utf8")).version as string) : "?";
  return {
    name: "autocannon",
    version: `autocannon ${version} (under Bun)`,
    async run(job) {
      const args = [script, "-j", "-c", String(job.connections), "-d", String(job.seconds), "-m", "POST", "-b", job.body];
      for (const [k, v] of Object.entries(job.headers)) args.push("-H", `${k}=${v}`);
      const out = await run(CPU.load, BUN, [...args, job.url]);
      const r = JSON.parse(out.slice(out.indexOf("{"))) as {
        duration: number;
        errors: number;
        timeouts: number;
        non2xx: number;
        latency: { p50: number; p99: number };
        requests: { total: number };
      };
      return {
        rps: r.requests.total / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        requests: r.requests.total,
        errors: r.errors + r.timeouts + r.non2xx,
      };
    },
  };
}

/** wrk when available (downloading it unless `offline`), else autocannon; `prefer` forces one. */
export function createLoadGen(options: { prefer?: "wrk" | "autocannon"; offline?: boolean }): LoadGen {
  if (options.prefer !== "autocannon") {
    const path = wrkPath() ?? (options.offline ? null : fetchWrk() ? wrkPath() : null);
    if (path) return createWrk(path);
    if (options.prefer === "wrk") throw new Error("wrk is not available (apt-get download failed)");
  }
  return createAutocannon();
}
