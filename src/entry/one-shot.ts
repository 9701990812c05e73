/**
 * @module The commands that run once and exit (src/cli.ts): they make a handful of upstream requests at most, so
 * Bun's fetch limit (src/entry/fetch-limit.ts) does not matter to them and its re-exec, a second start of the
 * whole binary, is skipped. Everything else, no command or options only included, is `serve`.
 */
const ONE_SHOT = new Set([
  "--help", "-h", "help", "--version", "-v", "version", "usage", "export", "reprice", "reconcile", "prices", "budgets",
  "rate-limits", "keys", "provider-keys", "check-config", "health",
]);

export function isOneShot(args: readonly string[]): boolean {
  return args[0] !== undefined && ONE_SHOT.has(args[0]);
}
