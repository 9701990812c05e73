/** Starts Kestrel as a child process on the current runtime, on a free port, with a fresh database. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kestrelCommand } from "./runtime.ts";

export interface Kestrel {
  url: string;
  db: string;
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  stderr(): string;
  /** Resolves when a stdout line (from index `from` on) matches. */
  waitForLine(match: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** SIGTERM (default) and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "kestrel-test-"));
}

/**
 * `binary`: run that built executable instead of the source entry on the current runtime; `command`: run this
 * program with these leading arguments (e.g. Bun's source entry from a test running on Deno).
 */
export async function startKestrel(
  args: string[] = [],
  env: Record<string, string> = {},
  options: { binary?: string; command?: [string, string[]] } = {},
): Promise<Kestrel> {
  const db = join(tempDir(), "kestrel.db");
  const serveArgs = ["serve", "--port", "0", "--db", db, ...args];
  const [cmd, argv]: [string, string[]] = options.command
    ? [options.command[0], [...options.command[1], ...serveArgs]]
    : options.binary
    ? [options.binary, serveArgs]
    : kestrelCommand(serveArgs);
  const proc = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let err = "";
  let partial = "";
  const waiters: { match: RegExp; resolve(line: string): void }[] = [];
  proc.stdout!.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.match.test(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  proc.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  // Deno's node:child_process reports (null, "SIGTERM") for a child that handled SIGTERM and exited 0; the
  // "Stopped:" line that Kestrel prints just before exit(0) tells the two apart.
  const exited = new Promise<number | null>((resolve) =>
    proc.once("close", (code, signal) =>
      resolve(code === null && signal === "SIGTERM" && lines.some((l) => /INF\] Stopped: |"msg":"Stopped: /.test(l)) ? 0 : code)
    )
  );

  const waitForLine = (match: RegExp, timeoutMs = 15_000, from = 0) => {
    const seen = lines.slice(from).find((l) => match.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No line matching ${match} in:\n${lines.join("\n")}\n${err}`)), timeoutMs);
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      exited.then((code) => reject(new Error(`Kestrel exited (${code}) before ${match}:\n${lines.join("\n")}\n${err}`)));
    });
  };

  const listening = await waitForLine(/listening on (https?:\/\/\S+)/);
  const url = /listening on (https?:\/\/\S+)/.exec(listening)![1]!;
  return {
    url,
    db,
    proc,
    lines,
    stderr: () => err,
    waitForLine,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return await exited;
    },
  };
}
