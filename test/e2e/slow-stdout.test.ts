// A log reader that stops reading (a stalled pipe, a slow journald) must not stall the proxy: both runtimes
// write stdout synchronously once the pipe is full, so Kestrel queues log lines and writes them asynchronously.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { kestrelCommand } from "../_helpers/runtime.ts";

test("requests keep flowing while nobody reads Kestrel's stdout", async () => {
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ model: "gpt-4o-mini", usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  });
  const dir = tempDir();
  const [cmd, argv] = kestrelCommand(["--port", "0", "--db", join(dir, "k.db"), "--upstream", `openai=${mock.url}`]);
  // stdout is a pipe nobody reads after the listening line: it fills after ~64 KiB (a few hundred log lines).
  const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const url = await new Promise<string>((resolve) => {
      let seen = "";
      const onData = (d: Buffer) => {
        seen += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(seen);
        if (!m) return;
        proc.stdout!.off("data", onData);
        proc.stdout!.pause();
        resolve(m[1]!);
      };
      proc.stdout!.on("data", onData);
    });
    // 3,000 requests write ~500 KB of log lines into a pipe that holds 64 KiB.
    for (let round = 0; round < 30; round++) {
      const statuses = await Promise.all(Array.from({ length: 100 }, async () => {
        const res = await fetch(`${url}/openai/v1/chat/completions`, { method: "POST", body: "{}" });
        await res.arrayBuffer();
        return res.status;
      }));
      assert.deepEqual(new Set(statuses), new Set([200]));
    }
    assert.equal(await (await fetch(`${url}/health`)).text(), "Healthy");
  } finally {
    proc.stdout!.resume();
    const closed = new Promise((r) => proc.once("close", r));
    proc.kill("SIGKILL");
    await closed;
    await mock.close();
  }
});
