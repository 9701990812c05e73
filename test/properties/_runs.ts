/**
 * How many cases each property tries: a few dozen in `npm test` (a time box, not a proof), many more under
 * `npm run test:long`, which sets KESTREL_PROPERTY_RUNS; `cap` bounds properties whose cases are slow (sockets).
 * A failure prints fast-check's seed and path to replay it.
 */
const fromEnv = Number(process.env.KESTREL_PROPERTY_RUNS ?? "");

export function runs(short: number, cap = Number.POSITIVE_INFINITY): { numRuns: number } {
  return { numRuns: Number.isInteger(fromEnv) && fromEnv > 0 ? Math.min(cap, Math.max(fromEnv, short)) : short };
}
