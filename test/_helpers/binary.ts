/**
 * The host binary, built once per test process (`bun build.ts`, offline; it smoke-runs itself): bun test and
 * deno test each run every file in one process, so the suite builds it once per runtime, not once per file.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./runtime.ts";

let built: string | null = null;

/** Path of a fresh dist-style binary of the current source; throws with the build's output when it fails. */
export function hostBinary(): string {
  if (built !== null) return built;
  const dir = join(tmpdir(), `kestrel-test-binary-${process.pid}`);
  const file = join(dir, "kestrel");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const r = spawnSync(join(ROOT, "node_modules/.bin/bun"), ["build.ts", "--outfile", file], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bun build.ts failed (${r.status}):\n${r.stdout}${r.stderr}`);
  }
  built = file;
  return file;
}
