/**
 * What a test needs from the host beyond the repository, probed rather than assumed. A test that cannot run here
 * is skipped visibly: `{ skip }` marks it skipped in both runners' reports (`t.skip()` inside the body does not
 * on Deno), and the reason goes into its name, the one place both runners print (with --quiet, Deno hides
 * output written before the tests run).
 */
import { spawnSync } from "node:child_process";
import { test } from "node:test";

/** `test(name, fn)`, or, when `missing` names what the host lacks, that test skipped with the reason shown. */
export function testNeeding(name: string, missing: string | null, fn: () => Promise<void>): void {
  if (missing === null) test(name, fn);
  else test(`${name} [skipped: ${missing}]`, { skip: missing }, fn);
}

/**
 * Node.js itself on PATH, for helper processes that must be plain Node (the project's one host requirement:
 * `npm ci` needs it). Deno's child_process runs a missing `node` as Deno, which is not Node, so the probe asks
 * the process what it is. Returns null when present, else why not.
 */
export function nodeMissing(): string | null {
  const script = "process.stdout.write(typeof Deno + typeof Bun)";
  const r = spawnSync("node", ["-e", script], { encoding: "utf8" });
  if (r.error) return `needs Node.js on PATH (${r.error.message})`;
  if (r.status !== 0) return `needs Node.js on PATH ("node -e" exited ${r.status})`;
  return r.stdout === "undefinedundefined" ? null : "needs Node.js on PATH (\"node\" here is another runtime standing in)";
}

/** `systemd-analyze` (Debian's systemd package; .ci/run installs it when running as root). */
export function systemdAnalyzeMissing(): string | null {
  const r = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  return r.error ? "needs systemd-analyze (Debian package systemd)" : null;
}
