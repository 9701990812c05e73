// Spend control over a store that is not reachable yet: allow and enforce nothing until it starts, retry with
// backoff, delegate everything once started, and stop retrying when stopped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createControl } from "../../src/control/control.ts";
import { parseBudget } from "../../src/control/definitions.ts";
import { deferControl } from "../../src/control/deferred.ts";
import type { ControlSetup } from "../../src/control/setup.ts";
import type { Attributes, SharedCounters, Verdict } from "../../src/control/types.ts";
import { attrs, fakeStore, pico, settled } from "./_helpers.ts";
import { until } from "../_helpers/poll.ts";

const ATTRS: Attributes = {
  key_id: null, user: "alice", project: null, provider: "openai", requested_model: "gpt-4o", tags: [], model_known: true,
};
const REFUSED: Verdict = {
  refusal: { code: "budget_exceeded", id: "b", message: "over", retryAfterSeconds: null, details: {} },
  remainingUsd: null,
  reservation: null,
};

function fakeSetup(stopped: { n: number }): ControlSetup {
  return {
    control: {
      check: () => REFUSED,
      settle: () => {},
      budgetStates: () => [],
      budgetState: () => null,
      rateLimitStates: () => [],
      rateLimitState: () => null,
      load: () => Promise.resolve(),
      put: () => Promise.resolve(),
      remove: () => {},
      blockedBy: () => null,
      active: true,
    },
    alerter: { stats: () => ({}) } as unknown as ControlSetup["alerter"],
    reload: () => Promise.resolve(),
    changed: () => Promise.resolve(),
    syncConfig: () => Promise.resolve(),
    stop: () => {
      stopped.n++;
      return Promise.resolve();
    },
  };
}

test("before the store answers: every request allowed, nothing active, reload rejects; then it delegates", async () => {
  let attempts = 0;
  const errors: unknown[] = [];
  const stopped = { n: 0 };
  const deferred = deferControl(async () => {
    if (++attempts < 3) throw new Error("connect ECONNREFUSED");
    return fakeSetup(stopped);
  }, { retryMs: 5, onError: (err) => errors.push(err) });
  assert.equal(deferred.control.active, false);
  assert.deepEqual(deferred.control.check(ATTRS, 0), { refusal: null, remainingUsd: null, reservation: null });
  assert.deepEqual(deferred.control.budgetStates(0), []);
  await assert.rejects(deferred.reload(), /not loaded yet/);
  await deferred.started;
  assert.equal(attempts, 3);
  assert.equal(errors.length, 2);
  assert.equal(deferred.control.active, true);
  assert.equal(deferred.control.check(ATTRS, 0), REFUSED);
  await deferred.reload();
  await deferred.stop();
  assert.equal(stopped.n, 1);
});

test("stopped while still failing: no more attempts", async () => {
  let attempts = 0;
  const deferred = deferControl(() => {
    attempts++;
    return Promise.reject(new Error("down"));
  }, { retryMs: 5, onError: () => {} });
  await until("a retry", () => attempts >= 2);
  await deferred.stop();
  const seen = attempts;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(attempts, seen);
});

/** A real control on shared counters that either existed already (another instance made them) or are new. */
async function startedWith(existing: boolean): Promise<ControlSetup> {
  const shared: SharedCounters = {
    openCounters: () => Promise.resolve(!existing),
    exchange: () => Promise.resolve([]),
    pruneCounters: () => Promise.resolve(),
  };
  const control = createControl({ store: fakeStore(), events: { threshold() {}, blocked() {}, settled() {} }, now: Date.now, shared });
  await control.load([parseBudget({ id: "b", window: "total", limit_usd: "1" })], []);
  return { ...fakeSetup({ n: 0 }), control };
}

for (const existing of [true, false]) {
  test(`spend proxied before the store answered is counted once when it does (counters ${existing ? "existed" : "new"}; issue 20 item 7)`, async () => {
    let ready: (setup: ControlSetup) => void = () => {};
    const deferred = deferControl(() => new Promise<ControlSetup>((resolve) => (ready = resolve)), { retryMs: 5, onError() {} });
    for (let i = 0; i < 3; i++) deferred.control.settle(settled(Date.now(), pico(0.1), 10, attrs()));
    ready(await startedWith(existing));
    await deferred.started;
    // Counters that existed hold none of it: replayed. New ones were seeded from the records, flushed first: not again.
    assert.equal(deferred.control.budgetState("b", Date.now())!.spent_pico, existing ? BigInt(pico(0.3)) : 0n);
    await deferred.stop();
  });
}
