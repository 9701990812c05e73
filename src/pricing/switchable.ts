/** @module A pricer whose table can be replaced while serving (SIGHUP re-reads the overrides file). */
import type { Pricer } from "./pricer.ts";

export interface SwitchablePricer extends Pricer {
  /** Responses priced from now on use `next`; one already being priced finishes with the old table. */
  set(next: Pricer): void;
}

export function switchablePricer(initial: Pricer): SwitchablePricer {
  let current = initial;
  return {
    price: (usage, ctx) => current.price(usage, ctx),
    get version() {
      return current.version;
    },
    get unpricedCount() {
      return current.unpricedCount;
    },
    describe: (model) => current.describe(model),
    isPriced: (provider, model) => current.isPriced(provider, model),
    bound: (provider, model, tier) => current.bound(provider, model, tier),
    set(next) {
      current = next;
    },
  };
}
