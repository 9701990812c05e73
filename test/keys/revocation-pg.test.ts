/**
 * Issue 21: a disable (and a delete) on one instance takes effect on another instance on the same PostgreSQL
 * within a second — each instance's key ring polls the shared key version (src/keys/ring.ts).
 */
import assert from "node:assert/strict";
import { after } from "node:test";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { testNeeding } from "../_helpers/host.ts";
import { pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { until } from "../_helpers/poll.ts";
import { startApp } from "./_app.ts";

let pg: Postgres | null = null;
after(() => pg?.close());

const call = async (app: { fetch(r: Request): Response | Promise<Response> }, secret: string) => {
  const res = await app.fetch(new Request("http://kestrel.test/openai/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [] }),
  }));
  await res.arrayBuffer();
  return res.status;
};

/** Milliseconds until `secret` is refused on `app`, polling every 20 ms, or Infinity after 3 s. */
async function refusedAfter(app: { fetch(r: Request): Response | Promise<Response> }, secret: string, from: number): Promise<number> {
  while (performance.now() - from < 3000) {
    if ((await call(app, secret)) === 401) return performance.now() - from;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Infinity;
}

testNeeding("PostgreSQL: a key disabled or deleted on one instance is refused on the other within a second", pgMissing(), async () => {
  pg = await startPostgres();
  const url = pg.createDatabase(`keys_${process.pid}`);
  const a = await startApp(createPgStore(url, { poolSize: 2 }));
  const b = await startApp(createPgStore(url, { poolSize: 2 }));
  try {
    const created = await a.api("POST", "/api/keys", { name: "shared" });
    const { secret, key } = created.json as { secret: string; key: { id: string } };
    // B learns of the new key by polling as well.
    await until("the other instance to accept the new key", async () => (await call(b.app, secret)) === 200, { everyMs: 20 });

    const t0 = performance.now();
    assert.equal((await a.api("PATCH", `/api/keys/${key.id}`, { disabled: true })).status, 200);
    assert.equal(await call(a.app, secret), 401, "refused at once where it was disabled");
    const disabledMs = await refusedAfter(b.app, secret, t0);
    assert.ok(disabledMs < 1000, `disable reached the other instance in ${disabledMs.toFixed(0)} ms`);

    await a.api("PATCH", `/api/keys/${key.id}`, { disabled: false });
    await until("the other instance to accept the re-enabled key", async () => (await call(b.app, secret)) === 200, { everyMs: 20 });
    const t1 = performance.now();
    assert.equal((await a.api("DELETE", `/api/keys/${key.id}`)).status, 204);
    const deletedMs = await refusedAfter(b.app, secret, t1);
    assert.ok(deletedMs < 1000, `delete reached the other instance in ${deletedMs.toFixed(0)} ms`);
    console.log(`revocation across instances: disable ${disabledMs.toFixed(0)} ms, delete ${deletedMs.toFixed(0)} ms`);
  } finally {
    await a.stop();
    await b.stop();
  }
});
