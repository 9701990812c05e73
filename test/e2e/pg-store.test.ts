// Kestrel on a PostgreSQL store, as a child process over real sockets: a database restart in the middle of a
// load run loses no record and the proxy answers throughout; a database that is down at startup does not stop
// Kestrel from serving; the CLI reads the same store; the password never shows in output.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before } from "node:test";
import { testNeeding } from "../_helpers/host.ts";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { type Mock, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { PG_PASSWORD, pgMissing, type Postgres, startPostgres } from "../_helpers/postgres.ts";
import { kestrelCommand } from "../_helpers/runtime.ts";

const missing = pgMissing();
const USAGE_JSON = JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });

/** The URL as logs show it: the log's redaction hides the whole userinfo, a CLI message masks the password. */
const MASKED = String.raw`postgres://(\[redacted\]|kestrel:\*\*\*)@`;

let pg: Postgres;
let mock: Mock;

before(async () => {
  if (missing !== null) return;
  pg = await startPostgres();
  mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(USAGE_JSON);
  });
});

after(async () => {
  if (missing !== null) return;
  await mock.close();
  pg.close();
});

const send = async (k: Kestrel): Promise<number> => {
  const r = await fetch(`${k.url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
  await r.arrayBuffer();
  return r.status;
};

const usageTotal = async (k: Kestrel): Promise<number> => {
  const r = await fetch(`${k.url}/api/usage?group_by=day&since=2020-01-01`);
  if (r.status !== 200) return -1; // the database may still be reconnecting
  return ((await r.json()) as { total: { requests: number } }).total.requests;
};

const noPassword = (k: Kestrel) => {
  assert.ok(!k.lines.join("\n").includes(PG_PASSWORD), "the password is in a log line");
  assert.ok(!k.stderr().includes(PG_PASSWORD), "the password is on stderr");
};

testNeeding("PostgreSQL restarts in the middle of a load run: no record lost, every request answered", missing, async () => {
  const url = pg.createDatabase("restart");
  const k = await startKestrel(["--store", url, "--upstream", `openai=${mock.url}`]);
  try {
    await k.waitForLine(new RegExp(`Connected to ${MASKED}`));
    const statuses: number[] = [];
    const load = async (count: number) => {
      // Four clients at a time: concurrent, without flooding a shared machine.
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let i = 0; i < count / 4; i++) statuses.push(await send(k));
      }));
    };
    await load(200);
    await until("the first records written", async () => (await usageTotal(k)) === 200);
    pg.stopServer("fast");
    await load(200); // database down: served, records queued
    pg.start();
    await load(200);
    assert.equal(statuses.length, 600);
    assert.deepEqual(new Set(statuses), new Set([200]));
    await until("every record written after the restart", async () => (await usageTotal(k)) === 600, {
      detail: () => k.lines.slice(-5).join("\n"),
    });
    assert.match(k.lines.join("\n"), new RegExp(`Could not write usage records to ${MASKED}`));
    assert.equal(await k.stop(), 0);
    assert.match(k.lines.join("\n"), /Stopped: 600 records written, 0 queued, 0 dropped/);
    noPassword(k);
  } finally {
    pg.start();
    await k.stop();
  }
});

testNeeding("PostgreSQL down at startup: Kestrel serves, logs it, then connects, migrates and writes", missing, async () => {
  const url = pg.createDatabase("late");
  pg.stopServer("fast");
  let k: Kestrel | null = null;
  try {
    k = await startKestrel(["--store", url, "--upstream", `openai=${mock.url}`]);
    await k.waitForLine(new RegExp(`PostgreSQL store ${MASKED}\\S+ not ready \\(serving anyway`));
    await k.waitForLine(/Budgets and rate limits not loaded yet/);
    for (let i = 0; i < 5; i++) assert.equal(await send(k), 200);
    assert.equal((await fetch(`${k.url}/api/usage`)).status, 500); // no database to read from: an honest error
    pg.start();
    await k.waitForLine(new RegExp(`Connected to ${MASKED}`), 30_000);
    const running = k;
    await until("the queued records written", async () => (await usageTotal(running)) === 5);
    assert.equal(await k.stop(), 0);
    noPassword(k);
  } finally {
    pg.start();
    await k?.stop();
  }
});

testNeeding("two instances on one database: /api/usage from either is the sum of what both proxied", missing, async () => {
  const url = pg.createDatabase("two");
  const [a, b] = await Promise.all([0, 1].map(() => startKestrel(["--store", url, "--upstream", `openai=${mock.url}`])));
  try {
    const statuses = await Promise.all(Array.from({ length: 4 }, async (_, client) => {
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push(await send((i + client) % 2 === 0 ? a! : b!));
      return out;
    }));
    assert.deepEqual(new Set(statuses.flat()), new Set([200]));
    for (const k of [a!, b!]) await until("both instances' records", async () => (await usageTotal(k)) === 160);
  } finally {
    await Promise.all([a!.stop(), b!.stop()]);
  }
});

/** Runs the CLI to completion. */
function cli(args: string[], env: Record<string, string> = {}): { status: number | null; out: string; err: string } {
  const [cmd, argv] = kestrelCommand(args);
  const r = spawnSync(cmd, argv, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

testNeeding("kestrel usage/export/reprice/budgets --store postgres://… use what the server wrote; the password never shows", missing, async () => {
  const url = pg.createDatabase("cli");
  const k = await startKestrel(["--store", url, "--upstream", `openai=${mock.url}`]);
  try {
    for (let i = 0; i < 3; i++) assert.equal(await send(k), 200);
    await until("records written", async () => (await usageTotal(k)) === 3);
  } finally {
    await k.stop();
  }
  const usage = cli(["usage", "--store", url, "--since", "2020-01-01", "--format", "json", "--group-by", "model"]);
  assert.equal(usage.status, 0, usage.err);
  const report = JSON.parse(usage.out) as { total: { requests: number; input_tokens: number } };
  assert.deepEqual([report.total.requests, report.total.input_tokens], [3, 9]);
  const exported = cli(["export", "--format", "ndjson", "--since", "2020-01-01"], { KESTREL_STORE: url });
  assert.equal(exported.status, 0, exported.err);
  assert.equal(exported.out.trim().split("\n").length, 3);

  const repriced = cli(["reprice", "--store", url, "--since", "2020-01-01", "--dry-run"]);
  assert.equal(repriced.status, 0, repriced.err);
  const budget = cli(["budgets", "set", "team", "--window", "month", "--limit-usd", "5", "--store", url]);
  assert.equal(budget.status, 0, budget.err);
  assert.match(cli(["budgets", "list", "--store", url]).out, /team/);

  const wrong = url.replace(PG_PASSWORD, "not-the-password");
  const refused = cli(["usage", "--store", wrong]);
  assert.equal(refused.status, 1);
  assert.match(refused.err, /Cannot open postgres:\/\/kestrel:\*\*\*@.*password authentication failed/);
  const empty = cli(["usage", "--store", pg.createDatabase("never_written")]);
  assert.equal(empty.status, 1);
  assert.match(empty.err, /No Kestrel usage data in postgres:\/\/kestrel:\*\*\*@.*check --store/);
  const badFlag = cli(["serve", "--store", `postgres://kestrel:${PG_PASSWORD}@`]);
  assert.equal(badFlag.status, 2);
  const help = cli(["--help"]);
  assert.match(help.out, /--store/);
  for (const r of [refused, empty, badFlag, help]) {
    assert.ok(!(r.out + r.err).includes(PG_PASSWORD) && !(r.out + r.err).includes("not-the-password"), r.err);
  }
});
