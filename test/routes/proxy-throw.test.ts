// In process: a throw of Kestrel's own inside the provider fast path (which Hono's onError does not cover)
// becomes a logged JSON 500 — never the runtime's error page — and the exchange is still recorded once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createApp } from "../../src/app.ts";
import type { Control } from "../../src/control/types.ts";
import { parseConfig } from "../../src/config.ts";
import { createPricer } from "../../src/pricing/pricer.ts";
import { createLogger } from "../../src/log.ts";
import type { Store } from "../../src/store/store.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { until } from "../_helpers/poll.ts";

const decoder = new TextDecoder();

function appWith(fetch: typeof globalThis.fetch, control: Control | null = null) {
  const records: UsageRecord[] = [];
  const logged: string[] = [];
  const app = createApp({
    config: parseConfig({ args: [], env: {}, readFile: () => "" }),
    fetch,
    now: Date.now,
    log: createLogger({ format: "text", write: (b) => (logged.push(decoder.decode(b)), Promise.resolve()), now: Date.now }),
    store: { add: (r: UsageRecord) => void records.push(r) } as unknown as Store,
    pricer: createPricer(),
    probe: null,
    control: control === null ? null : { control, changed: () => Promise.resolve() },
  });
  return { app, records, logged };
}

test("a throw while answering a provider request → JSON 500 through the logger, one record", async () => {
  const { app, records, logged } = appWith(() => {
    const res = new Response("{}", { headers: { "content-type": "application/json" } });
    // An upstream answer Kestrel cannot read: any later access throws.
    Object.defineProperty(res, "headers", { get: () => { throw new Error("headers exploded"); } });
    return Promise.resolve(res);
  });
  const res = await app.fetch(new Request("http://127.0.0.1/openai/v1/chat/completions", { method: "POST", body: "{}" }));
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: { code: "internal_error", message: "Internal error" } });
  await app.drain(1000);
  await until("the error log line", () => logged.join("").includes("headers exploded"));
  assert.match(logged.join(""), /ERR\] Unhandled error: .*headers exploded/);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.status, 500);
  assert.equal(records[0]!.outcome, "error");
  assert.match(records[0]!.usage_error!, /internal error: headers exploded/);
  assert.equal(app.inFlight, 0);
});

test("a fault in the budget check lets the request through (fail open) and says so in the log", async () => {
  const broken: Control = {
    active: true,
    check: () => {
      throw new Error("ledger exploded");
    },
    settle: () => {},
    budgetStates: () => [],
    budgetState: () => null,
    rateLimitStates: () => [],
    rateLimitState: () => null,
    put: () => Promise.resolve(),
    remove: () => {},
    blockedBy: () => null,
    load: () => Promise.resolve(),
  };
  const { app, records, logged } = appWith(() => Promise.resolve(Response.json({ ok: true })), broken);
  const res = await app.fetch(new Request("http://127.0.0.1/openai/v1/chat/completions", { method: "POST", body: "{}" }));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true });
  await app.drain(1000);
  await until("the warning", () => logged.join("").includes("ledger exploded"));
  assert.match(logged.join(""), /WRN\] Budget check failed, request let through: ledger exploded/);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.outcome, "ok");
});
