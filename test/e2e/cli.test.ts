// The command line: help, bad values (one line, exit 2), startup failures (one line, exit 1), prices, and a
// --prices override that reaches the stored cost.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import type { UsageRecord } from "../../src/usage/record.ts";
import { startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { kestrelCommand } from "../_helpers/runtime.ts";

function kestrel(args: string[], env: Record<string, string> = {}) {
  const [cmd, argv] = kestrelCommand(args);
  return spawnSync(cmd, argv, { encoding: "utf8", env: { ...process.env, ...env }, cwd: tempDir(), timeout: 30_000 });
}

test("--help lists every option with its environment twin", () => {
  const r = kestrel(["--help"]);
  assert.equal(r.status, 0);
  for (const text of ["--port", "KESTREL_PORT", "--upstream NAME=URL", "KESTREL_UPSTREAM_<NAME>", "--log-format", "--prices", "kestrel usage", "kestrel budgets", "kestrel rate-limits"]) {
    assert.ok(r.stdout.includes(text), text);
  }
});

// Bad values: exactly one line on stderr and exit code 2.
const BAD: [args: string[], env: Record<string, string>, message: RegExp][] = [
  [["--port", "abc"], {}, /^kestrel: --port must be a port number 0-65535, got "abc"\n$/],
  [["serve", "--log-format", "xml"], {}, /^kestrel: --log-format must be one of text, json, got "xml"\n$/],
  [[], { KESTREL_UPSTREAM_OPENAI: "ftp://x" }, /^kestrel: KESTREL_UPSTREAM_OPENAI must be scheme:\/\/host\[:port\] only/],
  [["--bogus"], {}, /^kestrel: Unknown option --bogus \(see kestrel --help\)\n$/],
];
for (const [args, env, message] of BAD) {
  test(`bad value ${JSON.stringify(args)} ${JSON.stringify(env)}: one line, exit 2`, () => {
    const r = kestrel(args, env);
    assert.equal(r.status, 2);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });
}

test("a malformed --prices file fails startup naming the line and key", () => {
  const file = join(tempDir(), "prices.json");
  writeFileSync(file, '{\n  "openai/gpt-x": {\n    "input": 3,\n    "output": "lots"\n  }\n}\n');
  const r = kestrel(["--prices", file, "--port", "0"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kestrel: Invalid price file ".*prices\.json": line 4, key "openai\/gpt-x"/);
  assert.equal(r.stderr.trim().split("\n").length, 1);
});

test("a port already in use: one line, exit 1", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const r = kestrel(["--port", String(port), "--db", join(tempDir(), "k.db")]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^kestrel: Cannot listen on 127\\.0\\.0\\.1:${port}: `));
    assert.equal(r.stderr.trim().split("\n").length, 1);
  } finally {
    server.close();
  }
});

test("kestrel prices MODEL shows the effective price and its source", () => {
  const r = kestrel(["prices", "claude-3-5-haiku-20241022"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /claude-3-5-haiku-20241022/);
  assert.match(r.stdout, /0\.8/);
});

test("--prices overrides reach the stored cost end to end", async () => {
  const file = join(tempDir(), "prices.json");
  writeFileSync(file, JSON.stringify({ "together/acme-llm-9000": { input: 2, output: 10 } }));
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ model: "acme-llm-9000", usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 } }));
  });
  const k = await startKestrel(["--upstream", `together=${mock.url}`, "--prices", file]);
  try {
    await (await fetch(`${k.url}/together/v1/chat/completions`, { method: "POST", body: "{}" })).arrayBuffer();
    // 1000 × $2/M + 100 × $10/M = $0.002 + $0.001 = $0.003
    await k.waitForLine(/Together API Usage .*Cost: \$0\.003000/);
    let record: UsageRecord | undefined;
    await until("the stored record", async () => {
      record = ((await (await fetch(`${k.url}/api/requests`)).json()) as { requests: UsageRecord[] }).requests[0];
      return record !== undefined;
    });
    assert.equal(record!.cost_usd, "0.003");
    assert.equal(record!.priced, true);
    assert.match(record!.price_version!, /\+o[0-9a-f]{8}$/);
  } finally {
    await k.stop();
    await mock.close();
  }
});
