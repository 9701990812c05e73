/**
 * @module Alert delivery: takes due deliveries from the store's outbox (at most `perHook` in flight per webhook),
 * POSTs each once and records the outcome: taken for good, or due again after a capped exponential backoff.
 * Nothing waits in memory: a delivery lives in the outbox until its webhook took it or it is older than the
 * maximum age, so a restart, or another instance once this one's lease ran out, resumes exactly what is left.
 */
import type { Logger } from "../../log.ts";
import type { AlertDelivery, AlertOutbox, ExpiredDelivery } from "../types.ts";
import { postOnce } from "./deliver.ts";
import { type AlertType, isoSeconds, parsePayload, type WebhookFormat, webhookBody } from "./payload.ts";

/** A configured webhook with its outbox identity. */
export interface Hook {
  id: string;
  host: string;
  url: string;
  format: WebhookFormat;
}

export interface DispatchOptions {
  outbox: AlertOutbox;
  /** Resolved once (the ids are hashes). */
  hooks: Promise<readonly Hook[]>;
  fetch: typeof fetch;
  log: Pick<Logger, "warn" | "error">;
  perHook: number;
  leaseMs: number;
  maxAgeMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  /** Instances sharing an outbox: look for deliveries another instance queued at least this often. */
  pollMs: number | null;
  count(type: AlertType, result: "sent" | "failed" | "retried"): void;
}

export interface Dispatcher {
  /** Looks for due deliveries now (a claim queued some, an attempt freed a slot). */
  wake(): void;
  /** Takes nothing more, lets attempts in flight finish for `graceMs`, cuts the rest and releases its leases. */
  stop(graceMs: number): Promise<void>;
}

/** How soon an outbox that could not be read is tried again. */
const ERROR_RETRY_MS = 5000;
/**
 * While another instance holds a lease, how often to look again: its attempt usually ends within milliseconds (a
 * failing webhook answers at once) and sets the next due time, which this instance then waits for.
 */
const LEASE_RECHECK_MS = 1000;
/** setTimeout's limit. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `24 h`, `90 s`: how long deliveries are retried, for log lines. */
function span(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Resolves once every promise settled or `ms` passed, whichever comes first. */
export function waitAtMost(promises: Iterable<Promise<unknown> | null>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const all = Promise.allSettled([...promises]).then(() => {});
  return Promise.race([all, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]).finally(() => clearTimeout(timer));
}

export function createDispatcher(o: DispatchOptions): Dispatcher {
  const inflight = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  const stopping = new AbortController();
  const cut = new AbortController();
  let byId = new Map<string, Hook>();
  let taking: Promise<void> | null = null;
  let again = false;
  let failing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const backoff = (failed: number) => Math.min(o.retryBaseMs * 2 ** failed, o.retryMaxMs);

  function arm(ms: number): void {
    clearTimeout(timer);
    const wait = Math.min(ms, o.pollMs ?? Infinity);
    if (Number.isFinite(wait) && !stopping.signal.aborted) timer = setTimeout(wake, Math.min(Math.max(0, wait), MAX_TIMER_MS));
  }

  function wake(): void {
    if (stopping.signal.aborted) return;
    if (taking !== null) {
      again = true;
      return;
    }
    taking = (async () => {
      do {
        again = false;
        await take();
      } while (again && !stopping.signal.aborted);
    })().finally(() => taking = null);
  }

  async function take(): Promise<void> {
    let next: number;
    try {
      const hooks = await o.hooks;
      byId = new Map(hooks.map((h) => [h.id, h]));
      const limits = hooks.map((h) => ({ id: h.id, limit: o.perHook - (inflight.get(h.id) ?? 0) }));
      const batch = await o.outbox.takeAlertDeliveries(limits, o.leaseMs, o.maxAgeMs);
      failing = false;
      for (const gone of batch.expired) gaveUp(gone);
      // Taken while a stop began: left to the lease release at its end.
      if (!stopping.signal.aborted) for (const d of batch.due) attempt(d);
      const lease = batch.leaseEndsInMs === null ? null : Math.min(batch.leaseEndsInMs, LEASE_RECHECK_MS);
      next = Math.min(batch.nextDueInMs ?? Infinity, lease ?? Infinity);
    } catch (err) {
      if (!failing) o.log.error(`Alert deliveries not read (tried again every ${span(ERROR_RETRY_MS)}): ${message(err)}`);
      failing = true;
      next = ERROR_RETRY_MS;
    }
    arm(next);
  }

  function gaveUp(gone: ExpiredDelivery): void {
    const type = parsePayload(gone.payload)?.type;
    if (type !== undefined) o.count(type, "failed");
    const why = gone.error ?? "no attempt was made (the webhook left the configuration, or Kestrel was down)";
    o.log.error(`Alert ${type ?? gone.key} to ${gone.host} given up after ${gone.attempts} attempts in ${span(o.maxAgeMs)}: ${why}`);
  }

  function attempt(d: AlertDelivery): void {
    const hook = byId.get(d.hook)!;
    inflight.set(d.hook, (inflight.get(d.hook) ?? 0) + 1);
    const task = post(d, hook)
      .catch((err) => o.log.error(`Alert delivery to ${hook.host} not recorded: ${message(err)}`))
      .finally(() => {
        inflight.set(d.hook, inflight.get(d.hook)! - 1);
        attempts.delete(task);
        wake();
      });
    attempts.add(task);
  }

  async function post(d: AlertDelivery, hook: Hook): Promise<void> {
    const alert = parsePayload(d.payload);
    if (alert === null) {
      // Not one of ours: parked at the longest backoff until it is given up.
      if (d.attempts === 0) o.log.error(`Alert "${d.key}" has an unreadable payload; not sent`);
      await o.outbox.recordAlertAttempt(d.key, d.hook, { ok: false, error: "unreadable payload", retryInMs: o.retryMaxMs });
      return;
    }
    if (d.attempts > 0) o.count(alert.type, "retried");
    const reason = await postOnce(hook.url, webhookBody(alert, hook.format), { fetch: o.fetch, timeoutMs: o.timeoutMs, cut: cut.signal });
    // Cut by a stop: its lease is released and it stays due for the next start or another instance.
    if (cut.signal.aborted) return;
    if (reason === "") {
      o.count(alert.type, "sent");
      await o.outbox.recordAlertAttempt(d.key, d.hook, { ok: true });
      return;
    }
    if (d.attempts === 0) {
      o.log.warn(`Alert ${alert.type} to ${hook.host} failed: ${reason}; retried until ${isoSeconds(d.created + o.maxAgeMs)}`);
    }
    await o.outbox.recordAlertAttempt(d.key, d.hook, { ok: false, error: reason, retryInMs: backoff(d.attempts) });
  }

  return {
    wake,
    async stop(graceMs) {
      stopping.abort();
      clearTimeout(timer);
      await waitAtMost([taking, ...attempts], graceMs);
      cut.abort();
      // A fetch that ignores its signal cannot hold the stop: one more short wait, then go on regardless.
      await waitAtMost([taking, ...attempts], 1000);
      try {
        await o.outbox.releaseAlerts();
      } catch (err) {
        o.log.error(`Alert deliveries not handed over: ${message(err)}`);
      }
    },
  };
}
