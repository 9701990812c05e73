/**
 * @module `kestrel provider-keys list|set|rm|rotate-master`: provider secrets kept in the store, sealed under the
 * master key (src/keys/vault.ts). Values come from an environment variable or a file, never the command line
 * (where `ps` and shell history would show them), and are never printed.
 */
import { masterKeyOf } from "../keys/provider-keys.ts";
import { masterKeyFrom, open, seal } from "../keys/vault.ts";
import { PROVIDER_IDS } from "../resolve/routes.ts";
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";
import { parseFlags } from "./report-flags.ts";
import { openForCommand } from "./report-open.ts";

export const PROVIDER_KEYS_HELP = `Usage: kestrel provider-keys list [--db PATH | --store URL]
       kestrel provider-keys set PROVIDER (--from-env VAR | --from-file PATH) [--db PATH | --store URL]
       kestrel provider-keys rm PROVIDER [--db PATH | --store URL]
       kestrel provider-keys rotate-master --new-key-env VAR [--db PATH | --store URL]
  Secrets are sealed (AES-256-GCM) under KESTREL_MASTER_KEY (or the file KESTREL_MASTER_KEY_FILE names);
  rotate-master re-seals every stored secret under the key in VAR, then set KESTREL_MASTER_KEY to it.
`;

export interface ProviderKeysEnv {
  env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): string;
}

export async function runProviderKeys(args: string[], io: CommandIo, sources: ProviderKeysEnv): Promise<number> {
  const fail = (message: string, code = EXIT_USAGE) => (io.err(`kestrel provider-keys: ${message}\n`), code);
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") {
    io.out(PROVIDER_KEYS_HELP);
    return sub === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (!["list", "set", "rm", "rotate-master"].includes(sub)) return fail(`Unknown subcommand ${JSON.stringify(sub)}: use list, set, rm or rotate-master`);
  const provider = sub === "set" || sub === "rm" ? (rest[0] !== undefined && !rest[0].startsWith("-") ? rest.shift()! : null) : null;
  if ((sub === "set" || sub === "rm") && provider === null) return fail(`${sub} needs a PROVIDER`);
  if (provider !== null && !PROVIDER_IDS.includes(provider)) return fail(`Unknown provider ${JSON.stringify(provider)}`);
  const flags = parseFlags(rest, {
    db: "value",
    store: "value",
    ...(sub === "set" ? { "from-env": "value", "from-file": "value" } : {}),
    ...(sub === "rotate-master" ? { "new-key-env": "value" } : {}),
  } as const);
  if (!flags.ok) return fail(flags.message);
  if (flags.value.help) return (io.out(PROVIDER_KEYS_HELP), EXIT_OK);
  const values = flags.value.values;

  let masterText: string | null;
  try {
    masterText = masterKeyOf(sources.env.KESTREL_MASTER_KEY, sources.env.KESTREL_MASTER_KEY_FILE ?? null, sources.readFile);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (sub !== "list" && sub !== "rm" && masterText === null) return fail("Set KESTREL_MASTER_KEY (or KESTREL_MASTER_KEY_FILE) first");

  let secret: string | null = null;
  if (sub === "set") {
    const fromEnv = values.get("from-env");
    const fromFile = values.get("from-file");
    if ((fromEnv === undefined) === (fromFile === undefined)) return fail("set needs exactly one of --from-env VAR or --from-file PATH");
    try {
      secret = (fromEnv !== undefined ? sources.env[fromEnv] ?? "" : sources.readFile(fromFile!)).trim();
    } catch (err) {
      return fail(`Cannot read ${JSON.stringify(fromFile)}: ${(err as Error).message}`, EXIT_FAILED);
    }
    if (secret === "") return fail(fromEnv !== undefined ? `${fromEnv} is not set or empty` : `${fromFile} is empty`);
  }
  let newMaster: string | undefined;
  if (sub === "rotate-master") {
    const name = values.get("new-key-env");
    newMaster = name === undefined ? undefined : sources.env[name]?.trim();
    if (!newMaster || newMaster.length < 32) return fail("rotate-master needs --new-key-env VAR naming a variable with a key of at least 32 characters");
  }

  const opened = await openForCommand(flags.value, io, "provider-keys");
  if (!opened.ok) return fail(opened.message, EXIT_FAILED);
  const { store } = opened;
  try {
    if (sub === "list") {
      const stored = await store.keys.sealedSecrets();
      io.out(stored.size === 0 ? "No provider secrets in the store\n" : [...stored.keys()].map((p) => `${p}  (stored, encrypted)\n`).join(""));
    } else if (sub === "set") {
      await store.keys.putSealed(provider!, await seal(await masterKeyFrom(masterText!), provider!, secret!));
      io.out(`Stored the secret for ${provider} (encrypted); a running server uses it within a second\n`);
    } else if (sub === "rm") {
      await store.keys.putSealed(provider!, null);
      io.out(`Removed the stored secret for ${provider}\n`);
    } else {
      const oldKey = await masterKeyFrom(masterText!);
      const newKey = await masterKeyFrom(newMaster!);
      const stored = await store.keys.sealedSecrets();
      // Every value is opened before any is written: a wrong current key changes nothing.
      const plain = new Map<string, string>();
      for (const [p, sealed] of stored) plain.set(p, await open(oldKey, p, sealed).catch(() => {
        throw new Error(`the stored secret for ${p} does not open under KESTREL_MASTER_KEY`);
      }));
      for (const [p, value] of plain) await store.keys.putSealed(p, await seal(newKey, p, value));
      io.out(`Re-sealed ${plain.size} provider secrets under the new master key: now set KESTREL_MASTER_KEY to it and restart\n`);
    }
    return EXIT_OK;
  } catch (err) {
    return fail(`Cannot ${sub}: ${err instanceof Error ? err.message : String(err)}`, EXIT_FAILED);
  } finally {
    await store.close();
  }
}
