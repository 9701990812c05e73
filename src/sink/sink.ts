/** @module Finished exchanges → records → the log and the store. Runs after the response, never throws. */
import type { Pricer } from "../pricing/pricer.ts";
import type { Exchange } from "../routes/proxy.ts";
import type { Store } from "../store/store.ts";
import type { Logger } from "./log.ts";
import { buildRecord } from "./record.ts";
import { usageLine } from "./usage-line.ts";

export interface SinkDeps {
  pricer: Pricer;
  log: Logger;
  store: Store;
}

export function createSink({ pricer, log, store }: SinkDeps) {
  let pending = 0;
  const idle: (() => void)[] = [];

  async function sink(ex: Exchange): Promise<void> {
    try {
      const { record, breakdown } = await buildRecord(ex, pricer);
      store.add(record);
      log.usage(() => usageLine(ex.spec, record, breakdown), record);
    } catch (err) {
      log.error(`Cannot record a ${ex.spec.id} request: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return {
    finish(ex: Exchange): void {
      pending++;
      sink(ex).finally(() => {
        if (--pending === 0) for (const resolve of idle.splice(0)) resolve();
      });
    },
    /** Resolves when every finished exchange has reached the store queue (shutdown). */
    settle(): Promise<void> {
      return pending === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
  };
}
