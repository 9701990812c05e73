/**
 * A throwaway PostgreSQL cluster for tests: Debian's server binaries (installed by .ci/run), a fresh data directory
 * in /tmp, listening on 127.0.0.1 at a free port, run as an unprivileged user (the `postgres` system account when
 * the tests run as root, since the server refuses to run as root; else the current user). `pgMissing()` says why
 * it cannot run here, for testNeeding (a skip, or a failure under KESTREL_REQUIRE_TOOLS=1).
 */
import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { toolMissing } from "./host.ts";

const ROOT_BIN = "/usr/lib/postgresql";

/** The newest installed server's bin directory, or null. */
function binDir(): string | null {
  if (!existsSync(ROOT_BIN)) return null;
  const versions = readdirSync(ROOT_BIN).filter((v) => existsSync(join(ROOT_BIN, v, "bin", "initdb")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : join(ROOT_BIN, versions[0] as string, "bin");
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** The `postgres` account from /etc/passwd (read, not `id`: tests start no host tool they do not probe). */
function systemUser(): { uid: number; gid: number } | null {
  let passwd: string;
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    return null;
  }
  const fields = passwd.split("\n").find((line) => line.startsWith("postgres:"))?.split(":");
  return fields === undefined ? null : { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Null when a cluster can be started here, else why not. */
export function pgMissing(): string | null {
  if (binDir() === null) return toolMissing("needs PostgreSQL server binaries (Debian package postgresql; .ci/run installs it)");
  if (asRoot && systemUser() === null) return toolMissing("running as root needs the postgres system user (Debian package postgresql)");
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

export interface Postgres {
  /** `postgres://kestrel:kestrel@127.0.0.1:PORT/kestrel` (password auth over TCP, as users run it). */
  url: string;
  port: number;
  /** Stops the server, keeping the data (an outage); `start()` brings it back on the same port. */
  stopServer(mode?: "fast" | "immediate"): void;
  start(): void;
  /** A new empty database on the same server; its URL. */
  createDatabase(name: string): string;
  /** Stops the server and deletes the data directory. */
  close(): void;
}

export const PG_PASSWORD = "kestrel-test-password";

const PREFIX = "kestrel-pg-";
/** Written into each cluster's directory: the test process it belongs to. */
const OWNER = "owner.pid";

/** The command line that runs `cmd` as the server's user: `postgres` through runuser when the tests run as root. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return asRoot && systemUser() !== null ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/**
 * Stops and deletes clusters whose test process is gone. A runner that exits without running cleanup hooks (a
 * crash, a killed run, a runtime that skips `exit` handlers) would otherwise leave servers running for good.
 */
function sweep(bin: string): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER), "utf8"));
    } catch {
      continue; // being set up right now, or not ours
    }
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    const [cmd, argv] = asServerUser(join(bin, "pg_ctl"), ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);
    spawnSync(cmd, argv, { timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  if (bin === null) throw new Error(pgMissing() ?? "no PostgreSQL");
  sweep(bin);
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, OWNER), String(process.pid));
  const data = join(dir, "data");
  const user = asRoot ? systemUser() : null;
  if (user !== null) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[], options: SpawnSyncOptions = {}) => {
    const [command, argv] = asServerUser(join(bin, cmd), args);
    const r = spawnSync(command, argv, {
      encoding: "utf8",
      cwd: dir,
      timeout: 60_000,
      ...options,
    });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
    return String(r.stdout);
  };
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, PG_PASSWORD);
  if (user !== null) chownSync(pwfile, user.uid, user.gid);
  run("initdb", ["-D", data, "-U", "kestrel", "--pwfile", pwfile, "-A", "scram-sha-256", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -k ${dir} -c fsync=off -c max_connections=200`;
  const start = () => {
    run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "60", "start"]);
  };
  start();
  const psql = (sql: string) =>
    run("psql", ["-h", dir, "-p", String(port), "-U", "kestrel", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], {
      env: { ...process.env, PGPASSWORD: PG_PASSWORD },
    });
  psql("CREATE DATABASE kestrel");
  const urlOf = (db: string) => `postgres://kestrel:${PG_PASSWORD}@127.0.0.1:${port}/${db}`;
  let running = true;
  return {
    url: urlOf("kestrel"),
    port,
    stopServer(mode = "fast") {
      if (!running) return;
      run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
      running = false;
    },
    start() {
      if (running) return;
      start();
      running = true;
    },
    createDatabase(name) {
      psql(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
      return urlOf(name);
    },
    close() {
      try {
        if (running) run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already gone
      }
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
