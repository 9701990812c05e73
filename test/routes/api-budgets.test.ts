import assert from "node:assert/strict";
import { test } from "node:test";
import type { Budget, BudgetState, Control, RateLimit, RateLimitState } from "../../src/control/types.ts";
import { createStore } from "../../src/store/store.ts";
import { drivers } from "../store/helpers.ts";
import { mountApi, NOW } from "../store/seed.ts";
import { BUDGET } from "../control/_helpers.ts";

const { open } = (await drivers())[0]!;


/** A Control whose budgetStates() reports fixed spend per budget id; counts the reloads asked for. */
function fakeControl(spent: Record<string, { pico: number; tokens: number }>) {
  const seen: number[] = [];
  let budgets: Budget[] = [];
  let limits: RateLimit[] = [];
  const stateOf = (budget: Budget): BudgetState => ({
    budget,
    spent_pico: BigInt(spent[budget.id]?.pico ?? 0),
    spent_tokens: spent[budget.id]?.tokens ?? 0,
    reserved_pico: 0n,
    reserved_tokens: 0,
    window_start: "2026-11-01T00:00:00.000Z",
    resets_at: "2026-12-01T00:00:00.000Z",
  });
  const control: Control = {
    check: () => ({ refusal: null, remainingUsd: null, reservation: null }),
    settle: () => {},
    budgetStates(now): BudgetState[] {
      seen.push(now);
      return budgets.map((budget) => stateOf(budget));
    },
    budgetState(id, now) {
      seen.push(now);
      const budget = budgets.find((b) => b.id === id);
      return budget === undefined ? null : stateOf(budget);
    },
    rateLimitState(id, now) {
      return control.rateLimitStates(now).find((s) => s.limit.id === id) ?? null;
    },
    put: () => Promise.resolve(),
    remove: () => {},
    blockedBy: () => null,
    rateLimitStates(now): RateLimitState[] {
      seen.push(now);
      // Every loaded limit is full on requests and frees up 12 s after the API's clock.
      return limits.map((limit) => ({
        limit,
        requests: limit.rpm ?? 0,
        tokens: 500,
        full_on: "rpm",
        frees_at: new Date(now + 12_000).toISOString(),
      }));
    },
    load: async (b, r) => {
      budgets = [...b];
      limits = [...r];
    },
    active: true,
  };
  return { control, seen };
}

async function setup(spent: Record<string, { pico: number; tokens: number }> = {}, access = {}) {
  const store = createStore(open(":memory:"));
  const { control, seen } = fakeControl(spent);
  let changes = 0;
  const onChange = async () => {
    changes++;
    await control.load(await store.control.listBudgets(), await store.control.listRateLimits());
  };
  const app = mountApi(store, access, { control, onChange });
  const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return { store, app, json, seen, changes: () => changes };
}

test("PUT creates (200 with the object and its window), GET lists and reads one, PUT replaces, DELETE → 204", async () => {
  const { store, json, seen, changes } = await setup({ "team-a-month": { pico: 50_010_000_000_000, tokens: 1234 } });
  const { id: _, ...withoutId } = BUDGET;
  const put = await json("PUT", "/api/budgets/team-a-month", withoutId);
  assert.equal(put.status, 200);
  const expected = {
    ...BUDGET,
    spent_usd: "50.01",
    spent_tokens: 1234,
    reserved_usd: "0",
    reserved_tokens: 0,
    remaining_usd: "0",
    window_start: "2026-11-01T00:00:00.000Z",
    resets_at: "2026-12-01T00:00:00.000Z",
  };
  assert.deepEqual(await put.json(), expected);
  assert.equal(changes(), 1);
  assert.deepEqual(seen, [NOW]); // states asked at the API's clock

  // Defaults filled in by the parser; a budget without spend shows zero and its full limit.
  const small = await json("PUT", "/api/budgets/tokens-day", { id: "tokens-day", window: "day", limit_usd: "0.25" });
  assert.equal(small.status, 200);
  const smallBody = await small.json();
  assert.equal(smallBody.action, "block");
  assert.equal(smallBody.spent_usd, "0");
  assert.equal(smallBody.remaining_usd, "0.25");

  const list = await (await json("GET", "/api/budgets")).json();
  assert.deepEqual(list.budgets.map((b: Budget) => b.id), ["team-a-month", "tokens-day"]);
  assert.deepEqual(list.budgets[0], expected);
  assert.deepEqual(await (await json("GET", "/api/budgets/team-a-month")).json(), expected);

  const replaced = await json("PUT", "/api/budgets/team-a-month", { ...BUDGET, limit_usd: "100", action: "alert" });
  assert.equal(replaced.status, 200);
  const body = await replaced.json();
  assert.equal(body.limit_usd, "100");
  assert.equal(body.remaining_usd, "49.99");
  assert.equal((await store.control.listBudgets())[0]?.action, "alert");

  const del = await json("DELETE", "/api/budgets/team-a-month");
  assert.equal(del.status, 204);
  assert.equal(await del.text(), "");
  assert.equal(changes(), 4);
  const gone = await json("GET", "/api/budgets/team-a-month");
  assert.equal(gone.status, 404);
  assert.equal((await gone.json()).error.code, "not_found");
  const again = await json("DELETE", "/api/budgets/team-a-month");
  assert.equal(again.status, 404);
  assert.equal((await again.json()).error.code, "not_found");
  assert.equal(changes(), 4); // nothing changed, no reload
  await store.close();
});

test("a budget or rate limit the config file defines cannot be changed or deleted through the API: 409 defined_in_config (issue 20 item 20)", async () => {
  const { store, json, changes } = await setup();
  await store.control.syncConfig([BUDGET], [{ id: "alice", scope: { user: "alice" }, rpm: 60, tpm: null }]);
  for (const res of [
    await json("PUT", "/api/budgets/team-a-month", { ...BUDGET, limit_usd: "99" }),
    await json("DELETE", "/api/budgets/team-a-month"),
    await json("PUT", "/api/rate-limits/alice", { scope: { user: "alice" }, rpm: 1 }),
    await json("DELETE", "/api/rate-limits/alice"),
  ]) {
    assert.equal(res.status, 409);
    const { error } = await res.json();
    assert.equal(error.code, "defined_in_config");
    assert.match(error.message, /is defined in the config file: change it there/);
  }
  assert.deepEqual(await store.control.listBudgets(), [BUDGET]);
  assert.equal((await store.control.listRateLimits()).length, 1);
  assert.equal(changes(), 0);
  await store.close();
});

const BAD_BUDGETS: [body: unknown, field: string][] = [
  ["{not json", "body"],
  [[1], "body"],
  [{ ...BUDGET, id: "other" }, "id"],
  [{ ...BUDGET, window: "fortnight" }, "window"],
  [{ ...BUDGET, limit_usd: "fifty" }, "limit_usd"],
  [{ ...BUDGET, limit_usd: null }, "limit_usd"],
  [{ ...BUDGET, scope: { team: "a" } }, "scope.team"],
  [{ ...BUDGET, colour: "red" }, "colour"],
];

for (const [i, [body, field]] of BAD_BUDGETS.entries()) {
  test(`PUT /api/budgets #${i}, bad ${field} → 400 invalid_budget naming it; nothing stored`, async () => {
    const { store, json, changes } = await setup();
    const res = await json("PUT", "/api/budgets/team-a-month", body);
    assert.equal(res.status, 400);
    const { error } = await res.json();
    assert.equal(error.code, "invalid_budget");
    assert.equal(error.field, field);
    assert.match(error.message, new RegExp(field.replace(".", "\\.")));
    assert.deepEqual(await store.control.listBudgets(), []);
    assert.equal(changes(), 0);
    await store.close();
  });
}

test("rate limits: PUT, GET list/one with the live state, bad definition → 400 invalid_rate_limit, DELETE → 204 then 404", async () => {
  const { store, json, changes } = await setup();
  const state = { requests: 60, tokens: 500, full_on: "rpm", frees_at: new Date(NOW + 12_000).toISOString() };
  const limit = { id: "alice", scope: { user: "alice" }, rpm: 60, tpm: null, state };
  const put = await json("PUT", "/api/rate-limits/alice", { scope: { user: "alice" }, rpm: 60 });
  assert.equal(put.status, 200);
  assert.deepEqual(await put.json(), limit);
  assert.equal(changes(), 1);
  assert.deepEqual(await (await json("GET", "/api/rate-limits")).json(), { rate_limits: [limit] });
  assert.deepEqual(await (await json("GET", "/api/rate-limits/alice")).json(), limit);
  assert.equal((await json("GET", "/api/rate-limits/bob")).status, 404);

  const bad = await json("PUT", "/api/rate-limits/alice", { rpm: -1 });
  assert.equal(bad.status, 400);
  const { error } = await bad.json();
  assert.deepEqual([error.code, error.field], ["invalid_rate_limit", "rpm"]);

  assert.equal((await json("DELETE", "/api/rate-limits/alice")).status, 204);
  assert.equal((await json("DELETE", "/api/rate-limits/alice")).status, 404);
  assert.deepEqual(await store.control.listRateLimits(), []);
  await store.close();
});

test("a stored rate limit the control plane has not loaded yet shows an empty state", async () => {
  const { store, json } = await setup();
  await store.control.putRateLimit({ id: "cli", scope: {}, rpm: null, tpm: 1000 });
  assert.deepEqual(await (await json("GET", "/api/rate-limits/cli")).json(), {
    id: "cli", scope: {}, rpm: null, tpm: 1000, state: { requests: 0, tokens: 0, full_on: null, frees_at: null },
  });
  await store.close();
});

test("the budget routes sit behind the /api auth: token required when set, loopback Host otherwise", async () => {
  const { store, json } = await setup({}, { adminToken: "s3cret" });
  assert.equal((await json("GET", "/api/budgets")).status, 401);
  assert.equal((await json("PUT", "/api/budgets/x", { window: "day", limit_usd: "1" })).status, 401);
  assert.equal((await json("DELETE", "/api/rate-limits/x")).status, 401);
  assert.deepEqual(await store.control.listBudgets(), []);
  const ok = await json("GET", "/api/budgets", undefined, { authorization: "Bearer s3cret" });
  assert.deepEqual(await ok.json(), { budgets: [] });
  await store.close();

  const open2 = await setup();
  const rebound = await open2.json("PUT", "/api/budgets/x", { window: "day", limit_usd: "1" }, {
    host: "attacker.example",
  });
  assert.equal(rebound.status, 403);
  assert.equal((await rebound.json()).error.code, "forbidden_host");
  assert.deepEqual(await open2.store.control.listBudgets(), []);
  await open2.store.close();
});

test("without a control plane the routes are absent (404), the rest of /api unchanged", async () => {
  const store = createStore(open(":memory:"));
  const app = mountApi(store);
  const res = await app.request("/api/budgets");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
  assert.equal((await app.request("/api/requests")).status, 200);
  await store.close();
});
