// scripts/junit-summary.mjs turns the runners' JUnit reports into CI's closing line. A runner that ran nothing —
// no report, an empty or cut-off report, zero test cases — must fail the run, never read as "0 failed".
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../_helpers/kestrel.ts";
import { IS_BUN, ROOT } from "../_helpers/runtime.ts";

const SCRIPT = join(ROOT, "scripts", "junit-summary.mjs");

const ok = (name: string) => `<testcase name="${name}" classname="" time="0.001" />`;
const skipped = (name: string) => `<testcase name="${name}" classname="" time="0"><skipped /></testcase>`;
const failed = (name: string) => `<testcase name="${name}" time="0"><failure message="boom" /></testcase>`;
const report = (...cases: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="t" tests="${cases.length}">\n` +
  `  <testsuite name="a.test.ts">\n    ${cases.join("\n    ")}\n  </testsuite>\n</testsuites>\n`;

/** Runs the script on the current runtime (no host Node needed) with reports written to a temp dir. */
function summarize(checkRc: number, runs: [name: string, rc: number, xml: string | null][]) {
  const dir = tempDir();
  const args = runs.map(([name, rc, xml]) => {
    const file = join(dir, `${name}.xml`);
    if (xml !== null) writeFileSync(file, xml);
    return `${name}:${rc}:${file}`;
  });
  const argv = IS_BUN ? [SCRIPT, String(checkRc), ...args] : ["run", "-A", SCRIPT, String(checkRc), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: "utf8" });
  const lines = r.stdout.trimEnd().split("\n");
  return { status: r.status, lines, last: lines.at(-1), stderr: r.stderr };
}

/** The closing-line pattern .ci/run greps for, taken from the script itself so the two cannot drift apart. */
function ciPattern(): RegExp {
  const m = /grep -E '([^']+)'/.exec(readFileSync(join(ROOT, ".ci", "run"), "utf8"));
  assert.ok(m, ".ci/run greps for the summary line");
  return new RegExp(m[1]!);
}

test("passes, failures and skips of both runners are totalled in the closing line", () => {
  const r = summarize(0, [
    ["bun", 0, report(ok("a"), ok("b"), skipped("c"))],
    ["deno", 0, report(ok("a"), skipped("b"), skipped("c"))],
  ]);
  assert.equal(r.status, 0, r.lines.join("\n"));
  assert.deepEqual(r.lines, ["bun: 2 passed, 0 failed, 1 skipped", "deno: 1 passed, 0 failed, 2 skipped", "3 passed, 0 failed, 3 skipped"]);
  assert.match(r.last!, ciPattern());
});

test("a reported failure fails the run", () => {
  const r = summarize(0, [["bun", 1, report(ok("a"), failed("b"))], ["deno", 0, report(ok("a"), ok("b"))]]);
  assert.equal(r.status, 1);
  assert.equal(r.last, "3 passed, 1 failed, 0 skipped");
  assert.match(r.last!, ciPattern());
});

/** Reports as the runners write them: Bun names the file on each case, Deno in `classname` with a leading "./". */
const bunReport = (files: Record<string, string[]>) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bun test">\n` +
  Object.entries(files).map(([file, cases]) =>
    `  <testsuite name="${file}" file="${file}" tests="${cases.length}">\n` +
    cases.map((c) => `    <testcase name="${c}" classname="" time="0.001" file="${file}" line="1" />\n`).join("") +
    "  </testsuite>\n"
  ).join("") + "</testsuites>\n";
const denoReport = (files: Record<string, string[]>) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="deno test">\n` +
  Object.entries(files).map(([file, cases]) =>
    `    <testsuite name="./${file}" tests="${cases.length}">\n` +
    cases.map((c) => `        <testcase name="${c}" classname="./${file}" time="0.001" line="1" col="1">\n        </testcase>\n`).join("") +
    "    </testsuite>\n"
  ).join("") + "</testsuites>\n";

test("a test registered fewer times on one runtime fails the run, named with both counts", () => {
  const r = summarize(0, [
    ["bun", 0, bunReport({ "test/a.test.ts": ["ax", "ay", "az"], "test/b.test.ts": ["bx"], "test/c.test.ts": ["cx"] })],
    ["deno", 0, denoReport({ "test/a.test.ts": ["ax", "ay"], "test/b.test.ts": ["bx"], "test/d.test.ts": ["dx"] })],
  ]);
  assert.equal(r.status, 1, r.lines.join("\n"));
  assert.deepEqual(r.lines, [
    "bun: 5 passed, 0 failed, 0 skipped",
    "deno: 4 passed, 0 failed, 0 skipped",
    'test counts differ: "az" is registered 1 on bun, 0 on deno',
    'test counts differ: "cx" is registered 1 on bun, 0 on deno',
    'test counts differ: "dx" is registered 0 on bun, 1 on deno',
    "9 passed, 3 failed, 0 skipped",
  ]);
  assert.match(r.last!, ciPattern());
});

test("a test skipped with its reason on one runtime counts as the same test", () => {
  const r = summarize(0, [
    ["bun", 0, bunReport({ "test/a.test.ts": ["x", "y"] })],
    ["deno", 0, denoReport({ "test/a.test.ts": ["x", "y [skipped: bun:sqlite exists on Bun only]"] })],
  ]);
  assert.equal(r.status, 0, r.lines.join("\n"));
});

test("Deno names the helper that called test() as the file: the same tests still agree", () => {
  const r = summarize(0, [
    ["bun", 0, bunReport({ "test/a.test.ts": ["x", "y"] })],
    ["deno", 0, denoReport({ "test/_helpers/host.ts": ["x", "y"] })],
  ]);
  assert.equal(r.status, 0, r.lines.join("\n"));
});

test("the same tests per file on both runtimes pass, a skip counting as registered", () => {
  const deno = denoReport({ "test/a.test.ts": ["x", "y"] }).replace("</testcase>", "<skipped />\n        </testcase>");
  const r = summarize(0, [["bun", 0, bunReport({ "test/a.test.ts": ["x", "y"] })], ["deno", 0, deno]]);
  assert.equal(r.status, 0, r.lines.join("\n"));
  assert.equal(r.last, "3 passed, 0 failed, 1 skipped");
});

// Each row: a runner's exit code and report, and what the summary must say about that runner.
const NOTHING_RAN: [why: string, rc: number, xml: string | null, says: RegExp][] = [
  ["no report written, exit 0", 0, null, /^bun: no report .* \(exit code 0\): 0 passed, 1 failed, 0 skipped$/],
  ["empty report file", 0, "", /^bun: no report .*: 0 passed, 1 failed, 0 skipped$/],
  ["report cut off before </testsuites>", 0, report(ok("a")).replace("</testsuites>", ""), /^bun: report .* is incomplete: 1 passed, 1 failed, 0 skipped$/],
  ["zero test cases, exit 0", 0, report(), /^bun: ran no test: 0 passed, 1 failed, 0 skipped$/],
  ["only skipped test cases", 0, report(skipped("a")), /^bun: ran no test: 0 passed, 1 failed, 1 skipped$/],
  ["exit code 1 without a reported failure", 1, report(ok("a")), /^bun: 1 passed, 1 failed, 0 skipped \(exit code 1 without a reported failure\)$/],
];

for (const [why, rc, xml, says] of NOTHING_RAN) {
  test(`a runner that did not run its tests fails the run: ${why}`, () => {
    const r = summarize(0, [["bun", rc, xml], ["deno", 0, report(ok("a"), ok("b"))]]);
    assert.equal(r.status, 1, r.lines.join("\n"));
    assert.match(r.lines[0]!, says);
    assert.match(r.last!, /^\d+ passed, [1-9]\d* failed, \d+ skipped$/);
    assert.match(r.last!, ciPattern());
  });
}

test("a failed type check fails the run", () => {
  const r = summarize(2, [["bun", 0, report(ok("a"))], ["deno", 0, report(ok("a"))]]);
  assert.equal(r.status, 1);
  assert.equal(r.lines[0], "type check failed (deno check)");
  assert.equal(r.last, "2 passed, 1 failed, 0 skipped");
});

test(".ci/run's pattern accepts the closing line with and without skips and nothing looser", () => {
  const ci = ciPattern();
  for (const line of ["3 passed, 0 failed, 2 skipped", "3 passed, 0 failed"]) assert.match(line, ci);
  for (const line of ["bun: 3 passed, 0 failed, 2 skipped", "3 passed, 0 failed, 2 skipped (x)", "passed, failed"]) {
    assert.doesNotMatch(line, ci);
  }
});
