// Tests depend on the repository, not on the host: a child process is the runtime under test (process.execPath,
// node_modules/.bin) or a tool whose absence the test probes and turns into a visible skip (test/_helpers/host.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { tempDir } from "./_helpers/kestrel.ts";
import { IS_BUN, ROOT } from "./_helpers/runtime.ts";
import { atLeast } from "./_chunking.ts";

/**
 * Host tools a test may start by name, each probed before use: node (nodeMissing), chattr (durability), npx (comes
 * with Node's npm: nodeMissing), systemd-analyze (systemdAnalyzeMissing), mount and umount (test/faults/disk.test.ts
 * mounts a tmpfs first and skips when it cannot; umount only after a mount).
 */
const PROBED = new Set(["node", "chattr", "npx", "systemd-analyze", "mount", "umount"]);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "fixtures" ? [] : files(join(dir, e.name))) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  );
}

const BY_NAME = /(?<![\w.])(?:spawn|spawnSync|execSync|execFileSync|exec|execFile)\(\s*["'`]([^"'`]+)["'`]/g;

test("tests start no host tool by name except probed ones", () => {
  const offenders = atLeast(files(join(ROOT, "test")), 50, "test files")
    .filter((f) => !f.endsWith("host.test.ts"))
    .flatMap((f) =>
      [...readFileSync(f, "utf8").matchAll(BY_NAME)]
        .filter((m) => !m[1]!.startsWith("${ROOT}") && !PROBED.has(m[1]!.split(/\s/)[0]!)) // the repo's own, or probed
        .map((m) => `${relative(ROOT, f)}: ${m[0]}`)
    );
  assert.deepEqual(offenders, []);
});

test("the check itself catches what it should", () => {
  const found = (code: string) => [...code.matchAll(BY_NAME)].map((m) => m[1]);
  assert.deepEqual(found(`spawn("python3", ["-c", s]); spawnSync('curl', []); execSync(\`sqlite3 x\`)`), ["python3", "curl", "sqlite3 x"]);
  assert.deepEqual(found(`spawn(process.execPath, args); spawnSync(binary, []); spawn(cmd, argv); db.exec("COMMIT")`), []);
});

// .ci/run sets KESTREL_REQUIRE_TOOLS=1 under CI=true: a tool CI installs that is missing must fail its tests, not
// skip them, or a CI without PostgreSQL or Chromium goes green having run none of them.
test("KESTREL_REQUIRE_TOOLS=1 turns a missing tool into a failure; other host conditions stay skips", () => {
  const file = join(tempDir(), "needs.test.ts");
  writeFileSync(file, [
    `import { testNeeding, toolMissing } from ${JSON.stringify(join(ROOT, "test/_helpers/host.ts"))};`,
    `testNeeding("needs a tool", toolMissing("needs /usr/bin/no-such-tool"), () => {});`,
    `testNeeding("needs root", "needs root to mount a tmpfs", () => {});`,
    "",
  ].join("\n"));
  const run = (require: boolean) => {
    // "0", not left out: Deno's spawn adds to the inherited environment, and CI runs the suite with it set.
    const env: Record<string, string | undefined> = { ...process.env, KESTREL_REQUIRE_TOOLS: require ? "1" : "0" };
    const argv = IS_BUN ? ["test", file] : ["test", "-A", "--no-check", file];
    const r = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: "utf8", env: env as Record<string, string> });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const strict = run(true);
  assert.notEqual(strict.status, 0, strict.out);
  assert.match(strict.out, /needs \/usr\/bin\/no-such-tool; KESTREL_REQUIRE_TOOLS=1 makes a missing tool a failure/);
  assert.match(strict.out, /needs root \[skipped: needs root to mount a tmpfs\]/);
  const lenient = run(false);
  assert.equal(lenient.status, 0, lenient.out);
  assert.match(lenient.out, /needs a tool \[skipped: needs \/usr\/bin\/no-such-tool\]/);
});
