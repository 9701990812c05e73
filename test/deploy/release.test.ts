// The release path: the tag workflow (linted offline: it only runs on GitHub) publishes exactly what
// `bun build.ts --release` writes, and `npx kestrel …` from a clone runs the same commands a binary user types.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { nodeMissing, testNeeding } from "../_helpers/host.ts";
import { tempDir } from "../_helpers/kestrel.ts";
import { ROOT } from "../_helpers/runtime.ts";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  name?: string;
}

test("release workflow: runs on version tags, tests first, builds with --release, publishes the binaries and SHA256SUMS", () => {
  const text = readFileSync(join(ROOT, ".github/workflows/release.yml"), "utf8");
  assert.doesNotMatch(text, /\t/, "YAML forbids tabs for indentation");
  const wf = parse(text);
  assert.deepEqual(Object.keys(wf).sort(), ["jobs", "name", "on", "permissions"]);
  assert.deepEqual(wf.on, { push: { tags: ["v*"] } });
  assert.equal(wf.permissions.contents, "write");
  for (const [name, job] of Object.entries(wf.jobs as Record<string, { "runs-on": string; steps: Step[] }>)) {
    assert.ok(job["runs-on"], `${name}: runs-on`);
    for (const step of job.steps) {
      assert.ok((step.uses === undefined) !== (step.run === undefined), `${name}: a step has exactly one of uses/run`);
      if (step.uses) assert.match(step.uses, /^[\w-]+\/[\w-]+@v\d+$/, "actions pinned to a major version");
    }
    const runs = job.steps.map((s) => s.run ?? "");
    const at = (pattern: RegExp) => runs.findIndex((r) => pattern.test(r));
    assert.ok(at(/^\.ci\/run$/) >= 0 && at(/^\.ci\/run$/) < at(/bun build\.ts --release/), "the suite runs before the build");
    assert.match(runs[at(/gh release create/)]!, /dist\/release\/kestrel-\* dist\/release\/SHA256SUMS/);
  }
  // Every script a step runs exists.
  assert.ok(readFileSync(join(ROOT, ".ci/run"), "utf8").length > 0);
  // build.ts writes those names (kestrel-<version>-<os>-<arch>[.exe]) for the six platforms, maps kept aside.
  const build = readFileSync(join(ROOT, "build.ts"), "utf8");
  for (const platform of ["linux-x64", "linux-arm64", "linux-x64-musl", "darwin-arm64", "darwin-x64", "windows-x64"]) {
    assert.ok(build.includes(`"bun-${platform}", "${platform}"`), platform);
  }
  assert.match(build, /`kestrel-\$\{version\}-\$\{platform\}\$\{platform\.startsWith\("windows"\) \? "\.exe" : ""\}`/);
  assert.match(build, /writeFileSync\(`\$\{dir\}\/SHA256SUMS`/);
});

test("package.json names bin/kestrel.mjs as the kestrel command", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  assert.deepEqual(pkg.bin, { kestrel: "bin/kestrel.mjs" });
  assert.match(readFileSync(join(ROOT, "bin/kestrel.mjs"), "utf8"), /^#!\/usr\/bin\/env node\n/);
});

testNeeding("npx kestrel --version, usage and check-config work from the clone, offline", nodeMissing(), () => {
  const npx = (args: string[]) =>
    spawnSync("npx", ["--no-install", "kestrel", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false" },
      timeout: 60_000,
    });
  const version = npx(["--version"]);
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^kestrel \d+\.\d+\.\d+\+source \(bun /);
  // Arguments reach Kestrel and its exit code comes back: no database there is exit 1 with Kestrel's own message.
  const usage = npx(["usage", "--db", join(tempDir(), "none.db")]);
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /^kestrel usage: No Kestrel usage data in /);
  const check = npx(["check-config", "--port", "1234"]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /^port +1234 +flag --port$/m);
  return Promise.resolve();
});
