// Records survive: SIGTERM under load loses none, kill -9 leaves a consistent file, and a database that cannot
// be written keeps the proxy serving (the failure is logged) and catches up once it can.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import { test } from "node:test";
import { openSqlite } from "../../src/entry/sqlite-node.ts";
import { startKestrel } from "../_helpers/kestrel.ts";
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
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
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
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
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

/**
 * Makes the database and its WAL unwritable — immutable for root (who ignores modes), read-only otherwise. The
 * `-shm` index is left alone: it is memory-mapped, and an immutable mapped file is a SIGBUS, not an I/O error.
 */
function lockFiles(db: string, locked: boolean): void {
  const files = [db, `${db}-wal`].filter((f) => existsSync(f));
  if (process.getuid?.() === 0) {
    const r = spawnSync("chattr", [locked ? "+i" : "-i", ...files]);
    assert.equal(r.status, 0, `chattr: ${r.stderr}`);
  } else {
    for (const f of files) chmodSync(f, locked ? 0o444 : 0o644);
  }
}

test("a database that cannot be written: the proxy keeps serving, logs the failure, and catches up later", async () => {
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
    await sleep(300); // first record flushed, files exist
    lockFiles(k.db, true);
    try {
      for (let i = 0; i < 5; i++) assert.equal(await call(), 200, "still serving");
      await k.waitForLine(/ERR\] Could not write usage records/);
    } finally {
      lockFiles(k.db, false);
    }
    for (let i = 0; i < 5; i++) assert.equal(await call(), 200);
    assert.equal(await k.stop("SIGTERM"), 0);
    assert.equal(countRows(k.db), 11, "nothing lost once the file is writable again");
  } finally {
    lockFiles(k.db, false);
    await k.stop();
    await mock.close();
  }
});
