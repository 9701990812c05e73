// Over real sockets: what a hostile or odd request can reach — secrets in error texts, the Bedrock host
// template, /api behind DNS rebinding and bare request targets, and forged log lines.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { test } from "node:test";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { closedPort, sleep, startMock } from "../_helpers/mock-upstream.ts";


/** Sends `text` as is over TCP (fetch always sends a Host) and returns everything until the server closes. */
function raw(url: string, text: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let out = "";
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to ${JSON.stringify(text)}: ${out}`)), 15_000);
    socket.on("data", (d: Buffer) => (out += d.toString("latin1")));
    socket.on("error", (err) => (clearTimeout(timer), reject(err)));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(out)?.[1] ?? 0), body: out.slice(out.indexOf("\r\n\r\n") + 4) });
    });
  });
}

interface Row {
  path: string;
  model: string | null;
  usage_error: string | null;
}

/** Waits (with a deadline) until /api/requests lists `count` records. */
async function records(k: Kestrel, count: number): Promise<{ text: string; rows: Row[] }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await (await fetch(`${k.url}/api/requests`)).text();
    const rows = (JSON.parse(text) as { requests: Row[] }).requests;
    if (rows.length >= count || Date.now() > deadline) return { text, rows };
    await sleep(25);
  }
}

function dbText(k: Kestrel): string {
  return [k.db, `${k.db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1")).join("");
}

test("a ?key= never reaches the DB, the API, the export, stdout or stderr when the upstream fails", async () => {
  const SECRET = "AIzaSECRETKEY-reach";
  const closed = await closedPort();
  // Headers, one event, then a reset: the body errors mid-stream (Bun's error holds the full URL).
  const cut = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('data: {"candidates":[{"content":{"parts":[{"text":"hi"}]}}]}\n\n');
    setTimeout(() => res.socket!.destroy(), 50);
  });
  // A small JSON answer that stops half-way.
  const half = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('{"usageMetadata":');
    setTimeout(() => res.socket!.destroy(), 50);
  });
  const k = await startKestrel([
    "--upstream",
    `google-ai-studio=http://127.0.0.1:${closed}`,
    "--upstream",
    `google-vertex-ai=${cut.url}`,
    "--upstream",
    `groq=${half.url}`,
  ]);
  try {
    const refused = await fetch(`${k.url}/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent?key=${SECRET}`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(refused.status, 502);
    const refusedText = await refused.text();
    const stream = await fetch(
      `${k.url}/google-vertex-ai/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=${SECRET}`,
      { method: "POST", body: "{}" },
    );
    assert.equal(stream.status, 200);
    await assert.rejects(stream.text());
    const small = await fetch(`${k.url}/groq/openai/v1/chat/completions?key=${SECRET}`, { method: "POST", body: "{}" });
    const smallText = await small.text();
    const { text: listed, rows } = await records(k, 3);
    assert.equal(rows.length, 3);
    const exports = await Promise.all(
      ["csv", "json", "ndjson"].map(async (f) => (await fetch(`${k.url}/api/export?format=${f}`)).text()),
    );
    const refusedRow = rows.find((r) => r.path.startsWith("/google-ai-studio/"))!;
    // The cause is kept (Deno's message alone is "fetch failed"), redacted.
    assert.match(refusedRow.usage_error ?? "", /refused|ECONNREFUSED/i);
    assert.equal(await k.stop(), 0);
    const haystacks = {
      stdout: k.lines.join("\n"),
      stderr: k.stderr(),
      db: dbText(k),
      api: listed,
      exports: exports.join("\n"),
      responses: refusedText + smallText,
    };
    for (const [where, text] of Object.entries(haystacks)) {
      assert.ok(!text.includes("SECRETKEY"), `the key leaked into the ${where}:\n${text}`);
    }
    assert.equal(k.stderr(), "", "runtime errors go through the log, not raw to stderr");
  } finally {
    await k.stop();
    await cut.close();
    await half.close();
  }
});

test("the Bedrock host template reaches only Bedrock: an S3 bucket or STS is a 400, nothing leaves", async () => {
  const k = await startKestrel();
  try {
    for (const path of ["/aws-bedrock/my-bucket/s3/x", "/aws-bedrock/sts/us-east-1/", "/aws-bedrock/bedrock-runtime/evil/x"]) {
      const res = await fetch(k.url + path, { method: "POST", body: "{}" });
      assert.equal(res.status, 400, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "invalid_path");
    }
  } finally {
    await k.stop();
  }
});

test("without an admin token /api answers only loopback Host names (DNS rebinding)", async () => {
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"from":"upstream"}');
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    await (await fetch(`${k.url}/openai/v1/models`)).arrayBuffer(); // one record to leak
    assert.equal((await records(k, 1)).rows.length, 1);
    const port = new URL(k.url).port;

    // DNS rebinding: the browser sends the attacker's name as Host.
    for (const host of ["attacker.example", `attacker.example:${port}`, "localhost.attacker.example"]) {
      const res = await raw(k.url, `GET /api/export HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.equal(res.status, 403, host);
      assert.match(res.body, /"forbidden_host"/);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "localhost"]) {
      const res = await raw(k.url, `GET /api/requests HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.equal(res.status, 200, host);
      assert.match(res.body, /"requests":\[\{/);
    }
    // Deno builds its URL from the Host header as sent: a Host with a path must not open /api either.
    const pathHost = await raw(k.url, "GET /requests HTTP/1.1\r\nHost: localhost/api\r\nConnection: close\r\n\r\n");
    assert.doesNotMatch(pathHost.body, /"requests"/);
    const noHost = await raw(k.url, "GET /api/requests HTTP/1.0\r\n\r\n");
    assert.equal(noHost.status, 403);
    assert.doesNotMatch(noHost.body, /"requests"/);
  } finally {
    await k.stop();
    await mock.close();
  }
});

test("an empty Host or none (HTTP/1.0) keeps the path whole: /openai/api/requests is OpenAI's, /health is health", async () => {
  const mock = await startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"from":"upstream"}');
  });
  const k = await startKestrel(["--upstream", `openai=${mock.url}`]);
  try {
    await (await fetch(`${k.url}/openai/v1/models`)).arrayBuffer(); // one record to leak
    assert.equal((await records(k, 1)).rows.length, 1);

    // An empty Host: Bun hands over the bare target; its first segment must not be dropped.
    const empty = await raw(k.url, "GET /openai/api/requests HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n");
    assert.doesNotMatch(empty.body, /"requests"/, "records came back");
    assert.equal(empty.status, 200);
    assert.match(empty.body, /"from":"upstream"/);
    assert.equal(mock.received.at(-1)!.url, "/api/requests");

    const health = await raw(k.url, "GET /health HTTP/1.0\r\n\r\n");
    assert.equal(health.status, 200);
    assert.match(health.body, /Healthy/);
    const providers = await raw(k.url, "GET /providers HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n");
    assert.equal(providers.status, 200);
    assert.match(providers.body, /"openai"/);
  } finally {
    await k.stop();
    await mock.close();
  }
});

for (const format of ["text", "json"]) {
  test(`a model name with CR/LF or a quoted key= cannot forge or break a ${format} log line`, async () => {
    // The upstream names no model, so the record takes the request body's.
    const mock = await startMock((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    });
    const k = await startKestrel(["--log-format", format, "--upstream", `openai=${mock.url}`]);
    try {
      const models = [
        "gpt-4o\r\n[12:00:00 INF] OpenAI API Usage - Request: forged, Model: gpt-4o, Cost: $0.000000",
        '{"forged":true}\nx',
        'x?key=SECRETKEY"y',
        "x\u001b[2Jy",
      ];
      for (const model of models) {
        const res = await fetch(`${k.url}/openai/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, messages: [] }),
        });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      await records(k, models.length);
      assert.equal(await k.stop(), 0);
      const lines = k.lines.filter((l) => l !== "");
      const usage = lines.filter((l) => /^\[\d\d:\d\d:\d\d INF\] OpenAI API Usage|^\{"id":/.test(l));
      assert.equal(usage.length, models.length, lines.join("\n"));
      for (const line of lines) {
        assert.ok(!line.includes("SECRETKEY"), line);
        assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(line), `a control character in ${JSON.stringify(line)}`);
        if (format === "json") assert.doesNotThrow(() => JSON.parse(line), line);
        else assert.match(line, /^\[\d\d:\d\d:\d\d (INF|WRN|ERR)\] /);
      }
      assert.ok(!lines.some((l) => l.startsWith("[12:00:00 INF]") || l.startsWith('{"forged"')), "a forged line");
      if (format === "json") {
        const logged = usage.map((l) => (JSON.parse(l) as { model: string }).model);
        assert.deepEqual(logged, [models[0], models[1], 'x?key=[redacted]"y', models[3]]);
      }
    } finally {
      await k.stop();
      await mock.close();
    }
  });
}
