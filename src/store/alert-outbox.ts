/**
 * @module The alert outbox on SQLite (docs/architecture.md §12): `alert_outbox` holds each alert once under its key,
 * `alert_deliveries` one row per (alert, webhook) with its attempts, next due time and lease (epoch ms on the
 * store's clock). Every read-and-lease runs in one BEGIN IMMEDIATE transaction, so processes sharing the file
 * never take the same delivery.
 */
import type { AlertDelivery, AlertHook, AlertOutbox, ExpiredDelivery } from "../control/types.ts";
import type { Db, SqlValue } from "./db.ts";
import type { WithDb } from "./control-store.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const num = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));

/** A pending delivery per webhook, due at once; a webhook that already has one for this alert keeps it. */
function queue(db: Db, key: string, hooks: readonly AlertHook[], at: number): void {
  const insert = db.prepare(
    `INSERT INTO alert_deliveries (alert_key, hook, host, created_ms, next_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (alert_key, hook) DO NOTHING`,
  );
  for (const hook of hooks) insert.run([key, hook.id, hook.host, at, at]);
}

/** `instance` names this process in `claimed_by` (its leases, released when it stops). */
export function createAlertOutbox(withDb: WithDb, now: () => number, instance: string = crypto.randomUUID()): AlertOutbox {
  return {
    claimAlert: (key, payload, hooks, at) =>
      withDb((db) =>
        db.transaction(() => {
          const claimed = db.prepare(
            "INSERT INTO alert_outbox (key, payload, claimed_at, delivered_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
          ).run([key, payload, iso(at), hooks.length === 0 ? iso(at) : null]).changes === 1;
          if (claimed) queue(db, key, hooks, now());
          return claimed;
        })
      ),

    requeueAlerts: (hooks, maxAgeMs) =>
      withDb((db) =>
        db.transaction(() => {
          const at = now();
          const keys = db.prepare<{ key: string }>(
            "SELECT key FROM alert_outbox WHERE delivered_at IS NULL AND claimed_at >= ?",
          ).all([iso(at - maxAgeMs)]);
          for (const { key } of keys) queue(db, key, hooks, at);
        })
      ),

    takeAlertDeliveries: (hooks, leaseMs, maxAgeMs) =>
      withDb((db) =>
        db.transaction(() => {
          const at = now();
          // A delivery in flight elsewhere is left to finish: its instance records the outcome.
          const old = "d.done_at IS NULL AND d.created_ms <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?)";
          const expired = db.prepare(
            `SELECT d.alert_key, d.hook, d.host, d.attempts, d.last_error, o.payload
             FROM alert_deliveries d JOIN alert_outbox o ON o.key = d.alert_key WHERE ${old}
             ORDER BY d.created_ms, d.alert_key`,
          ).all([at - maxAgeMs, at]);
          const end = db.prepare(
            "UPDATE alert_deliveries SET done_at = ?, outcome = 'expired' WHERE alert_key = ? AND hook = ?",
          );
          for (const r of expired) end.run([at, r.alert_key!, r.hook!]);

          const due: AlertDelivery[] = [];
          const pick = db.prepare(
            `SELECT d.alert_key, d.attempts, d.created_ms, o.payload
             FROM alert_deliveries d JOIN alert_outbox o ON o.key = d.alert_key
             WHERE d.hook = ? AND d.done_at IS NULL AND d.next_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?)
             ORDER BY d.created_ms, d.alert_key LIMIT ?`,
          );
          const lease = db.prepare(
            "UPDATE alert_deliveries SET lease_until = ?, claimed_by = ? WHERE alert_key = ? AND hook = ?",
          );
          for (const hook of hooks) {
            if (hook.limit <= 0) continue;
            for (const r of pick.all([hook.id, at, at, hook.limit])) {
              lease.run([at + leaseMs, instance, r.alert_key!, hook.id]);
              due.push({
                key: String(r.alert_key),
                hook: hook.id,
                payload: String(r.payload),
                attempts: num(r.attempts),
                created: num(r.created_ms),
              });
            }
          }

          const ids: Record<string, SqlValue> = { at, me: instance };
          hooks.forEach((h, i) => ids[`h${i}`] = h.id);
          const next = hooks.length === 0 ? undefined : db.prepare(
            `SELECT MIN(CASE WHEN lease_until <= $at OR lease_until IS NULL THEN next_at
                             WHEN claimed_by = $me THEN lease_until END) AS due,
                    MIN(CASE WHEN lease_until > $at AND claimed_by <> $me THEN lease_until END) AS lease
             FROM alert_deliveries WHERE done_at IS NULL AND hook IN (${hooks.map((_, i) => `$h${i}`).join(", ")})
               AND (next_at > $at OR lease_until > $at)`,
          ).get(ids);
          const inMs = (v: SqlValue | undefined) => (v === null || v === undefined ? null : num(v) - at);
          return {
            due,
            expired: expired.map((r): ExpiredDelivery => ({
              key: String(r.alert_key),
              host: String(r.host),
              payload: String(r.payload),
              attempts: num(r.attempts),
              error: r.last_error === null ? null : String(r.last_error),
            })),
            nextDueInMs: inMs(next?.due),
            leaseEndsInMs: inMs(next?.lease),
          };
        })
      ),

    recordAlertAttempt: (key, hook, result) =>
      withDb((db) =>
        db.transaction(() => {
          const at = now();
          const where = "WHERE alert_key = ? AND hook = ? AND done_at IS NULL";
          if (result.ok) {
            db.prepare(
              `UPDATE alert_deliveries SET done_at = ?, outcome = 'delivered', attempts = attempts + 1,
               lease_until = NULL, claimed_by = NULL ${where}`,
            ).run([at, key, hook]);
            db.prepare("UPDATE alert_outbox SET delivered_at = COALESCE(delivered_at, ?) WHERE key = ?").run([iso(at), key]);
          } else {
            db.prepare(
              `UPDATE alert_deliveries SET attempts = attempts + 1, next_at = ?, last_error = ?,
               lease_until = NULL, claimed_by = NULL ${where}`,
            ).run([at + result.retryInMs, result.error, key, hook]);
          }
        })
      ),

    releaseAlerts: () =>
      withDb((db) => {
        db.prepare("UPDATE alert_deliveries SET lease_until = NULL, claimed_by = NULL WHERE claimed_by = ? AND done_at IS NULL")
          .run([instance]);
      }),
  };
}
