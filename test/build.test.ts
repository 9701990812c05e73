// The single executable: `bun build.ts` builds it offline, and the binary answers --version and serves.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./_helpers/kestrel.ts";
import { startMock } from "./_helpers/mock-upstream.ts";
import { until } from "./_helpers/poll.ts";
import { ROOT } from "./_helpers/runtime.ts";

const dir = tempDir();
const binary = join(dir, "kestrel");

test("bun build.ts compiles dist/kestrel (self-checks pass) and the binary prints its version", () => {
  const build = spawnSync(join(ROOT, "node_modules/.bin/bun"), ["build.ts", "--outfile", binary], { cwd: ROOT, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
  const version = spawnSync(binary, ["--version"], { encoding: "utf8" });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^kestrel \d+\.\d+\.\d+\+\w+ \(bun [\d.]+\)\nprices litellm-\d{4}-\d{2}-\d{2}\+k\d+ /);
});

test("the binary serves on --port 0, meters a request, and stops cleanly on SIGTERM", async () => {
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }));
  });
  const proc = spawn(binary, ["serve", "--port", "0", "--db", join(dir, "k.db"), "--upstream", `openai=${mock.url}`], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  try {
    await until("the binary's listening line", () => /listening on/.test(out), { detail: () => out });
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    assert.equal(await (await fetch(`${url}/health`)).text(), "Healthy");
    // The dashboard is embedded: no file next to the binary is read.
    assert.match(await (await fetch(`${url}/`)).text(), /<title>Kestrel dashboard<\/title>/);
    const res = await fetch(`${url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    await until("the binary's usage line", () => /API Usage/.test(out), { detail: () => out });
    assert.match(out, /OpenAI API Usage - .*Prompt=2\/Completion=3\/Total=5/);
  } finally {
    const closed = new Promise((r) => proc.once("close", r));
    proc.kill("SIGTERM");
    await closed;
    await mock.close();
  }
  assert.match(out, /Stopped: 1 records written/);
});
