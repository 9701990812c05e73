// Two Kestrel processes on one PostgreSQL (`--store postgres://…`) under concurrent load through both: /api/usage
// from either equals what was sent, a budget holds across both within the documented overshoot bound (the spend
// each instance admitted in two sync intervals plus its requests in flight), and each alert goes out once.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { usd } from "../../src/pricing/money.ts";
import { testNeeding } from "../_helpers/host.ts";
import { type Kestrel, startKestrel, tempDir } from "../_helpers/kestrel.ts";
import { sleep, startMock } from "../_helpers/mock-upstream.ts";
import { until } from "../_helpers/poll.ts";
import { pgMissing, startPostgres } from "../_helpers/postgres.ts";
import { kestrelCommand } from "../_helpers/runtime.ts";

/** gpt-4o-mini, 1,000 tokens in and out: $0.00075 a request. */
const COST_PICO = 750_000_000;
/** Sync interval of the serving process (src/control/setup.ts). */
const SYNC_MS = 250;
/** Requests each instance has in flight at once. */
const PER_INSTANCE = 4;

/** Null when this build has `--store` (the PostgreSQL store), else why the test cannot run. */
function missing(): string | null {
  const pg = pgMissing();
  if (pg !== null) return pg;
  const [cmd, argv] = kestrelCommand(["--help"]);
  const help = spawnSync(cmd, argv, { encoding: "utf8", timeout: 60_000 });
  return `${help.stdout}${help.stderr}`.includes("--store") ? null : "needs the --store flag (the PostgreSQL store)";
}

const chat = (url: string, project: string) =>
  fetch(`${url}/openai/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-pg-test", "x-kestrel-project": project },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
  });

async function usage(k: Kestrel, project: string): Promise<{ requests: number; cost_usd: string }> {
  const res = await fetch(`${k.url}/api/usage?project=${project}`);
  return ((await res.json()) as { total: { requests: number; cost_usd: string } }).total;
}

async function spent(k: Kestrel, id: string): Promise<string> {
  const body = (await (await fetch(`${k.url}/api/budgets`)).json()) as { budgets: { id: string; spent_usd: string }[] };
  return body.budgets.find((b) => b.id === id)!.spent_usd;
}

/** Most requests admitted by one instance within any `spanMs` (from the times its 200s were sent). */
function mostWithin(times: number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! > spanMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

testNeeding("two instances on one PostgreSQL: usage agrees, a budget holds across both, one alert per crossing", missing(), async () => {
  const pg = await startPostgres();
  // The budgeted load is paced (each answer takes a moment), so it spans several sync intervals.
  let delayMs = 0;
  const mock = await startMock(async (_req, res) => {
    if (delayMs > 0) await sleep(delayMs);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      id: "chatcmpl-1", object: "chat.completion", model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 },
    }));
  });
  const hooks: Record<string, unknown>[] = [];
  const hook = await startMock((_req, res, body) => {
    hooks.push(JSON.parse(body.toString("utf8")));
    res.writeHead(204).end();
  });
  const config = join(tempDir(), "kestrel.json");
  // 400 requests' worth, reached under concurrency on both.
  writeFileSync(config, JSON.stringify({
    budgets: [{ id: "team", scope: { project: "team" }, window: "month", limit_usd: "0.3", alert_at: [0.5] }],
    alerts: { webhooks: [{ url: `${hook.url}/hook`, format: "json" }] },
  }));
  const args = ["--store", pg.url, "--upstream", `openai=${mock.url}`, "--config", config];
  const nodes: Kestrel[] = [];
  try {
    nodes.push(await startKestrel(args), await startKestrel(args));
    // Unbudgeted load through both: every record lands in the one database.
    const free = await Promise.all(nodes.flatMap((k) => Array.from({ length: 30 }, () => chat(k.url, "free"))));
    for (const res of free) {
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    for (const k of nodes) {
      await until("60 records seen by each instance", async () => (await usage(k, "free")).requests === 60);
      assert.equal((await usage(k, "free")).cost_usd, "0.045");
    }

    // Budgeted load: PER_INSTANCE workers on each instance until each has been refused a few times.
    delayMs = 10;
    const admitted: number[][] = nodes.map(() => []);
    await Promise.all(nodes.flatMap((k, n) =>
      Array.from({ length: PER_INSTANCE }, async () => {
        for (let refused = 0; refused < 3;) {
          const sentAt = Date.now();
          const res = await chat(k.url, "team");
          await res.arrayBuffer();
          if (res.status === 200) admitted[n]!.push(sentAt);
          else {
            assert.equal(res.status, 429);
            refused++;
          }
        }
      })
    ));
    const total = admitted[0]!.length + admitted[1]!.length;
    const limitPico = 300_000_000_000;
    const overshoot = total * COST_PICO - limitPico;
    // The documented bound, from what each instance actually admitted: two sync intervals' worth plus in flight.
    // Measured over twice that span: on a busy machine a timer may fire late, and a late sync is a longer interval.
    const bound = admitted.reduce((sum, times) => sum + (mostWithin(times, 4 * SYNC_MS) + PER_INSTANCE) * COST_PICO, 0);
    assert.ok(total * COST_PICO >= limitPico, `the budget was used up: ${total} requests`);
    assert.ok(overshoot <= bound, `overshoot ${overshoot} pico within ${bound} (${admitted.map((a) => a.length)} admitted)`);

    // Both instances converge on the same spend, which is exactly what went through both.
    const expected = usd(total * COST_PICO);
    for (const k of nodes) {
      await until("the shared spend on each instance", async () => (await spent(k, "team")) === expected, {
        detail: () => `expected ${expected}`,
      });
      await until("the team's records", async () => (await usage(k, "team")).requests >= total);
    }
    await until("the alerts", () => hooks.some((h) => h.type === "budget.threshold") && hooks.some((h) => h.type === "budget.blocked"));
    for (const k of nodes) await k.stop();
    nodes.length = 0;
    assert.equal(hooks.filter((h) => h.type === "budget.threshold").length, 1, JSON.stringify(hooks));
    assert.equal(hooks.filter((h) => h.type === "budget.blocked").length, 1, JSON.stringify(hooks));
  } finally {
    for (const k of nodes) await k.stop();
    await mock.close();
    await hook.close();
    pg.close();
  }
});
