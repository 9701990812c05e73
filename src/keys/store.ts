/**
 * @module Kestrel keys' table and runtime provider secrets (sealed), the same SQL on both stores (src/store/schema.ts and src/store/pg/schema.ts, last
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
  /** Provider secrets set at runtime, sealed (src/keys/vault.ts): provider → sealed value. */
  sealedSecrets(): Promise<Map<string, string>>;
  /** Sets (or, with null, removes) one provider's sealed secret; bumps the version. */
  putSealed(provider: string, sealed: string | null): Promise<void>;
}

/** The DDL both stores run (integer types are wide enough on both). */
export const KEYS_DDL = `CREATE TABLE kestrel_keys (
    id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE kestrel_keys_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
  INSERT INTO kestrel_keys_version (id, version) VALUES (1, 0);
  CREATE TABLE provider_secrets (
    provider TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );`;

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
    async sealedSecrets() {
      const rows = await exec.all({ sql: "SELECT provider, sealed FROM provider_secrets ORDER BY provider", params: {} });
      return new Map(rows.map((r) => [String(r.provider), String(r.sealed)]));
    },
    async putSealed(provider, sealed) {
      await exec.batch([
        sealed === null
          ? { sql: "DELETE FROM provider_secrets WHERE provider = $provider", params: { provider } }
          : {
            sql: `INSERT INTO provider_secrets (provider, sealed, updated_at) VALUES ($provider, $sealed, $at)
              ON CONFLICT (provider) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
            params: { provider, sealed, at: new Date(now()).toISOString() },
          },
        BUMP,
      ]);
    },
    async version() {
      const rows = await exec.all({ sql: "SELECT version FROM kestrel_keys_version WHERE id = 1", params: {} });
      return Number(rows[0]?.version ?? 0);
    },
  };
}
