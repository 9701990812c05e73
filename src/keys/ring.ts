/**
 * @module The key ring: every Kestrel key in memory, indexed by secret hash (current and, during a rotation's
 * grace, previous), so the request path never reads the database (docs/architecture.md §20). Each instance polls
 * the store's key version (one single-row read) and reloads on a change: a disable, rotation or delete on any
 * instance — SQLite: the running server; PostgreSQL: every instance on the database — applies within `pollMs`.
 * Failed lookups are counted per client address and slowed down past a threshold.
 */
import { hashSecret } from "./secret.ts";
import type { KeyStore } from "./store.ts";
import { open as openSealed } from "./vault.ts";
import { type KestrelKey, KeyRefusal, unusable } from "./types.ts";

/** A quarter second: revocation reaches every instance well within the second the issue asks for. */
export const KEY_POLL_MS = 250;
/** Failed lookups from one address per minute before each further failure waits… */
const FAILURE_THRESHOLD = 20;
/** …this long (a client enumerating keys gets one guess a second at most). */
const FAILURE_DELAY_MS = 1000;
const FAILURE_WINDOW_MS = 60_000;
/** Addresses remembered; past this the table restarts (an attacker with many addresses is slowed less, never blocked from nothing). */
const MAX_ADDRESSES = 10_000;

export interface KeyRing {
  /** The key a secret names, or throws KeyRefusal 401 `invalid_kestrel_key` (after a delay for a failing address). */
  identify(secret: string, address: string): Promise<KestrelKey>;
  /** What runtime provider secrets are sealed under (src/keys/vault.ts); null without a master key. */
  readonly master: CryptoKey | null;
  /** Providers with a runtime secret that opened. */
  readonly runtimeProviders: string[];
  /** A provider secret set at runtime (opened under the master key), if any. */
  providerSecret(provider: string): string | undefined;
  /** The key with this id, if loaded (self-service, API views). */
  byId(id: string): KestrelKey | undefined;
  /** Reads every key from the store now. */
  reload(): Promise<void>;
  /** Polls the store's version; stop() ends it. */
  start(pollMs?: number, onError?: (message: string) => void): void;
  stop(): void;
  readonly size: number;
}

export interface RingOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** The master key runtime provider secrets are sealed under; null: they are not read. */
  master?: CryptoKey | null;
  /** A sealed secret that does not open (another master key): said once per value. */
  warn?: (message: string) => void;
}

export function createKeyRing(store: KeyStore, options: RingOptions = {}): KeyRing {
  const { now = Date.now, sleep = defaultSleep, master = null, warn = () => {} } = options;
  let byHash = new Map<string, KestrelKey>();
  let secrets = new Map<string, string>();
  const warned = new Set<string>();
  let byIdMap = new Map<string, KestrelKey>();
  let version = -1;
  let timer: ReturnType<typeof setInterval> | undefined;
  const failures = new Map<string, { count: number; since: number }>();

  const load = async () => {
    const seen = await store.version();
    const keys = await store.list();
    const hashes = new Map<string, KestrelKey>();
    for (const key of keys) {
      hashes.set(key.hash, key);
      if (key.previous_hash !== null) hashes.set(key.previous_hash, key);
    }
    const opened = new Map<string, string>();
    if (master !== null) {
      for (const [provider, sealed] of await store.sealedSecrets()) {
        try {
          opened.set(provider, await openSealed(master, provider, sealed));
        } catch {
          if (!warned.has(sealed)) warn(`The stored secret for ${provider} does not open under this master key: not used`);
          warned.add(sealed);
        }
      }
    }
    secrets = opened;
    byHash = hashes;
    byIdMap = new Map(keys.map((k) => [k.id, k]));
    version = seen;
  };

  const failed = async (address: string) => {
    const t = now();
    let entry = failures.get(address);
    if (entry === undefined || t - entry.since > FAILURE_WINDOW_MS) {
      if (failures.size >= MAX_ADDRESSES) failures.clear();
      failures.set(address, entry = { count: 0, since: t });
    }
    entry.count++;
    if (entry.count > FAILURE_THRESHOLD) await sleep(FAILURE_DELAY_MS);
  };

  return {
    async identify(secret, address) {
      const hash = await hashSecret(secret);
      const key = byHash.get(hash);
      const why = key === undefined ? "unknown" : unusable(key, hash, now());
      if (key === undefined || why !== null) {
        await failed(address);
        throw new KeyRefusal("invalid_kestrel_key", 401, `The Kestrel key is not valid (${why})`);
      }
      return key;
    },
    byId: (id) => byIdMap.get(id),
    providerSecret: (provider) => secrets.get(provider),
    master,
    get runtimeProviders() {
      return [...secrets.keys()];
    },
    reload: load,
    start(pollMs = KEY_POLL_MS, onError) {
      let polling = false;
      timer = setInterval(async () => {
        if (polling) return;
        polling = true;
        try {
          if ((await store.version()) !== version) await load();
        } catch (err) {
          onError?.(`Cannot reload Kestrel keys: ${err instanceof Error ? err.message : String(err)}`);
        } finally {
          polling = false;
        }
      }, pollMs);
    },
    stop() {
      clearInterval(timer);
    },
    get size() {
      return byIdMap.size;
    },
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
