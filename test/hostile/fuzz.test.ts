// Property over a live Kestrel: a valid request with random byte-level damage (flipped bytes, inserted CR, LF, NUL,
// colons, spaces, duplicated or dropped spans) never takes the server down. Each answer is the upstream's JSON, one
// of Kestrel's JSON errors, or the runtime's own refusal of malformed HTTP (a 4xx/5xx or a closed connection);
// /health answers after every case. Cases run sequentially with a short wait each (`npm run test:long`: more).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { type Kestrel, startKestrel } from "../_helpers/kestrel.ts";
import { runs } from "../properties/_runs.ts";
import { rawBody, rawRequest, reply, startRawUpstream } from "./_sockets.ts";

const OK = '{"id":"c1","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}';
const BODY = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
const REQUEST = `POST /openai/v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nx-case: ok\r\nauthorization: Bearer sk-FUZZKEY\r\n` +
  `content-type: application/json\r\nx-kestrel-tags: fuzz\r\nconnection: close\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

let k: Kestrel;
let upstream: Awaited<ReturnType<typeof startRawUpstream>>;

before(async () => {
  upstream = await startRawUpstream(new Map([["ok", reply({ headers: { "content-type": "application/json", "content-length": String(OK.length) }, parts: [OK] })]]));
  k = await startKestrel(["--upstream", `openai=${upstream.url}`, "--idle-timeout", "1s"]);
});

after(async () => {
  await k?.stop();
  await upstream?.close();
});

const edit = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom("\r", "\n", "\0", ":", " ", "\r\n", "\t", "%", "/..", "\xff", "\r\n\r\n") }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 60 }) }),
);

function damaged(edits: { kind: string; at: number; bits?: number; text?: string; length?: number }[]): Buffer {
  let bytes = Buffer.from(REQUEST, "latin1");
  for (const e of edits) {
    const at = e.at % (bytes.length + 1);
    if (e.kind === "flip" && at < bytes.length) bytes[at] = bytes[at]! ^ e.bits!;
    else if (e.kind === "insert") bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(e.text!, "latin1"), bytes.subarray(at)]);
    else if (e.kind === "cut") bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + e.length!)]);
    else if (e.kind === "repeat") bytes = Buffer.concat([bytes.subarray(0, at + e.length!), bytes.subarray(at)]);
  }
  return bytes;
}

test("fuzz: a damaged request never takes Kestrel down, and every answer is one Kestrel or its runtime would give", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
      const sent = damaged(edits);
      const got = await rawRequest(k.url, [sent], { waitMs: 400 });
      if (got.status !== null) {
        assert.ok(got.status >= 200 && got.status < 600, `status ${got.status}`);
        const body = rawBody(got.bytes).toString("utf8");
        if (got.status === 200) assert.equal(body, OK);
        else if (body.startsWith("{")) assert.equal(typeof (JSON.parse(body) as { error?: { code?: unknown } }).error?.code, "string", body);
      }
      const health = await fetch(`${k.url}/health`);
      assert.equal(health.status, 200, `after ${JSON.stringify(sent.toString("latin1"))}`);
      await health.arrayBuffer();
    }),
    runs(60, 3000),
  );
  assert.ok(!k.lines.join("\n").includes("FUZZKEY"), "the key stays out of the log");
});
