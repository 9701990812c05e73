// An alert whose delivery was under way when Kestrel was killed (kill -9, the webhook failing) is delivered exactly
// once after the webhook heals: by the restarted process on SQLite, by the surviving instance on PostgreSQL, and a
// restart after that sends nothing more. Issue 20 item 11: the restart (or the survivor) re-raised the crossing,
// marked it seen, found the key claimed, and its resume skipped it as seen, so nobody ever delivered it.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { testNeeding } from "../_helpers/host.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { type Mock, sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { pgMissing, startPostgres } from "../_helpers/postgres.ts";

/** gpt-4o-mini, 1,000 tokens in and out: $0.00075, which crosses 50% of the $0.001 budget. */
function upstream(): Promise<Mock> {
  return startMock((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      id: "chatcmpl-1",
      object: "chat.completion",
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 },
    }));
  });
}

/** A webhook answering 500 while `failing`, then 200; `taken` holds what it answered 200 to. */
async function webhook(): Promise<Mock & { failing: boolean; taken: Record<string, unknown>[] }> {
  const hook = Object.assign(
    await startMock((_req, res, body) => {
      if (!hook.failing) hook.taken.push(JSON.parse(body.toString("utf8")));
      res.writeHead(hook.failing ? 500 : 200).end();
    }),
    { failing: true, taken: [] as Record<string, unknown>[] },
  );
  return hook;
}

function config(hookUrl: string): string {
  const path = join(tempDir(), "kestrel.json");
  writeFileSync(path, JSON.stringify({
    budgets: [{ id: "crash", scope: { project: "crash" }, window: "month", limit_usd: "0.001", alert_at: [0.5] }],
    alerts: { webhooks: [{ url: `${hookUrl}/hook`, format: "json" }] },
  }));
  return path;
}

async function cross(k: Kestrel): Promise<void> {
  const res = await fetch(`${k.url}/openai/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-crash-test", "x-kestrel-project": "crash" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

/** Two failed attempts, then the kill: between attempts (the attempt's outcome is recorded within milliseconds). */
async function killMidDelivery(k: Kestrel, hook: Mock): Promise<void> {
  await until("two failed attempts", () => hook.received.length >= 2);
  await sleep(300);
  await k.stop("SIGKILL");
}

/** A process started later on the same store sends nothing more: the delivery is done for good. */
async function stillOnce(nodes: Kestrel[], hook: { taken: unknown[] }, later: Promise<Kestrel>): Promise<void> {
  nodes.push(await later);
  await sleep(1500);
  assert.equal(hook.taken.length, 1);
}

/** Exactly one delivery, and still one a moment later. */
async function deliveredOnce(hook: { taken: Record<string, unknown>[] }, what: string): Promise<void> {
  await until(what, () => hook.taken.length >= 1, { timeoutMs: 20_000 });
  await sleep(1500); // room for a wrong second delivery to arrive; the assertion is that none does
  assert.deepEqual(hook.taken.map((b) => [b.type, b.budget, b.threshold]), [["budget.threshold", "crash", 0.5]]);
}

test("SQLite: killed while its webhook failed, the restarted process delivers the alert exactly once", async () => {
  const mock = await upstream();
  const hook = await webhook();
  const file = config(hook.url);
  const args = ["--upstream", `openai=${mock.url}`, "--config", file];
  const nodes: Kestrel[] = [];
  try {
    const first = await startKestrel(args);
    nodes.push(first);
    await cross(first);
    await killMidDelivery(first, hook);
    hook.failing = false;
    const second = await startKestrel([...args, "--db", first.db]);
    nodes.push(second);
    await deliveredOnce(hook, "the restarted process's delivery");
    await second.stop();
    await stillOnce(nodes, hook, startKestrel([...args, "--db", first.db]));
  } finally {
    for (const k of nodes) await k.stop();
    await mock.close();
    await hook.close();
  }
});

testNeeding("PostgreSQL: one of two instances killed while its webhook failed, the survivor delivers the alert exactly once", pgMissing(), async () => {
  const pg = await startPostgres();
  const mock = await upstream();
  const hook = await webhook();
  const args = ["--store", pg.url, "--upstream", `openai=${mock.url}`, "--config", config(hook.url)];
  const nodes: Kestrel[] = [];
  try {
    const [a, b] = [await startKestrel(args), await startKestrel(args)];
    nodes.push(a!, b!);
    // The crossing happens on a; b sees it at its next sync and finds the alert claimed.
    await cross(a!);
    await killMidDelivery(a!, hook);
    hook.failing = false;
    await deliveredOnce(hook, "the survivor's delivery");
    // The killed instance comes back.
    await stillOnce(nodes, hook, startKestrel(args));
  } finally {
    for (const k of nodes) await k.stop();
    await mock.close();
    await hook.close();
    pg.close();
  }
});
