// CLI commands open an existing Kestrel store only: a wrong --db or --store is refused (exit 1, one line) and leaves
// no file behind; `budgets set` / `rate-limits set` start a new store only with --create. `serve` keeps creating
// its database (test/e2e covers the quick start).
import assert from "node:assert/strict";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runBudgets, runRateLimits } from "../../src/commands/budgets.ts";
import { runExport } from "../../src/commands/export.ts";
import { runReprice } from "../../src/commands/reprice.ts";
import { runUsage } from "../../src/commands/usage.ts";
import { testNeeding } from "../_helpers/host.ts";
import { pgMissing, startPostgres } from "../_helpers/postgres.ts";
import { drivers, withTempDir } from "../store/helpers.ts";
import { fakeIo } from "./cli-io.ts";

const { open } = (await drivers())[0]!;
const NOW = Date.parse("2026-11-21T00:00:00.000Z");
type Run = (args: string[], io: ReturnType<typeof fakeIo>["io"]) => Promise<number>;

const COMMANDS: [name: string, run: Run, args: string[]][] = [
  ["usage", runUsage, []],
  ["export", runExport, ["--format", "csv"]],
  ["reprice", runReprice, ["--dry-run"]],
  ["budgets", runBudgets, ["list"]],
  ["budgets", runBudgets, ["rm", "b"]],
  ["budgets", runBudgets, ["set", "b", "--window", "day", "--limit-usd", "1"]],
  ["rate-limits", runRateLimits, ["list"]],
  ["rate-limits", runRateLimits, ["set", "r", "--rpm", "5"]],
];

for (const [name, run, args] of COMMANDS) {
  test(`kestrel ${name} ${args.join(" ")} --db typo.db: refused, exit 1, no file created`, async () => {
    await withTempDir(async (dir) => {
      const typo = join(dir, "typo.db");
      const f = fakeIo(open, NOW);
      assert.equal(await run([...args, "--db", typo], f.io), 1);
      assert.equal(f.out(), "");
      const hint = args[0] === "set" ? ", or add --create to start a new store there" : "";
      assert.equal(f.err(), `kestrel ${name}: No Kestrel usage data in ${JSON.stringify(typo)} (check --db${hint})\n`);
      assert.equal(existsSync(typo), false, "a refused command must not leave a file");
    });
  });
}

test("an existing file Kestrel never wrote is refused by set too, and left as it was", async () => {
  await withTempDir(async (dir) => {
    const other = join(dir, "notes.db");
    writeFileSync(other, "");
    const f = fakeIo(open, NOW);
    assert.equal(await runBudgets(["set", "b", "--window", "day", "--limit-usd", "1", "--db", other], f.io), 1);
    assert.match(f.err(), /No Kestrel usage data in ".*notes\.db" \(check --db, or add --create/);
    assert.equal(statSync(other).size, 0);
  });
});

test("set --create starts a store; then every command opens it", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "new.db");
    const set = fakeIo(open, NOW);
    assert.equal(await runBudgets(["set", "b", "--window", "day", "--limit-usd", "1", "--db", db, "--create"], set.io), 0, set.err());
    assert.match(set.out(), /^Saved budget "b"/);
    for (const [, run, args] of COMMANDS) {
      const f = fakeIo(open, NOW);
      assert.equal(await run([...args, "--db", db], f.io), 0, `${args.join(" ")}: ${f.err()}`);
    }
  });
});

const missing = pgMissing();
testNeeding("PostgreSQL: set refuses a database Kestrel never wrote unless --create", missing, async () => {
  const pg = await startPostgres();
  try {
    const url = pg.createDatabase("never_written_set");
    const refused = fakeIo(open, NOW);
    assert.equal(await runBudgets(["set", "b", "--window", "day", "--limit-usd", "1", "--store", url], refused.io), 1);
    assert.match(refused.err(), /^kestrel budgets: No Kestrel usage data in postgres:\/\/kestrel:\*\*\*@\S+ \(check --store, or add --create/);
    const list = fakeIo(open, NOW);
    assert.equal(await runBudgets(["list", "--store", url], list.io), 1, "still nothing there");
    const created = fakeIo(open, NOW);
    assert.equal(await runBudgets(["set", "b", "--window", "day", "--limit-usd", "1", "--store", url, "--create"], created.io), 0, created.err());
    const after = fakeIo(open, NOW);
    assert.equal(await runBudgets(["list", "--format", "json", "--store", url], after.io), 0, after.err());
    assert.equal((JSON.parse(after.out()) as { budgets: unknown[] }).budgets.length, 1);
  } finally {
    pg.close();
  }
});
