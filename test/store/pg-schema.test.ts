// PostgreSQL only: migrations under the advisory lock, the version table, and what happens around outages.
import assert from "node:assert/strict";
import { after } from "node:test";
import { connectPg } from "../../src/store/pg/connect.ts";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { PG_SCHEMA_VERSION, pgSchemaVersion } from "../../src/store/pg/schema.ts";
import { testNeeding } from "../_helpers/host.ts";
import { until } from "../_helpers/poll.ts";
import { pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { makeRecord } from "./helpers.ts";

const missing = pgMissing();
let server: Promise<Postgres> | null = null;
const pg = () => (server ??= startPostgres());
after(async () => {
  if (server !== null) (await server).close();
});

testNeeding("eight instances starting together on an empty database migrate it once", missing, async () => {
  const url = (await pg()).createDatabase("together");
  const stores = Array.from({ length: 8 }, () => createPgStore(url, { poolSize: 2 }));
  // Every store migrates at creation; a read waits for it. None fails on a table another just created.
  const reports = await Promise.all(stores.map((s) => s.usage({}, "day")));
  assert.ok(reports.every((r) => r.total.requests === 0));
  const sql = connectPg(url, { poolSize: 1 });
  try {
    assert.equal(await pgSchemaVersion(sql), PG_SCHEMA_VERSION);
    assert.equal((await sql`SELECT count(*) AS n FROM kestrel_schema_version`)[0]?.n, 1);
  } finally {
    await sql.end();
    for (const s of stores) await s.close();
  }
});

testNeeding("a database from a newer Kestrel is refused, and said so, not written", missing, async () => {
  const url = (await pg()).createDatabase("newer");
  const sql = connectPg(url, { poolSize: 1 });
  await sql`CREATE TABLE kestrel_schema_version (version INTEGER NOT NULL)`;
  await sql`INSERT INTO kestrel_schema_version (version) VALUES (${PG_SCHEMA_VERSION + 1})`;
  await sql.end();
  const messages: string[] = [];
  const store = createPgStore(url, { errorIntervalMs: 0, onError: (m) => messages.push(m) });
  await assert.rejects(store.usage({}, "day"), /newer than this Kestrel supports/);
  store.add(makeRecord(1));
  await assert.rejects(store.flush(), /newer than this Kestrel supports/);
  assert.equal(store.stats().queued, 1);
  await store.close();
  assert.equal(store.stats().dropped, 1);
  assert.ok(messages.some((m) => /newer than this Kestrel supports/.test(m)));
});

testNeeding("records wait while the server is down, flush() rejects, and the queue drains on recovery", missing, async () => {
  const server = await pg();
  const url = server.createDatabase("outage");
  const messages: string[] = [];
  // flushIntervalMs 0: the flusher's timer fires while flush() has the batch out, finds nothing to take, and
  // (the regression) set no retry, so the records sat until the next add().
  const store = createPgStore(url, {
    retryMs: 20,
    maxRetryMs: 200,
    flushIntervalMs: 0,
    errorIntervalMs: 0,
    onError: (m) => messages.push(m),
  });
  try {
    store.add(makeRecord(0));
    await store.flush();
    server.stopServer("fast");
    for (let i = 1; i <= 50; i++) store.add(makeRecord(i));
    await assert.rejects(store.flush(), /Could not write usage records/);
    await until("retries without another add()", () => store.stats().write_errors >= 3);
    assert.equal(store.stats().queued, 50);
    assert.ok(messages.every((m) => !m.includes("kestrel-test-password")));
    server.start();
    await until("the queue drained", () => store.stats().queued === 0);
    assert.equal((await store.usage({}, "day")).total.requests, 51);
    assert.deepEqual({ ...store.stats(), write_errors: 0 }, { queued: 0, written: 51, dropped: 0, write_errors: 0 });
  } finally {
    server.start();
    await store.close();
  }
});
