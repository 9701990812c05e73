/**
 * PostgreSQL for the control-store tests: one throwaway server per test file, a fresh database per test with the
 * store's whole schema; records are written through the store's own flusher, so the rollup holds what it would.
 */
import postgres from "postgres";
import { createPgStore } from "../../src/store/pg/pg-store.ts";
import { migratePg } from "../../src/store/pg/schema.ts";
import type { UsageRecord } from "../../src/usage/record.ts";
import { type Postgres, pgMissing, startPostgres } from "../_helpers/postgres.ts";

export const PG_MISSING = pgMissing();

let server: Promise<Postgres> | null = null;
let databases = 0;

/** The file's server, started on first use; stopped when the process exits. */
function pgServer(): Promise<Postgres> {
  if (server === null) {
    server = startPostgres();
    server.then((pg) => process.once("exit", () => pg.close()), () => {});
  }
  return server;
}

export interface PgDb {
  url: string;
  /** A client on the database (closed by the caller through `close`). */
  sql: postgres.Sql;
  /** Another client, as a second instance would have. */
  connect(): postgres.Sql;
  /** Writes records as a serving Kestrel would (raw rows and rollup in one transaction). */
  insert(records: readonly UsageRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** A fresh database with the schema applied. */
export async function freshDb(): Promise<PgDb> {
  const pg = await pgServer();
  const url = pg.createDatabase(`control_${process.pid}_${++databases}`);
  const clients: postgres.Sql[] = [];
  const connect = () => {
    const c = postgres(url, { max: 4, onnotice: () => {} });
    clients.push(c);
    return c;
  };
  const sql = connect();
  await migratePg(sql);
  return {
    url,
    sql,
    connect,
    async insert(records) {
      const store = createPgStore(url, { poolSize: 2 });
      for (const r of records) store.add(r);
      await store.flush();
      await store.close();
    },
    async close() {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    },
  };
}
