// Every line Kestrel emits goes through its logger: a stream cut for idleness and a corrupt gzip answer (streamed,
// small JSON and cut mid-body) leave stderr empty and every stdout line a logger line, in text and JSON mode. The
// runtimes would otherwise print an 11-line `error: Cut: idle` trace (Bun), an `Unhandled error` (Deno's onError)
// and Bun's native `Decompression error: ZlibError`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { startKestrel } from "../_helpers/kestrel.ts";
import { startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";

const CHUNK = 'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n';
const GOOD = gzipSync(Buffer.from(CHUNK.repeat(200)));

/** What the mock answers for each path: an idle stream, corrupt gzip streamed, as small JSON, cut mid-body. */
const CASES: Record<string, { contentType: string; encoding?: string; bytes?: Buffer; hang?: boolean }> = {
  idle: { contentType: "text/event-stream", bytes: Buffer.from(CHUNK), hang: true },
  "bad-gzip-sse": { contentType: "text/event-stream", encoding: "gzip", bytes: Buffer.concat([GOOD.subarray(0, 40), Buffer.from("not gzip at all")]) },
  "bad-gzip-json": { contentType: "application/json", encoding: "gzip", bytes: Buffer.from("definitely not gzip") },
  "cut-gzip": { contentType: "text/event-stream", encoding: "gzip", bytes: GOOD.subarray(0, GOOD.length - 20) },
};

const TEXT_LINE = /^\[\d{2}:\d{2}:\d{2} (INF|WRN|ERR|DBG)\] /;

for (const format of ["text", "json"] as const) {
  test(`stderr stays empty and stdout holds only ${format} log lines through an idle cut and corrupt gzip`, async () => {
    const mock = await startMock((req, res) => {
      const c = CASES[req.url!.split("/").pop()!]!;
      res.writeHead(200, { "content-type": c.contentType, ...(c.encoding ? { "content-encoding": c.encoding } : {}) });
      if (c.hang) res.write(c.bytes);
      else res.end(c.bytes);
    });
    const k = await startKestrel(["--idle-timeout", "300ms", "--log-format", format, "--upstream", `openai=${mock.url}`]);
    try {
      for (const name of Object.keys(CASES)) {
        try {
          const res = await fetch(`${k.url}/openai/v1/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"model":"gpt-4o","stream":true}' });
          await res.arrayBuffer();
        } catch {
          // The client sees a broken body; what matters is what Kestrel printed.
        }
      }
      const usageLines = () => k.lines.filter((l) => format === "json" ? l.startsWith('{"id"') : / API Usage - /.test(l));
      await until("every exchange logged", () => usageLines().length === Object.keys(CASES).length, { detail: () => k.lines.join("\n") });
      assert.equal(await k.stop(), 0);
      assert.equal(k.stderr(), "", "stderr must stay empty");
      for (const line of k.lines) {
        if (format === "text") assert.match(line, TEXT_LINE, line);
        else assert.doesNotThrow(() => JSON.parse(line), line);
      }
      const all = k.lines.join("\n");
      assert.ok(!/Unhandled|Cut: idle|ZlibError|Decompression error/.test(all), all);
      // Each was recorded for what it was.
      const outcomes = usageLines().map((l) => format === "json" ? (JSON.parse(l) as { outcome: string }).outcome : /Outcome: (\w+)/.exec(l)?.[1]);
      assert.deepEqual(outcomes.sort(), ["timeout", "upstream_aborted", "upstream_aborted", "upstream_aborted"]);
    } finally {
      await k.stop();
      await mock.close();
    }
  });
}
