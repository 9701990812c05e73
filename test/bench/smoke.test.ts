/**
 * The bench harness cannot rot: `bun bench/run.ts --quick` (every section, tiny sizes, loopback only, writes no
 * report) exits 0 and prints every section. The child is always Bun, under either test runner. Asserts only
 * that the harness ran, never a timing.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Section headers run.ts prints, in order (`== key: title`), then the targets table and the closing line. */
const SECTIONS = [
  "== scanner:",
  "== store:",
  "== pgstore:",
  "== sequential:",
  "== concurrent:",
  "== big:",
  "== memory:",
  "== coldstart:",
  "== targets",
];

function runQuick(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${ROOT}node_modules/.bin/bun`, ["bench/run.ts", "--quick"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out }));
  });
}

test("bench quick mode runs every section and exits 0", { timeout: 120_000 }, async () => {
  const { code, out } = await runQuick();
  assert.equal(code, 0, out.slice(-4000));
  let at = 0;
  for (const header of SECTIONS) {
    const found = out.indexOf(header, at);
    assert.notEqual(found, -1, `missing "${header}" in:\n${out.slice(-4000)}`);
    at = found;
  }
  assert.doesNotMatch(out, /FAILED/);
  assert.match(out, /\ndone in [\d.]+ s\n/);
});
