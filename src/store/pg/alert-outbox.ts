/**
 * @module The alert outbox on PostgreSQL: the same rows and answers as src/store/alert-outbox.ts on SQLite, with
 * every due time and lease on the database's clock (`now()`), so instances whose clocks differ still agree on
 * whose lease ran out. Taking deliveries is `UPDATE … WHERE (key, hook) IN (SELECT … FOR UPDATE SKIP LOCKED)`:
 * two instances asking at once split the due rows instead of both taking them.
 */
import type postgres from "postgres";
import type { AlertDelivery, AlertHook, AlertOutbox, ExpiredDelivery } from "../../control/types.ts";

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const iso = (ms: number) => new Date(ms).toISOString();

/** The database's clock in epoch ms: the one clock every instance reads. */
const NOW_MS = "(extract(epoch FROM now()) * 1000)::bigint";
/** The same instant as ISO text, the form `alert_outbox`'s times are stored in. */
const isoAt = (ms: string) => `to_char(to_timestamp((${ms}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

async function queue(sql: Sql | Tx, keys: readonly string[], hooks: readonly AlertHook[]): Promise<void> {
  if (keys.length === 0) return;
  for (const hook of hooks) {
    await sql.unsafe(
      `INSERT INTO alert_deliveries (alert_key, hook, host, created_ms, next_at)
       SELECT k, $2, $3, ${NOW_MS}, ${NOW_MS} FROM unnest($1::text[]) AS k
       ON CONFLICT (alert_key, hook) DO NOTHING`,
      [keys as string[], hook.id, hook.host],
    );
  }
}

/** `instance` names this instance in `claimed_by` (its leases, released when it stops). */
export function createPgAlertOutbox(sql: Sql, instance: string): AlertOutbox {
  return {
    async claimAlert(key, payload, hooks, at) {
      return await sql.begin(async (tx) => {
        const result = await tx`
          INSERT INTO alert_outbox (key, payload, claimed_at, delivered_at)
          VALUES (${key}, ${payload}, ${iso(at)}, ${hooks.length === 0 ? iso(at) : null})
          ON CONFLICT (key) DO NOTHING`;
        if (result.count !== 1) return false;
        await queue(tx, [key], hooks);
        return true;
      }) as boolean;
    },

    async requeueAlerts(hooks, maxAgeMs) {
      const rows = await sql.unsafe(
        `SELECT key FROM alert_outbox WHERE delivered_at IS NULL
         AND claimed_at >= ${isoAt(`${NOW_MS} - $1`)}`,
        [maxAgeMs],
      );
      await queue(sql, rows.map((r) => String(r.key)), hooks);
    },

    async takeAlertDeliveries(hooks, leaseMs, maxAgeMs) {
      // A delivery in flight elsewhere is left to finish: its instance records the outcome.
      const expired = await sql.unsafe(
        `UPDATE alert_deliveries d SET done_at = ${NOW_MS}, outcome = 'expired'
         FROM alert_outbox o
         WHERE o.key = d.alert_key AND d.done_at IS NULL AND d.created_ms <= ${NOW_MS} - $1
           AND (d.lease_until IS NULL OR d.lease_until <= ${NOW_MS})
         RETURNING d.alert_key, d.host, d.attempts, d.last_error, o.payload, d.created_ms`,
        [maxAgeMs],
      );
      const due: AlertDelivery[] = [];
      for (const hook of hooks) {
        if (hook.limit <= 0) continue;
        const rows = await sql.unsafe(
          `UPDATE alert_deliveries d SET lease_until = ${NOW_MS} + $3, claimed_by = $4
           FROM alert_outbox o
           WHERE o.key = d.alert_key AND d.hook = $1 AND d.alert_key IN (
             SELECT alert_key FROM alert_deliveries
             WHERE hook = $1 AND done_at IS NULL AND next_at <= ${NOW_MS}
               AND (lease_until IS NULL OR lease_until <= ${NOW_MS})
             ORDER BY created_ms, alert_key LIMIT $2
             FOR UPDATE SKIP LOCKED)
           RETURNING d.alert_key, d.attempts, d.created_ms, o.payload`,
          [hook.id, hook.limit, leaseMs, instance],
        );
        for (const r of rows) {
          due.push({ key: String(r.alert_key), hook: hook.id, payload: String(r.payload), attempts: num(r.attempts), created: num(r.created_ms) });
        }
      }
      due.sort((a, b) => a.created - b.created || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const next = await sql.unsafe(
        `SELECT MIN(CASE WHEN lease_until <= n OR lease_until IS NULL THEN next_at - n
                         WHEN claimed_by = $2 THEN lease_until - n END) AS due,
                MIN(CASE WHEN lease_until > n AND claimed_by <> $2 THEN lease_until - n END) AS lease
         FROM alert_deliveries, (SELECT ${NOW_MS} AS n) AS clock
         WHERE done_at IS NULL AND hook = ANY($1::text[]) AND (next_at > n OR lease_until > n)`,
        [hooks.map((h) => h.id), instance],
      );
      const inMs = (v: unknown) => (v === null || v === undefined ? null : num(v));
      return {
        due,
        expired: [...expired]
          .sort((a, b) => num(a.created_ms) - num(b.created_ms))
          .map((r): ExpiredDelivery => ({
            key: String(r.alert_key),
            host: String(r.host),
            payload: String(r.payload),
            attempts: num(r.attempts),
            error: r.last_error === null ? null : String(r.last_error),
          })),
        nextDueInMs: inMs(next[0]?.due),
        leaseEndsInMs: inMs(next[0]?.lease),
      };
    },

    async recordAlertAttempt(key, hook, result) {
      if (result.ok) {
        await sql.begin(async (tx) => {
          await tx.unsafe(
            `UPDATE alert_deliveries SET done_at = ${NOW_MS}, outcome = 'delivered', attempts = attempts + 1,
             lease_until = NULL, claimed_by = NULL WHERE alert_key = $1 AND hook = $2 AND done_at IS NULL`,
            [key, hook],
          );
          await tx.unsafe(`UPDATE alert_outbox SET delivered_at = COALESCE(delivered_at, ${isoAt(NOW_MS)}) WHERE key = $1`, [key]);
        });
        return;
      }
      await sql.unsafe(
        `UPDATE alert_deliveries SET attempts = attempts + 1, next_at = ${NOW_MS} + $3, last_error = $4,
         lease_until = NULL, claimed_by = NULL WHERE alert_key = $1 AND hook = $2 AND done_at IS NULL`,
        [key, hook, result.retryInMs, result.error],
      );
    },

    async releaseAlerts() {
      await sql`
        UPDATE alert_deliveries SET lease_until = NULL, claimed_by = NULL
        WHERE claimed_by = ${instance} AND done_at IS NULL`;
    },
  };
}
