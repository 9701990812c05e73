// PostgreSQL only: the flusher's COPY into a staging table (src/store/pg/copy-in.ts) keeps INSERT's semantics.
import assert from "node:assert/strict";
import { after } from "node:test";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { connectPg } from "../../src/store/pg/connect.ts";
import { testNeeding } from "../_helpers/host.ts";
import { pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { makeRecord } from "./helpers.ts";

const missing = pgMissing();
let server: Promise<Postgres> | null = null;
const pg = () => (server ??= startPostgres());
after(async () => {
  if (server !== null) (await server).close();
});

const records = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => makeRecord(from + i));

testNeeding("a batch written again (its commit's acknowledgement lost) adds no row and counts once in every rollup", missing, async () => {
  const url = (await pg()).createDatabase("again");
  const first = createPgStore(url, { poolSize: 2 });
  const second = createPgStore(url, { poolSize: 2 });
  try {
    for (const r of records(0, 30)) first.add(r);
    await first.flush();
    // Two instances at once, overlapping ids and rollup buckets: the rows already there are skipped, no deadlock.
    for (const r of records(0, 40)) second.add(r);
    for (const r of records(20, 60)) first.add(r);
    await Promise.all([first.flush(), second.flush()]);
    const expected = records(0, 60);
    const money = expected.reduce((sum, r) => sum + (r.cost_pico ?? 0), 0);
    assert.equal((await first.usage({}, "model")).total.requests, 60);
    const sql = connectPg(url, { poolSize: 1 });
    try {
      const [row] = await sql`SELECT (SELECT count(*) FROM requests) AS raw,
        (SELECT sum(requests) FROM usage_rollup) AS fine, (SELECT sum(cost_pico) FROM usage_rollup) AS fine_money,
        (SELECT sum(requests) FROM usage_rollup_hour) AS hour, (SELECT sum(cost_pico) FROM usage_rollup_day) AS day_money`;
      assert.deepEqual({ ...row }, { raw: 60, fine: 60, fine_money: money, hour: 60, day_money: money });
    } finally {
      await sql.end();
    }
  } finally {
    await first.close();
    await second.close();
  }
});

testNeeding("a batch the server refuses during COPY fails and is retried, never left waiting", missing, async () => {
  const url = (await pg()).createDatabase("refused");
  const messages: string[] = [];
  const store = createPgStore(url, { poolSize: 2, retryMs: 20, maxRetryMs: 50, onError: (m) => messages.push(m) });
  try {
    await store.usage({}, "day"); // migrated
    // A status beyond int4: SQLite takes it, PostgreSQL's COPY refuses the row (no real exchange has one).
    store.add(makeRecord(1, { status: 1e10 }));
    await assert.rejects(store.flush(), /Could not write usage records/);
    assert.ok(store.stats().write_errors >= 1);
    assert.match(messages.join("\n"), /Could not write usage records/);
  } finally {
    await store.close();
  }
  assert.equal(store.stats().queued, 0);
  assert.ok(store.stats().dropped >= 1);
});
