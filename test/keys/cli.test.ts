/** `kestrel keys …` over a real SQLite file: create prints the secret once, the others manage the key by id. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runKeys } from "../../src/commands/keys.ts";
import { hashSecret } from "../../src/keys/secret.ts";
import { runProviderKeys } from "../../src/commands/provider-keys.ts";
import { createKeyRing } from "../../src/keys/ring.ts";
import { masterKeyFrom } from "../../src/keys/vault.ts";
import { createStore } from "../../src/store/store.ts";
import { fakeIo } from "../commands/cli-io.ts";
import { drivers, withTempDir } from "../store/helpers.ts";

const { open } = (await drivers())[0]!;
const NOW = Date.parse("2026-12-01T00:00:00.000Z");

test("keys create → list → show → disable → enable → rotate → rm; bad input is one line and exit non-zero", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "k.db");
    await createStore(open(db)).close(); // an existing Kestrel store
    const run = async (...args: string[]) => {
      const f = fakeIo(open, NOW);
      const code = await runKeys([...args, "--db", db], f.io, () => NOW);
      return { code, out: f.out(), err: f.err() };
    };
    const created = await run("create", "laptop", "--user", "alice", "--models", "gpt-4o-mini", "--budget-usd", "20", "--window", "month", "--rpm", "60");
    assert.equal(created.code, 0, created.err);
    const secret = /Secret \(shown once\): (ksk_\w+)/.exec(created.out)![1]!;
    const id = /Created (key_\w+)/.exec(created.out)![1]!;
    assert.match(created.out, /budget key_\w+-budget, rate limit key_\w+-rate/);

    const store = createStore(open(db));
    const stored = (await store.keys.get(id))!;
    assert.equal(stored.hash, await hashSecret(secret));
    assert.equal((await store.control.listBudgets())[0]!.scope.kestrel_key, id);
    await store.close();

    const listed = await run("list");
    assert.match(listed.out, new RegExp(`${id}\\s+laptop\\s+ksk_\\w{4}\\s+alice`));
    assert.ok(!listed.out.includes(secret) && !(await run("show", id)).out.includes(secret));
    assert.match((await run("disable", id)).out, /Disabled/);
    assert.match((await run("show", id)).out, /"disabled": true/);
    await run("enable", id);
    const rotated = await run("rotate", id, "--grace", "24h");
    assert.match(rotated.out, /old secret works for 24h[\s\S]*Secret \(shown once\): ksk_/);
    assert.equal((await run("rm", id)).code, 0);
    const after = createStore(open(db));
    assert.deepEqual([await after.control.listBudgets(), await after.control.listRateLimits()], [[], []], "its budget and rate limit went with it");
    await after.close();

    const bad = await run("create", "x", "--expires", "soon");
    assert.equal(bad.code, 1);
    assert.equal(bad.err, 'kestrel keys: --expires: must be a duration like 90d, 24h or 30m, got "soon"\n');
    assert.equal((await run("show", "key_missing")).code, 1);
    assert.equal((await run("frobnicate")).code, 2);
  });
});

test("provider-keys set → list → rotate-master: the secret opens under the new master key only, and is never printed", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "k.db");
    await createStore(open(db)).close();
    const OLD = "old-master-key-0123456789-0123456789-abcdef";
    const NEW = "new-master-key-0123456789-0123456789-abcdef";
    const env = { KESTREL_MASTER_KEY: OLD, GROQ_SECRET: "gsk_runtimeSECRETvalue", NEXT: NEW };
    const run = async (...args: string[]) => {
      const f = fakeIo(open, NOW);
      const code = await runProviderKeys([...args, "--db", db], f.io, { env, readFile: () => { throw new Error("no files"); } });
      return { code, text: f.out() + f.err() };
    };
    assert.equal((await run("set", "groq", "--from-env", "GROQ_SECRET")).code, 0);
    assert.match((await run("list")).text, /^groq  \(stored, encrypted\)$/m);
    const rotated = await run("rotate-master", "--new-key-env", "NEXT");
    assert.equal(rotated.code, 0, rotated.text);
    for (const r of [rotated]) assert.ok(!r.text.includes("SECRET"));
    const store = createStore(open(db));
    try {
      const fresh = createKeyRing(store.keys, { master: await masterKeyFrom(NEW) });
      await fresh.reload();
      assert.equal(fresh.providerSecret("groq"), "gsk_runtimeSECRETvalue");
      const stale = createKeyRing(store.keys, { master: await masterKeyFrom(OLD) });
      await stale.reload();
      assert.equal(stale.providerSecret("groq"), undefined);
    } finally {
      await store.close();
    }
    assert.equal((await run("set", "groq", "--from-env", "MISSING")).code, 2);
    assert.equal((await run("set", "nope", "--from-env", "GROQ_SECRET")).code, 2);
  });
});
