/**
 * The key ring alone (src/keys/ring.ts) over an in-memory key store: lookup by hash, a rotation's grace ending,
 * expiry, and failed lookups slowed per client address past the threshold (others unaffected).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createKey, rotateKey } from "../../src/keys/manage.ts";
import { createKeyRing } from "../../src/keys/ring.ts";
import type { KeyStore } from "../../src/keys/store.ts";
import type { KestrelKey } from "../../src/keys/types.ts";
import { masterKeyFrom, open, seal } from "../../src/keys/vault.ts";

function memoryStore(): KeyStore & { rows: Map<string, KestrelKey> } {
  const rows = new Map<string, KestrelKey>();
  const sealed = new Map<string, string>();
  let version = 0;
  return {
    rows,
    sealedSecrets: () => Promise.resolve(new Map(sealed)),
    putSealed: (provider, value) => (value === null ? sealed.delete(provider) : sealed.set(provider, value), version++, Promise.resolve()),
    list: () => Promise.resolve([...rows.values()]),
    get: (id) => Promise.resolve(rows.get(id) ?? null),
    put: (key) => (rows.set(key.id, key), version++, Promise.resolve()),
    remove: (id) => Promise.resolve(rows.delete(id) && ++version > 0),
    version: () => Promise.resolve(version),
  };
}

const refused = async (p: Promise<unknown>) => {
  await assert.rejects(p, (err: Error & { code?: string }) => err.code === "invalid_kestrel_key");
};

test("rotation: the old secret works during the grace period and not after; expiry ends the key", async () => {
  let now = 1_000_000;
  const store = memoryStore();
  const ring = createKeyRing(store, { now: () => now, sleep: () => Promise.resolve() });
  const { key, secret } = await createKey({ name: "r", expires: "2h" }, now);
  const rotated = await rotateKey(key, 60_000, now);
  await store.put(rotated.key);
  await ring.reload();
  assert.equal((await ring.identify(secret, "a")).id, key.id);
  assert.equal((await ring.identify(rotated.secret, "a")).id, key.id);
  now += 60_001;
  await refused(ring.identify(secret, "a"));
  assert.equal((await ring.identify(rotated.secret, "a")).id, key.id);
  now += 2 * 3_600_000;
  await refused(ring.identify(rotated.secret, "a"));
});

test("failed lookups: past 20 a minute from one address each waits; another address does not", async () => {
  const waits: string[] = [];
  let from = "";
  const ring = createKeyRing(memoryStore(), { now: () => 0, sleep: () => (waits.push(from), Promise.resolve()) });
  await ring.reload();
  for (let i = 0; i < 25; i++) {
    from = "10.0.0.1";
    await refused(ring.identify(`ksk_guess${i}`, "10.0.0.1"));
  }
  assert.equal(waits.length, 5, "the 21st to 25th failures waited");
  from = "10.0.0.2";
  await refused(ring.identify("ksk_other", "10.0.0.2"));
  assert.equal(waits.length, 5, "a different address is not slowed");
});

test("provider secrets at rest: sealed under the master key, opened by the ring; another master key or provider does not open them", async () => {
  const master = await masterKeyFrom("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  const other = await masterKeyFrom("an-entirely-different-master-key-of-some-length");
  const store = memoryStore();
  const sealedValue = await seal(master, "openai", "sk-proj-runtime-secret");
  assert.ok(!sealedValue.includes("runtime-secret"));
  await store.putSealed("openai", sealedValue);
  const ring = createKeyRing(store, { master });
  await ring.reload();
  assert.equal(ring.providerSecret("openai"), "sk-proj-runtime-secret");
  const warnings: string[] = [];
  const wrong = createKeyRing(store, { master: other, warn: (m) => warnings.push(m) });
  await wrong.reload();
  assert.equal(wrong.providerSecret("openai"), undefined);
  assert.deepEqual(warnings, ["The stored secret for openai does not open under this master key: not used"]);
  await assert.rejects(open(master, "anthropic", sealedValue), "bound to its provider");
});
