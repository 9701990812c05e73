/**
 * A throwaway PostgreSQL cluster on loopback (test/_helpers/postgres.ts; fsync off: Kestrel's path, not the disk)
 * with one database seeded with `records` realistic records over 90 days (bench/seed.ts). Exits when the server
 * binaries are missing.
 */
import { pgMissing, type Postgres, startPostgres } from "../../test/_helpers/postgres.ts";
import { seed } from "../seed.ts";

export async function seededPostgres(
  records: number,
  name: string,
): Promise<{ server: Postgres; url: string; now: number; rate: number }> {
  const missing = pgMissing();
  if (missing !== null) {
    console.error(`PostgreSQL: ${missing}`);
    process.exit(1);
  }
  const server = await startPostgres();
  const url = server.createDatabase(name);
  const now = Date.now();
  const { rate } = await seed(url, { records, days: 90, seed: 1, now }, (line) => console.error(line));
  return { server, url, now, rate };
}
