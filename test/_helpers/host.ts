/**
 * What a test needs from the host beyond the repository, probed rather than assumed. A test that cannot run here
 * is skipped visibly: `{ skip }` marks it skipped in both runners' reports (`t.skip()` inside the body does not
 * on Deno), and the reason goes into its name, the one place both runners print (with --quiet, Deno hides
 * output written before the tests run).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";

/**
 * `KESTREL_REQUIRE_TOOLS=1` (.ci/run sets it when `CI=true`): a test whose tool is missing — one of those .ci/run
 * installs: Chromium, PostgreSQL, Prometheus, systemd-analyze, and Node.js itself — fails instead of being skipped,
 * so CI cannot go green without running them. Other host conditions (root, Linux /proc, a Bun-only driver) stay skips.
 */
export const REQUIRE_TOOLS = process.env.KESTREL_REQUIRE_TOOLS === "1";

/** Reasons given by the tool probes below, told apart from other reasons by testNeeding. */
const TOOL_REASONS = new Set<string>();

/** A tool probe's answer: a reason given here names a tool CI must have. */
export function toolMissing(reason: string | null): string | null {
  if (reason !== null) TOOL_REASONS.add(reason);
  return reason;
}

/**
 * `test(name, fn)`, or, when `missing` names what the host lacks, that test skipped with the reason shown — or,
 * when it is a tool and KESTREL_REQUIRE_TOOLS=1, failing with the reason.
 */
export function testNeeding(name: string, missing: string | null, fn: () => void | Promise<void>): void {
  if (missing === null) test(name, fn);
  else if (REQUIRE_TOOLS && TOOL_REASONS.has(missing)) {
    test(`${name} [missing: ${missing}]`, () => {
      throw new Error(`${missing}; KESTREL_REQUIRE_TOOLS=1 makes a missing tool a failure, not a skip`);
    });
  } else test(`${name} [skipped: ${missing}]`, { skip: missing }, fn);
}

/**
 * Node.js itself on PATH, for helper processes that must be plain Node (the project's one host requirement:
 * `npm ci` needs it). Deno's child_process runs a missing `node` as Deno, which is not Node, so the probe asks
 * the process what it is. Returns null when present, else why not.
 */
export function nodeMissing(): string | null {
  const script = "process.stdout.write(typeof Deno + typeof Bun)";
  const r = spawnSync("node", ["-e", script], { encoding: "utf8" });
  if (r.error) return toolMissing(`needs Node.js on PATH (${r.error.message})`);
  if (r.status !== 0) return toolMissing(`needs Node.js on PATH ("node -e" exited ${r.status})`);
  return r.stdout === "undefinedundefined" ? null : toolMissing("needs Node.js on PATH (\"node\" here is another runtime standing in)");
}

/** `systemd-analyze` (Debian's systemd package; .ci/run installs it). */
export function systemdAnalyzeMissing(): string | null {
  const r = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  return toolMissing(r.error ? "needs systemd-analyze (Debian package systemd; .ci/run installs it)" : null);
}

export const CHROMIUM = "/usr/bin/chromium";

/** The system's Chromium, which playwright-core drives (Debian package chromium; .ci/run installs it). */
export function chromiumMissing(): string | null {
  return toolMissing(existsSync(CHROMIUM) ? null : `needs ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
}

export const PROMETHEUS = "/usr/bin/prometheus";

/** Debian's Prometheus server (package prometheus; .ci/run installs it). */
export function prometheusMissing(): string | null {
  return toolMissing(existsSync(PROMETHEUS) ? null : `needs ${PROMETHEUS} (Debian package prometheus; .ci/run installs it)`);
}
