/**
 * @module Kestrel keys' table, the same SQL on both stores (src/store/schema.ts and src/store/pg/schema.ts, last
 * migration): one row per key holding its JSON (hashes, never secrets), and a version bumped by every write so each
 * instance's key ring notices a change with one tiny read (src/keys/ring.ts).
 */
import type { Exec } from "../reconcile/exec.ts";
import type { KestrelKey } from "./types.ts";

export interface KeyStore {
  list(): Promise<KestrelKey[]>;
  get(id: string): Promise<KestrelKey | null>;
  /** Inserts or replaces the key, and bumps the version. */
  put(key: KestrelKey): Promise<void>;
  /** True when it existed. */
  remove(id: string): Promise<boolean>;
  version(): Promise<number>;
}

/** The DDL both stores run (integer types are wide enough on both). */
export const KEYS_DDL = `CREATE TABLE kestrel_keys (
    id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE kestrel_keys_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
  INSERT INTO kestrel_keys_version (id, version) VALUES (1, 0);`;

const BUMP = { sql: "UPDATE kestrel_keys_version SET version = version + 1 WHERE id = 1", params: {} };

export function createKeyStore(exec: Exec, now: () => number = Date.now): KeyStore {
  const parse = (row: { definition?: unknown }) => JSON.parse(String(row.definition)) as KestrelKey;
  return {
    async list() {
      return (await exec.all({ sql: "SELECT definition FROM kestrel_keys ORDER BY id", params: {} })).map(parse);
    },
    async get(id) {
      const rows = await exec.all({ sql: "SELECT definition FROM kestrel_keys WHERE id = $id", params: { id } });
      return rows.length === 0 ? null : parse(rows[0]!);
    },
    async put(key) {
      await exec.batch([
        {
          sql: `INSERT INTO kestrel_keys (id, definition, updated_at) VALUES ($id, $definition, $at)
            ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
          params: { id: key.id, definition: JSON.stringify(key), at: new Date(now()).toISOString() },
        },
        BUMP,
      ]);
    },
    async remove(id) {
      const found = await exec.all({ sql: "SELECT id FROM kestrel_keys WHERE id = $id", params: { id } });
      if (found.length === 0) return false;
      await exec.batch([{ sql: "DELETE FROM kestrel_keys WHERE id = $id", params: { id } }, BUMP]);
      return true;
    },
    async version() {
      const rows = await exec.all({ sql: "SELECT version FROM kestrel_keys_version WHERE id = 1", params: {} });
      return Number(rows[0]?.version ?? 0);
    },
  };
}
