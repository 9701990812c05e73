// API keys never reach the database, the logs or the exports — only a short fingerprint does.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { startKestrel } from "../_helpers/kestrel.ts";
import { closedPort, sleep, startMock } from "../_helpers/mock-upstream.ts";

const SECRETS = ["sk-SECRETKEY-one", "SECRETKEY-two", "AIzaSECRETKEY-three", "AIzaSECRETKEY-four"];


for (const format of ["text", "json"]) {
  test(`keys never appear in the DB, the ${format} log or any export`, async () => {
    const mock = await startMock((req, res) => {
      if (req.url!.includes("echo")) {
        // An upstream error that quotes the request back, `?k%65y=` (a percent-encoded `key`) included.
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: 400, message: `Bad request ${req.url}`, status: "INVALID_ARGUMENT" } }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ model: "gpt-4o-mini", usageMetadata: { promptTokenCount: 1 }, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    });
    const k = await startKestrel(["--log-format", format, "--upstream", `openai=${mock.url}`, "--upstream", `google-ai-studio=${mock.url}`, "--upstream", `groq=http://127.0.0.1:${await closedPort()}`]);
    try {
      const send = async (path: string, headers: Record<string, string>) => (await fetch(k.url + path, { method: "POST", body: "{}", headers })).arrayBuffer();
      await send("/openai/v1/chat/completions", { authorization: `Bearer ${SECRETS[0]}` });
      await send("/openai/v1/chat/completions", { "x-api-key": SECRETS[1]! });
      await send("/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent", { "x-goog-api-key": SECRETS[2]! });
      await send(`/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent?key=${SECRETS[3]}`, {});
      await send(`/groq/openai/v1/chat/completions?key=${SECRETS[3]}`, { authorization: `Bearer ${SECRETS[0]}` }); // 502 path
      // The provider decodes the parameter's name: `k%65y` is `key`, a credential like any other.
      await send(`/google-ai-studio/v1beta/models/echo:generateContent?alt=sse&k%65y=${SECRETS[3]}`, {});
      let listed = "";
      for (let i = 0; i < 200; i++) {
        listed = await (await fetch(`${k.url}/api/requests`)).text();
        if ((JSON.parse(listed) as { requests: unknown[] }).requests.length === 6) break;
        await sleep(25);
      }
      const exports = await Promise.all(["csv", "json", "ndjson"].map(async (f) => (await fetch(`${k.url}/api/export?format=${f}`)).text()));
      assert.equal(await k.stop(), 0);
      const db = [k.db, `${k.db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1")).join("");
      const haystacks = { log: k.lines.join("\n") + k.stderr(), db, exports: exports.join("\n"), api: listed };
      for (const [where, text] of Object.entries(haystacks)) {
        for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} leaked into the ${where}`);
        assert.ok(!text.includes("SECRETKEY"), `a key fragment leaked into the ${where}`);
      }
      const rows = (JSON.parse(listed) as { requests: { key_id: string | null; usage_error: string | null }[] }).requests;
      // The upstream's echo is kept, its key redacted by the parameter's decoded name.
      assert.match(rows[0]!.usage_error ?? "", /Bad request \/v1beta\/models\/echo:generateContent\?alt=sse&k%65y=\[redacted\]/);
      // The connect error itself was met (and its cause kept), not a refusal before connecting.
      assert.match(rows[1]!.usage_error ?? "", /refused|ECONNREFUSED/i);
      const ids = rows.map((r) => r.key_id);
      assert.equal(ids.length, 6);
      for (const id of ids) assert.match(id!, /^[0-9a-f]{12}$/);
      // Newest first: echo, groq, key=, x-goog-api-key, x-api-key, Bearer.
      assert.equal(ids[1], ids[5], "the same key gives the same fingerprint");
      assert.equal(ids[0], ids[2], "`k%65y=` is fingerprinted as the same key as `key=`");
    } finally {
      await k.stop();
      await mock.close();
    }
  });
}
