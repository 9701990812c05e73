/**
 * How many cases each property tries: a few dozen in `npm test` (a time box, not a proof), thousands under
 * `npm run test:long`, which sets KESTREL_PROPERTY_RUNS. A failure prints fast-check's seed and path to replay it.
 */
const fromEnv = Number(process.env.KESTREL_PROPERTY_RUNS ?? "");

export function runs(short: number): { numRuns: number } {
  return { numRuns: Number.isInteger(fromEnv) && fromEnv > 0 ? Math.max(fromEnv, short) : short };
}
