/**
 * Polling with a deadline. `deno test` has no default per-test timeout, so a poll that waits on a condition a
 * regression never makes true would hang CI instead of failing it; every poll in test/ goes through `until`.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Generous: the machine may be shared and slow. A deadline bounds a hang; it is not a timing assertion. */
export const POLL_DEADLINE_MS = 30_000;

/**
 * Resolves once `cond` holds, checking every `everyMs`; rejects with "Timed out after … waiting for <what>"
 * (plus `detail()`, when given, to show the state that never changed) once `timeoutMs` has passed.
 */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number; detail?: () => string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? POLL_DEADLINE_MS;
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() >= deadline) {
      const detail = options.detail ? ` (${options.detail()})` : "";
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(options.everyMs ?? 10);
  }
}
