// Faults of the disk under the database: full (ENOSPC) and read-only. Each needs a small file system the test can
// fill or mount read-only: a tmpfs mounted by the test, which needs root on Linux (skipped with the reason
// otherwise). Promised outcome: the proxy keeps serving (fail-open), the failure is logged, nothing is corrupted,
// and the queued records are written once the disk recovers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite } from "../../src/entry/sqlite-node.ts";
import { testNeeding } from "../_helpers/host.ts";
import { startKestrel } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";

const USAGE = JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });

/** Mounts a tmpfs of `size` at a fresh directory; null plus the reason when this host cannot. */
function mountTmpfs(size: string): { dir: string; missing: null } | { dir: null; missing: string } {
  if (process.platform !== "linux") return { dir: null, missing: "needs Linux (tmpfs)" };
  if (process.getuid?.() !== 0) return { dir: null, missing: "needs root to mount a tmpfs" };
  const dir = mkdtempSync(join(tmpdir(), "kestrel-disk-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { encoding: "utf8" });
  if (r.error || r.status !== 0) return { dir: null, missing: `mount -t tmpfs refused here: ${(r.error?.message ?? r.stderr).trim()}` };
  return { dir, missing: null };
}

function unmount(dir: string): void {
  spawnSync("umount", ["-l", dir]);
  rmSync(dir, { recursive: true, force: true });
}

function rows(db: string): number {
  const conn = openSqlite(db);
  try {
    return Number(conn.prepare<{ n: number }>("SELECT COUNT(*) AS n FROM requests").get()!.n);
  } finally {
    conn.close();
  }
}

function integrity(db: string): string {
  const conn = openSqlite(db);
  try {
    return String(conn.prepare<{ integrity_check: string }>("PRAGMA integrity_check").get()!.integrity_check);
  } finally {
    conn.close();
  }
}

/** Fills the file system at `dir` until it refuses another byte. */
function fill(dir: string): string {
  const path = join(dir, "filler");
  const chunk = Buffer.alloc(64 * 1024, 1);
  const parts: Buffer[] = [];
  for (;;) {
    try {
      parts.push(chunk);
      writeFileSync(path, Buffer.concat(parts));
    } catch {
      parts.pop();
      writeFileSync(path, Buffer.concat(parts));
      break;
    }
  }
  // Top up the last few KiB too, so the next page SQLite needs is refused.
  for (let n = 4096; n >= 1; n = Math.floor(n / 2)) {
    try {
      writeFileSync(path, Buffer.alloc(n, 2), { flag: "a" });
    } catch {
      // full at this size; try smaller
    }
  }
  return path;
}

const probe = mountTmpfs("8m");
if (probe.dir !== null) unmount(probe.dir);

testNeeding("a full disk: requests keep being answered, the failure is logged, records catch up once space frees", probe.missing, async () => {
  const mount = mountTmpfs("8m");
  assert.ok(mount.dir);
  const db = join(mount.dir, "kestrel.db");
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(USAGE);
  });
  // Debug level: the records below go through the store worker (its failures must reach the log too).
  const k = await startKestrel(["--db", db, "--upstream", `openai=${mock.url}`, "--log-level", "debug"]);
  await k.waitForLine(/Usage records are written by a worker thread/);
  const call = async () => {
    const r = await fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
    await r.arrayBuffer();
    return r.status;
  };
  try {
    assert.equal(await call(), 200);
    await until("the first record", () => rows(db) === 1);
    const filler = fill(mount.dir);
    for (let i = 0; i < 300; i++) assert.equal(await call(), 200, "still serving on a full disk");
    await k.waitForLine(/ERR\] Could not write usage records/, 30_000);
    rmSync(filler);
    await until("every record once space is back", () => rows(db) === 301, { everyMs: 100, detail: () => `${rows(db)} rows` });
    assert.equal(await k.stop(), 0);
    assert.equal(integrity(db), "ok");
  } finally {
    await k.stop();
    await mock.close();
    unmount(mount.dir);
  }
});

/** A database in a fresh tmpfs, left by a first run that stopped cleanly or was killed (its WAL files remain). */
async function readOnlyDatabase(mount: string, left: "clean" | "killed"): Promise<string> {
  const db = join(mount, "kestrel.db");
  const first = await startKestrel(["--db", db]);
  await first.stop(left === "killed" ? "SIGKILL" : "SIGTERM");
  // Stopped this early, Deno may not have its SIGTERM handler yet: closing the last connection removes the WAL files.
  if (left === "clean") {
    const conn = openSqlite(db);
    conn.exec("PRAGMA wal_checkpoint(TRUNCATE)"); // a statement, so that closing as the last connection cleans up
    conn.close();
  }
  assert.equal(existsSync(`${db}-wal`), left === "killed", "WAL files as intended");
  assert.equal(spawnSync("mount", ["-o", "remount,ro", mount]).status, 0, "remount read-only");
  return db;
}

testNeeding("a read-only file system at startup: Kestrel refuses to start, exits non-zero and names the problem", probe.missing, async () => {
  const mount = mountTmpfs("8m");
  assert.ok(mount.dir);
  try {
    const db = await readOnlyDatabase(mount.dir, "clean");
    // Serving without a place for its records would lose every one of them: better not to start.
    await assert.rejects(startKestrel(["--db", db]), (err: Error) => {
      assert.match(err.message, /Kestrel exited \(1\)/);
      assert.match(err.message, /unable to open database file/);
      return true;
    });
    // WAL readers need the -shm file too, so the check runs once the file system is writable again.
    assert.equal(spawnSync("mount", ["-o", "remount,rw", mount.dir]).status, 0, "remount read-write");
    assert.equal(integrity(db), "ok");
  } finally {
    unmount(mount.dir);
  }
});

testNeeding("a read-only file system under a database with WAL files: Kestrel starts, serves, and logs the failed writes", probe.missing, async () => {
  const mount = mountTmpfs("8m");
  assert.ok(mount.dir);
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(USAGE);
  });
  try {
    // SQLite opens a WAL database read-only when its -shm exists, so startup succeeds; every write then fails.
    const db = await readOnlyDatabase(mount.dir, "killed");
    const k = await startKestrel(["--db", db, "--upstream", `openai=${mock.url}`]);
    try {
      for (let i = 0; i < 3; i++) {
        const res: Response = await fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
        await res.arrayBuffer();
        assert.equal(res.status, 200, "fail-open: still serving");
      }
      await k.waitForLine(/ERR\] Could not write usage records .*readonly/, 30_000);
    } finally {
      await k.stop();
    }
  } finally {
    await mock.close();
    unmount(mount.dir);
  }
});
