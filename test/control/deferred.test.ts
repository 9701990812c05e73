// Spend control over a store that is not reachable yet: allow and enforce nothing until it starts, retry with
// backoff, delegate everything once started, and stop retrying when stopped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { deferControl } from "../../src/control/deferred.ts";
import type { ControlSetup } from "../../src/control/setup.ts";
import type { Attributes, Verdict } from "../../src/control/types.ts";
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
