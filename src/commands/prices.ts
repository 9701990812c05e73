/** @module `kestrel prices [MODEL]`, and the pricer `serve` and `reprice` share: embedded table + `--prices` file. */
import { ConfigError } from "../config.ts";
import { parsePriceOverrides } from "../pricing/overrides.ts";
import { createPricer, type Pricer } from "../pricing/pricer.ts";
import { type CommandIo, EXIT_OK, EXIT_USAGE } from "./io.ts";

/** The pricer with the overrides file, if any; a bad file is a ConfigError naming its line and key. */
export function loadPricer(
  path: string | null,
  readFile: (path: string) => string,
  onUnpriced?: (provider: string, model: string) => void,
): Pricer {
  if (path === null) return createPricer(onUnpriced ? { onUnpriced } : {});
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError(`Cannot read price file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  let overrides;
  try {
    overrides = parsePriceOverrides(text, path);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return createPricer({ overrides, ...(onUnpriced ? { onUnpriced } : {}) });
}

/** `--prices FILE` (or KESTREL_PRICES) out of a command's arguments; the rest is returned. */
export function takePricesFlag(args: readonly string[], env: Readonly<Record<string, string | undefined>>) {
  const rest: string[] = [];
  let file: string | null = env.KESTREL_PRICES || null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--prices") {
      const value = args[++i];
      if (value === undefined) throw new ConfigError("Option --prices needs a value");
      file = value;
    } else if (arg.startsWith("--prices=")) file = arg.slice("--prices=".length);
    else rest.push(arg);
  }
  return { file, rest };
}

export function runPrices(
  args: readonly string[],
  io: CommandIo,
  readFile: (path: string) => string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const { file, rest } = takePricesFlag(args, env);
  if (rest.length > 1 || rest.some((a) => a.startsWith("--"))) {
    io.err(`kestrel prices: expected at most one MODEL and --prices FILE, got ${JSON.stringify(rest.join(" "))}\n`);
    return Promise.resolve(EXIT_USAGE);
  }
  const text = loadPricer(file, readFile).describe(rest[0]);
  io.out(text.endsWith("\n") ? text : `${text}\n`);
  return Promise.resolve(EXIT_OK);
}
