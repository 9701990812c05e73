// Fault: the upstream's name does not resolve (a name under .invalid never does, RFC 6761). The client gets a JSON
// 502 at once, the exchange is recorded with the reason, and the key stays out of it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startKestrel } from "../_helpers/kestrel.ts";
import { recordTagged } from "../_helpers/records.ts";

test("an upstream name that does not resolve → 502 upstream_unreachable JSON, recorded with the reason", async () => {
  // A host without a working resolver may take seconds to give up: the answer must still be "unreachable", not
  // a connect timeout.
  const k = await startKestrel(["--upstream", "openai=http://kestrel-test.invalid:8080", "--connect-timeout", "60s"]);
  try {
    const res = await fetch(`${k.url}/openai/v1/chat/completions`, {
      method: "POST",
      body: '{"model":"gpt-4o-mini"}',
      headers: { authorization: "Bearer sk-DNSFAULTKEY", "content-type": "application/json", "x-kestrel-tags": "dns" },
    });
    const body = await res.json() as { error: { code: string; message: string } };
    assert.equal(res.status, 502);
    assert.equal(body.error.code, "upstream_unreachable");
    assert.match(body.error.message, /kestrel-test\.invalid/);
    const r = await recordTagged(k.url, "dns");
    assert.equal(r.status, 502);
    assert.equal(r.outcome, "error");
    assert.match(r.usage_error ?? "", /kestrel-test\.invalid|ENOTFOUND|dns|lookup|resolve|Fetch failed/i);
    assert.equal((await fetch(`${k.url}/health`)).status, 200);
    assert.ok(!k.lines.join("\n").includes("DNSFAULTKEY"));
  } finally {
    await k.stop();
  }
});
