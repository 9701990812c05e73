/** @module `--flag value` / `--flag=value` parsing and the filter flags shared by usage, export and reprice. */
import { type Parsed, parseFilter } from "../store/query-params.ts";
import type { RequestFilter } from "../store/filter.ts";

export type FlagKind = "value" | "switch";

export interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  help: boolean;
}

/** The filter flags (CLI spelling → filter field). */
export const FILTER_FLAGS: Readonly<Record<string, string>> = {
  "since": "since",
  "until": "until",
  "provider": "provider",
  "model": "model",
  "key-id": "key_id",
  "user": "user",
  "project": "project",
  "outcome": "outcome",
};

const quote = (v: string) => JSON.stringify(v);

/** Flags by name without dashes. The last occurrence of a value flag wins. `-h` / `--help` set `help`. */
export function parseFlags(args: readonly string[], spec: Readonly<Record<string, FlagKind>>): Parsed<Flags> {
  const flags: Flags = { values: new Map(), switches: new Set(), help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "-h" || arg === "--help") {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith("--")) return { ok: false, message: `Unexpected argument ${quote(arg)}` };
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) return { ok: false, message: `Unknown flag ${quote(`--${name}`)}` };
    if (kind === "switch") {
      if (eq >= 0) return { ok: false, message: `Flag ${quote(`--${name}`)} takes no value` };
      flags.switches.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      // A following flag is not a value: `--since --db x` is a missing value, not since="--db".
      if (value === undefined || value.startsWith("--")) {
        return { ok: false, message: `Flag ${quote(`--${name}`)} needs a value` };
      }
      i++;
    }
    if (value === "") return { ok: false, message: `Flag ${quote(`--${name}`)} needs a value` };
    flags.values.set(name, value);
  }
  return { ok: true, value: flags };
}

/** The spec entries for the filter flags plus --db and --store. */
export const COMMON_FLAGS: Readonly<Record<string, FlagKind>> = {
  ...Object.fromEntries(Object.keys(FILTER_FLAGS).map((f) => [f, "value" as const])),
  db: "value",
  store: "value",
};

const FLAG_OF = new Map(Object.entries(FILTER_FLAGS).map(([flag, field]) => [field, flag]));

/** The filter from the filter flags; messages name the flag (`--key-id`). */
export function filterFromFlags(flags: Flags, now: number): Parsed<RequestFilter> {
  const parsed = parseFilter(
    (field) => flags.values.get(FLAG_OF.get(field) ?? field),
    now,
    (f) => `--${FLAG_OF.get(f) ?? f}`,
  );
  if (parsed.ok) return parsed;
  // parseTimeRange words its messages with the bare names; say the flags instead.
  return {
    ok: false,
    message: parsed.message.replace(/^Invalid (since|until)\b/, "Invalid --$1").replace(
      /^Since (.*) is not before until/,
      "--since $1 is not before --until",
    ),
  };
}
