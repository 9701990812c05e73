/** Which runtime runs the tests, and how to start Kestrel's entry on it. */
import { fileURLToPath } from "node:url";

export const IS_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
export const RUNTIME = IS_BUN ? "bun" : "deno";
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Command + arguments that run Kestrel from source on the current runtime. */
export function kestrelCommand(args: string[]): [string, string[]] {
  return IS_BUN
    ? [process.execPath, [`${ROOT}src/entry/bun.ts`, ...args]]
    : [process.execPath, ["run", "-A", "--unstable-no-legacy-abort", `${ROOT}src/entry/deno.ts`, ...args]];
}
