/**
 * PostgreSQL for the control-store tests: one throwaway server per test file, a fresh database per test with the
 * control tables and a `requests` table holding the columns spend sums read (the full table is the store's).
 */
import postgres from "postgres";
import { PG_CONTROL_MIGRATIONS } from "../../src/store/pg/control-schema.ts";
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

const REQUESTS = `CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  ts TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT,
  outcome TEXT NOT NULL,
  total_tokens BIGINT,
  cost_pico BIGINT,
  key_id TEXT,
  "user" TEXT,
  project TEXT,
  tags TEXT NOT NULL DEFAULT '[]'
)`;

export interface SpendRow {
  id: string;
  ts: string;
  provider?: string;
  model?: string | null;
  outcome?: string;
  total_tokens?: number | null;
  cost_pico?: number | null;
  key_id?: string | null;
  user?: string | null;
  project?: string | null;
  tags?: string[];
}

export interface PgDb {
  url: string;
  /** A client on the database (closed by the caller through `close`). */
  sql: postgres.Sql;
  /** Another client, as a second instance would have. */
  connect(): postgres.Sql;
  insert(rows: SpendRow[]): Promise<void>;
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
  await sql.unsafe(REQUESTS);
  for (const m of PG_CONTROL_MIGRATIONS) await sql.unsafe(m);
  return {
    url,
    sql,
    connect,
    async insert(rows) {
      for (const r of rows) {
        await sql`INSERT INTO requests (id, ts, provider, model, outcome, total_tokens, cost_pico, key_id, "user", project, tags)
          VALUES (${r.id}, ${r.ts}, ${r.provider ?? "openai"}, ${r.model ?? null}, ${r.outcome ?? "ok"},
            ${r.total_tokens ?? null}, ${r.cost_pico ?? null}, ${r.key_id ?? null}, ${r.user ?? null},
            ${r.project ?? null}, ${JSON.stringify(r.tags ?? [])})`;
      }
    },
    async close() {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    },
  };
}
