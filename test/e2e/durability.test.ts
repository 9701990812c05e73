// Records survive: SIGTERM under load loses none, kill -9 leaves a consistent file, and a database that cannot
// be written keeps the proxy serving (the failure is logged) and catches up once it can.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openSqlite } from "../../src/entry/sqlite-node.ts";
import type { Db } from "../../src/store/db.ts";
import { testNeeding } from "../_helpers/host.ts";
import { startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";

const USAGE_JSON = JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });

function countRows(db: string): number {
  const conn = openSqlite(db);
  try {
    return Number(conn.prepare<{ n: number }>("SELECT COUNT(*) AS n FROM requests").get()!.n);
  } finally {
    conn.close();
  }
}

test("SIGTERM with 200 requests in flight: every one completes and every record is written", async () => {
  let arrived = 0;
  const mock = await startMock(async (_req, res) => {
    arrived++;
    await sleep(400);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(USAGE_JSON);
  });
  // Debug level: the store worker says it writes the records, so the drain below is the worker's.
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--log-level", "debug"]);
  try {
    await k.waitForLine(/Usage records are written by a worker thread/);
    const responses = Array.from({ length: 200 }, () =>
      fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      }));
    await until("200 requests at the upstream", () => arrived >= 200, { detail: () => `${arrived} arrived` });
    const exited = k.stop("SIGTERM");
    const statuses = await Promise.all(responses);
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(await exited, 0);
    assert.equal(countRows(k.db), 200);
    assert.match(k.lines.join("\n"), /Stopped: 200 records written, 0 queued, 0 dropped/);
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("kill -9 under load leaves a database that opens and passes integrity_check", async () => {
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(USAGE_JSON);
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`, "--log-level", "debug"]);
  await k.waitForLine(/Usage records are written by a worker thread/);
  let stop = false;
  const load = (async () => {
    while (!stop) {
      await Promise.all(Array.from({ length: 20 }, () =>
        fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" }).then((r) => r.arrayBuffer()).catch(() => null)));
    }
  })();
  try {
    // Kill only once some batches are committed, however slow the machine is.
    await k.waitForLine(/OpenAI API Usage/);
    await until("50 committed rows", () => countRows(k.db) >= 50, { everyMs: 50 });
    await k.stop("SIGKILL");
    stop = true;
    await load;
    const conn = openSqlite(k.db);
    try {
      assert.equal(conn.prepare<{ integrity_check: string }>("PRAGMA integrity_check").get()!.integrity_check, "ok");
      const n = Number(conn.prepare<{ n: number }>("SELECT COUNT(*) AS n FROM requests").get()!.n);
      assert.ok(n > 0, "some batches were committed before the kill");
    } finally {
      conn.close();
    }
  } finally {
    stop = true;
    await mock.close();
  }
});

/** A way to make the database unwritable under a running Kestrel, and undo it. */
interface Blocker {
  how: string;
  /** Null when this host can do it, else why not (the test is then skipped with that reason). */
  missing: string | null;
  block(db: string): void;
  unblock(db: string): void;
}

/**
 * Whether `chattr +i` stops writes on this host: it needs the chattr tool, CAP_LINUX_IMMUTABLE (root outside a
 * restricted container) and a file system with the immutable flag (ext4, xfs, btrfs; not overlayfs or tmpfs).
 * Probed on a file next to where the test databases go, including a write through an already-open descriptor.
 */
function immutableMissing(): string | null {
  const probe = join(tempDir(), "probe");
  writeFileSync(probe, "x");
  const fd = openSync(probe, "a");
  try {
    const r = spawnSync("chattr", ["+i", probe], { encoding: "utf8" });
    if (r.error) return `needs chattr (${r.error.message})`;
    if (r.status !== 0) {
      return `chattr +i refused on ${tmpdir()} (needs CAP_LINUX_IMMUTABLE and a file system with the immutable flag): ${r.stderr.trim()}`;
    }
    try {
      writeSync(fd, "y");
      return "an immutable file still accepts writes through an open descriptor here";
    } catch {
      return null;
    }
  } finally {
    spawnSync("chattr", ["-i", probe]);
    closeSync(fd);
  }
}

/** The database and its WAL; the `-shm` index is left alone: an immutable mapped file is a SIGBUS, not an error. */
const dbFiles = (db: string) => [db, `${db}-wal`].filter((f) => existsSync(f));

const locks = new Map<string, Db>();

const BLOCKERS: Blocker[] = [
  {
    // Works anywhere: a write transaction held by another connection makes Kestrel's writes fail as busy.
    how: "locked by another connection's write transaction",
    missing: null,
    block(db) {
      const conn = openSqlite(db);
      conn.exec("PRAGMA busy_timeout = 10000");
      conn.exec("BEGIN IMMEDIATE");
      locks.set(db, conn);
    },
    unblock(db) {
      const conn = locks.get(db);
      if (!conn) return;
      locks.delete(db);
      conn.exec("COMMIT");
      conn.close();
    },
  },
  {
    // Writes fail with EPERM even through Kestrel's open descriptors: a file that became read-only underneath.
    how: "made immutable (chattr +i)",
    missing: immutableMissing(),
    block: (db) => assert.equal(spawnSync("chattr", ["+i", ...dbFiles(db)]).status, 0, "chattr +i"),
    unblock: (db) => void spawnSync("chattr", ["-i", ...dbFiles(db)]),
  },
];

for (const blocker of BLOCKERS) {
  const name = `a database ${blocker.how}: the proxy keeps serving, logs the failure, and catches up later`;
  testNeeding(name, blocker.missing, async () => {
    const mock = await startMock((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(USAGE_JSON);
    });
    const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
    const call = async () => {
      const r = await fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
      await r.arrayBuffer();
      return r.status;
    };
    try {
      assert.equal(await call(), 200);
      await k.waitForLine(/OpenAI API Usage/);
      await until("the first record to be written", () => countRows(k.db) === 1); // files exist
      blocker.block(k.db);
      try {
        for (let i = 0; i < 5; i++) assert.equal(await call(), 200, "still serving");
        await k.waitForLine(/ERR\] Could not write usage records/);
      } finally {
        blocker.unblock(k.db);
      }
      for (let i = 0; i < 5; i++) assert.equal(await call(), 200);
      assert.equal(await k.stop("SIGTERM"), 0);
      assert.equal(countRows(k.db), 11, "nothing lost once the file is writable again");
    } finally {
      blocker.unblock(k.db);
      await k.stop();
      await mock.close();
    }
  });
}
