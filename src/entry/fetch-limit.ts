/**
 * @module Bun's fetch limit (docs/architecture.md §11). Bun keeps at most 256 upstream requests open and queues the
 * rest unless `BUN_CONFIG_MAX_HTTP_REQUESTS` is in the environment when the process starts: setting `process.env`
 * before the first fetch changes nothing, nor does an `--env-file` embedded with `--compile-exec-argv`, and no
 * flag or bunfig key sets it (measured on Bun 1.4.5). So a Kestrel started without it replaces itself once, before
 * the app is loaded, with execve(2) and the variable set: the same pid, arguments, stdio and signal handling, and
 * its exit code is Kestrel's. Where execve is out of reach (Windows, no C library found) the caller warns instead.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

export const FETCH_LIMIT_VAR = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Upstream requests open at once (each one a socket), the value deploy/ and bench/ use too. */
export const FETCH_LIMIT = "4096";

/** The one Bun global read here (see bun.ts on why bun-types is not used). */
declare const Bun: { main: string; env: Record<string, string | undefined> };

/** Where execve lives: glibc, musl (its loader is the library), macOS's libSystem. */
const LIBC: Partial<Record<string, readonly string[]>> = {
  linux: ["libc.so.6", `/lib/ld-musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`],
  darwin: ["/usr/lib/libSystem.B.dylib"],
};

type Execve = (path: number, argv: number, envp: number) => number;

function findExecve(paths: readonly string[]): Execve | null {
  for (const path of paths) {
    try {
      const lib = dlopen(path, { execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } });
      return lib.symbols.execve as unknown as Execve;
    } catch {
      // not this C library: try the next
    }
  }
  return null;
}

/** A NULL-terminated array of C strings; `keep` holds the bytes alive until the call. */
function cStrings(items: string[], keep: Uint8Array[]): BigUint64Array {
  const array = new BigUint64Array(items.length + 1);
  items.forEach((item, i) => {
    const bytes = new TextEncoder().encode(`${item}\0`);
    keep.push(bytes);
    array[i] = BigInt(ptr(bytes));
  });
  return array;
}

/**
 * Null when the limit is in the environment. Otherwise this process is replaced and the call never returns, or it
 * returns why that was not possible.
 */
export function ensureFetchLimit(): string | null {
  if (Bun.env[FETCH_LIMIT_VAR]) return null;
  const libc = LIBC[process.platform];
  if (libc === undefined) return `no execve on ${process.platform}`;
  const execve = findExecve(libc);
  if (execve === null) return `no C library found at ${libc.join(", ")}`;
  // A compiled binary runs its embedded entry whatever its arguments; `bun [flags] file.ts` needs its flags and file.
  const compiled = Bun.main.startsWith("/$bunfs/");
  const argv = [process.argv0, ...(compiled ? [] : [...process.execArgv, Bun.main]), ...process.argv.slice(2)];
  const env = Object.entries({ ...Bun.env, [FETCH_LIMIT_VAR]: FETCH_LIMIT })
    .flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${value}`]));
  const keep: Uint8Array[] = [];
  const file = new TextEncoder().encode(`${process.execPath}\0`);
  execve(ptr(file), ptr(cStrings(argv, keep)), ptr(cStrings(env, keep)));
  // execve returns only on failure. `keep` is touched after the call so that its bytes live through it.
  keep.length = 0;
  return `execve ${process.execPath} failed`;
}
