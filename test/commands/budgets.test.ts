import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runBudgets, runRateLimits } from "../../src/commands/budgets.ts";
import { createStore } from "../../src/store/store.ts";
import { drivers, withTempDir } from "../store/helpers.ts";
import { fakeIo } from "./cli-io.ts";

const { open } = (await drivers())[0]!;
const NOW = Date.parse("2026-11-21T00:00:00.000Z");

test("budgets set --create (creating the file) → list → set again replaces → rm → list is empty", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "k.db");
    const set = fakeIo(open, NOW);
    const args = ["set", "team-a-month", "--scope", "project=team-a", "--scope=tag=batch", "--window", "month"];
    assert.equal(
      await runBudgets([...args, "--limit-usd", "50", "--alert-at", "0.5,0.8,1", "--timezone", "Asia/Kolkata", "--db", db, "--create"], set.io),
      0,
      set.err(),
    );
    assert.match(set.out(), /^Saved budget "team-a-month": \{/);

    const store = createStore(open(db));
    assert.deepEqual(await store.control.listBudgets(), [{
      id: "team-a-month",
      scope: { project: "team-a", tag: "batch" },
      window: "month",
      limit_usd: "50",
      limit_tokens: null,
      action: "block",
      alert_at: [0.5, 0.8, 1],
      timezone: "Asia/Kolkata",
      unpriced: "allow",
    }]);
    const version = await store.control.definitionsVersion();

    const list = fakeIo(open, NOW);
    assert.equal(await runBudgets(["list", "--db", db], list.io), 0);
    assert.deepEqual(list.out().split("\n").map((l) => l.split(/\s{2,}/)), [
      ["id", "scope", "window", "limit USD", "limit tokens", "action", "alert at", "timezone", "unpriced"],
      ["team-a-month", "project=team-a,tag=batch", "month", "50", "-", "block", "0.5,0.8,1", "Asia/Kolkata", "allow"],
      [""],
    ]);

    // set replaces the whole definition: what is not given goes back to its default.
    const again = fakeIo(open, NOW);
    assert.equal(
      await runBudgets(["set", "team-a-month", "--window", "7d", "--limit-tokens", "1000000", "--action", "alert", "--unpriced", "block", "--db", db], again.io),
      0,
      again.err(),
    );
    assert.deepEqual(await store.control.listBudgets(), [{
      id: "team-a-month",
      scope: {},
      window: "7d",
      limit_usd: null,
      limit_tokens: 1_000_000,
      action: "alert",
      alert_at: [],
      timezone: "UTC",
      unpriced: "block",
    }]);
    // A server polling the version sees the CLI's write.
    assert.ok((await store.control.definitionsVersion()) > version);

    const json = fakeIo(open, NOW);
    assert.equal(await runBudgets(["list", "--format", "json", "--db", db], json.io), 0);
    assert.deepEqual(JSON.parse(json.out()), { budgets: await store.control.listBudgets() });

    const rm = fakeIo(open, NOW);
    assert.equal(await runBudgets(["rm", "team-a-month", "--db", db], rm.io), 0);
    assert.equal(rm.out(), 'Removed budget "team-a-month"\n');
    const rmAgain = fakeIo(open, NOW);
    assert.equal(await runBudgets(["rm", "team-a-month", "--db", db], rmAgain.io), 1);
    assert.match(rmAgain.err(), /^kestrel budgets: No budget "team-a-month" in ".*k\.db"\n$/);
    const empty = fakeIo(open, NOW);
    assert.equal(await runBudgets(["list", "--db", db], empty.io), 0);
    assert.equal(empty.out(), "No budgets defined\n");
    await store.close();
  });
});

test("rate-limits set --create → list → rm", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "k.db");
    const set = fakeIo(open, NOW);
    assert.equal(await runRateLimits(["set", "alice", "--scope", "user=alice,provider=openai", "--rpm", "60", "--tpm", "100000", "--db", db, "--create"], set.io), 0, set.err());
    const list = fakeIo(open, NOW);
    assert.equal(await runRateLimits(["list", "--format", "json", "--db", db], list.io), 0);
    assert.deepEqual(JSON.parse(list.out()), {
      rate_limits: [{ id: "alice", scope: { user: "alice", provider: "openai" }, rpm: 60, tpm: 100000 }],
    });
    const table = fakeIo(open, NOW);
    assert.equal(await runRateLimits(["list", "--db", db], table.io), 0);
    assert.match(table.out(), /^id\s+scope\s+rpm\s+tpm\nalice\s+user=alice,provider=openai\s+60\s+100000\n$/);
    const rm = fakeIo(open, NOW);
    assert.equal(await runRateLimits(["rm", "alice", "--db", db], rm.io), 0);
    const store = createStore(open(db));
    assert.deepEqual(await store.control.listRateLimits(), []);
    await store.close();
  });
});

// Bad input: one line on stderr naming the flag, exit 2, nothing written.
const BAD: [run: typeof runBudgets, args: string[], message: RegExp][] = [
  [runBudgets, ["frobnicate"], /Unknown subcommand "frobnicate": use list, set or rm/],
  [runBudgets, ["set"], /set needs an ID/],
  [runBudgets, ["rm"], /rm needs an ID/],
  [runBudgets, ["set", "b", "--window", "fortnight", "--limit-usd", "1"], /Invalid --window: .*window/],
  [runBudgets, ["set", "b", "--window", "day"], /Invalid --limit-usd/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "lots"], /Invalid --limit-usd/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-tokens", "1.5"], /Invalid --limit-tokens/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1", "--alert-at", "0.5,x"], /Invalid --alert-at/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1", "--action", "warn"], /Invalid --action/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1", "--timezone", "Mars/Olympus"], /Invalid --timezone/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1", "--scope", "team=a"], /Invalid --scope/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1", "--scope", "project"], /Invalid --scope "project": use KEY=VALUE/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1", "--scope"], /"--scope" needs a value/],
  [runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1", "--rpm", "5"], /Unknown flag "--rpm"/],
  [runBudgets, ["list", "--format", "xml"], /Invalid --format "xml"/],
  [runRateLimits, ["set", "r", "--scope", "user=a"], /Invalid --rpm/],
  [runRateLimits, ["set", "r", "--rpm", "-3"], /Unexpected argument|needs a value|Invalid --rpm/],
  [runRateLimits, ["set", "r", "--rpm", "many"], /Invalid --rpm/],
  [runRateLimits, ["set", "r", "--rpm", "1", "--window", "day"], /Unknown flag "--window"/],
];

for (const [i, [run, args, message]] of BAD.entries()) {
  test(`bad input #${i} (${args.join(" ")}) → one line, exit 2`, async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, "k.db");
      const { io, err, out } = fakeIo(open, NOW);
      assert.equal(await run([...args, "--db", db], io), 2);
      assert.match(err(), message);
      assert.match(err(), /^kestrel (budgets|rate-limits): [^\n]+\n$/);
      assert.equal(out(), "");
      const store = createStore(open(db));
      assert.deepEqual(await store.control.listBudgets(), []);
      assert.deepEqual(await store.control.listRateLimits(), []);
      await store.close();
    });
  });
}

test("list and rm refuse a file Kestrel never wrote (a wrong --db), exit 1", async () => {
  await withTempDir(async (dir) => {
    for (const args of [["list"], ["rm", "x"]]) {
      const { io, err } = fakeIo(open, NOW);
      assert.equal(await runBudgets([...args, "--db", join(dir, "typo.db")], io), 1);
      assert.match(err(), /^kestrel budgets: No Kestrel usage data in ".*typo\.db" \(check --db\)\n$/);
    }
  });
});

test("no subcommand prints the help and exits 2; --help exits 0", async () => {
  const none = fakeIo(open, NOW);
  assert.equal(await runBudgets([], none.io), 2);
  assert.match(none.out(), /^Usage: kestrel budgets list/);
  const help = fakeIo(open, NOW);
  assert.equal(await runRateLimits(["set", "--help"], help.io), 0);
  assert.match(help.out(), /^Usage: kestrel rate-limits list/);
});
