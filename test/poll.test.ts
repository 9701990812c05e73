// Every poll in the tests has a deadline: `deno test` has no default timeout, so an unbounded wait on a condition
// a regression never makes true hangs CI instead of failing it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { until } from "./_helpers/poll.ts";
import { ROOT } from "./_helpers/runtime.ts";
import { atLeast } from "./_chunking.ts";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "fixtures" ? [] : files(join(dir, e.name))) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  );
}

/**
 * A loop whose body is only a wait: `while (cond) await …` (no deadline at all) and the one-line
 * `for (let i = 0; i < N && cond; i++) await …` (falls through silently and fails somewhere unrelated).
 */
const BARE_POLL = /\bwhile\s*\(.*\)\s*await\b|\bfor\s*\(.*;.*&&.*;.*\)\s*await\b/;

test("until() fails with what it waited for once the deadline passes", async () => {
  let polls = 0;
  await assert.rejects(
    until("the flag", () => (polls++, false), { timeoutMs: 50, everyMs: 5, detail: () => `${polls} polls` }),
    /^Error: Timed out after 50 ms waiting for the flag \(\d+ polls\)$/,
  );
  assert.ok(polls >= 2, "it polled more than once");
});

test("until() resolves as soon as the condition holds, sync or async", async () => {
  let n = 0;
  await until("three polls", () => ++n === 3, { everyMs: 1 });
  assert.equal(n, 3);
  await until("an async condition", async () => true);
});

test("no test polls in a loop without a deadline (use until() from test/_helpers/poll.ts)", () => {
  const offenders = atLeast(files(join(ROOT, "test")), 50, "test files")
    .filter((f) => !f.endsWith("poll.test.ts")) // its own examples
    .flatMap((f) =>
      readFileSync(f, "utf8").split("\n").flatMap((line, i) => BARE_POLL.test(line) ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : [])
    );
  assert.deepEqual(offenders, []);
});

test("the check itself catches what it should", () => {
  for (const bad of ["while (arrived < 200) await sleep(10);", "while (!cond()) await sleep(5);", "for (let i = 0; i < 100 && !done; i++) await sleep(20);"]) {
    assert.ok(BARE_POLL.test(bad), bad);
  }
  for (const fine of ["for (let i = 0; i < 5; i++) await call();", "while (!stop) {", "while (!(await cond())) {", "await until(\"x\", () => done);"]) {
    assert.ok(!BARE_POLL.test(fine), fine);
  }
});
