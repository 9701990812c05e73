/**
 * @module The config file's `provider_keys`: provider id → `{"env": "VAR"}` or `{"file": "/run/secrets/x"}`. The
 * secrets are read once at startup (and at SIGHUP) and live only in memory; errors name the provider and the
 * source, never a value.
 */
import { ConfigError } from "../config.ts";
import { PROVIDER_IDS } from "../resolve/routes.ts";

export function providerKeysFromFile(
  value: unknown,
  where: string,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): { secrets: ReadonlyMap<string, string>; sources: Record<string, string> } {
  const secrets = new Map<string, string>();
  const sources: Record<string, string> = {};
  if (value === undefined) return { secrets, sources };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where} must be an object of provider → {"env": VAR} or {"file": PATH}`);
  }
  for (const [provider, source] of Object.entries(value)) {
    const at = `${where}.${provider}`;
    if (!(PROVIDER_IDS as readonly string[]).includes(provider)) throw new ConfigError(`${at}: unknown provider`);
    const { env: name, file } = (typeof source === "object" && source !== null ? source : {}) as { env?: unknown; file?: unknown };
    let secret: string | undefined;
    if (typeof name === "string" && name !== "" && file === undefined) {
      secret = env[name];
      if (secret === undefined || secret.trim() === "") throw new ConfigError(`${at}: environment variable ${name} is not set`);
      sources[provider] = `env ${name}`;
    } else if (typeof file === "string" && file !== "" && name === undefined) {
      try {
        secret = readFile(file);
      } catch (err) {
        throw new ConfigError(`${at}: cannot read ${JSON.stringify(file)}: ${(err as Error).message}`);
      }
      sources[provider] = `file ${file}`;
    } else {
      throw new ConfigError(`${at} must be {"env": VAR} or {"file": PATH}`);
    }
    secret = secret.trim();
    if (secret === "") throw new ConfigError(`${at}: the secret is empty`);
    secrets.set(provider, secret);
  }
  return { secrets, sources };
}

/** `KESTREL_MASTER_KEY`, else the `--master-key-file`'s content, else null. The value is never quoted in an error. */
export function masterKeyOf(fromEnv: string | undefined, file: string | null, readFile: (path: string) => string): string | null {
  if (fromEnv !== undefined && fromEnv.trim() !== "") return fromEnv.trim();
  if (file === null) return null;
  let text: string;
  try {
    text = readFile(file).trim();
  } catch (err) {
    throw new ConfigError(`--master-key-file: cannot read ${JSON.stringify(file)}: ${(err as Error).message}`);
  }
  if (text.length < 32) throw new ConfigError(`--master-key-file: the key in ${JSON.stringify(file)} is shorter than 32 characters`);
  return text;
}
