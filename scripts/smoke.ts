/**
 * The smoke run of a built binary, shared by `bun build.ts` (after every host build) and the tests: `--version`,
 * `serve` on a free port against a local mock upstream, one metered request, SIGTERM, exit 0 with the record
 * written. Runs on Bun and Deno (node:child_process + node:http only). Throws with the binary's output on failure.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const DEADLINE_MS = 60_000;

export async function smokeRun(file: string): Promise<{ version: string }> {
  // spawn looks a bare relative name up on PATH.
  const binary = resolve(file);
  const version = spawnSync(binary, ["--version"], { encoding: "utf8" });
  if (version.status !== 0 || !/^kestrel \d+\.\d+\.\d+/.test(version.stdout)) {
    throw new Error(`${binary} --version failed (${version.status}): ${version.stdout}${version.stderr}`);
  }
  const upstream = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const mockUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), "kestrel-smoke-"));
  const proc = spawn(binary, ["serve", "--port", "0", "--db", join(dir, "k.db"), "--upstream", `openai=${mockUrl}`], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  const fail = (what: string) => new Error(`smoke run of ${binary}: ${what}\n${out}`);
  const waitFor = async (pattern: RegExp, what: string) => {
    const deadline = Date.now() + DEADLINE_MS;
    while (!pattern.test(out)) {
      if (Date.now() > deadline || proc.exitCode !== null) throw fail(`no ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await waitFor(/listening on http:\/\/\S+/, "listening line");
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    const health = await (await fetch(`${url}/health`)).text();
    if (health !== "Healthy") throw fail(`/health answered ${JSON.stringify(health)}`);
    const res = await fetch(`${url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
    await res.arrayBuffer();
    if (res.status !== 200) throw fail(`the proxied request answered ${res.status}`);
    await waitFor(/Prompt=2\/Completion=3\/Total=5/, "usage line for the metered request");
    proc.kill("SIGTERM");
    await waitFor(/Stopped: 1 records written/, "clean stop after SIGTERM");
    await closed;
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await new Promise((resolve) => upstream.close(resolve));
  }
  // Deno's child_process reports a child that handled SIGTERM and exited 0 as (null, "SIGTERM"); the Stopped line
  // above, printed just before exit(0), is the proof of a clean stop on both runtimes.
  if (proc.exitCode !== null && proc.exitCode !== 0) throw fail(`exit code ${proc.exitCode} after SIGTERM`);
  return { version: version.stdout.split("\n")[0]! };
}
