/**
 * @module `kestrel health [--url URL]`: asks a running Kestrel's /health and exits 0 when it answers "Healthy",
 * 1 otherwise. The container image has no shell or curl; its HEALTHCHECK runs the binary itself.
 */
import { type CommandIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./io.ts";

const TIMEOUT_MS = 5000;

/** The address serve listens on, as a client reaches it: a wildcard listener is asked on loopback. */
export function healthUrl(env: Readonly<Record<string, string | undefined>>): string {
  const host = env.KESTREL_HOST || "127.0.0.1";
  const reach = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  return `http://${reach}:${env.KESTREL_PORT || "5501"}/health`;
}

export async function runHealth(
  args: readonly string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
  fetcher: typeof fetch,
): Promise<number> {
  let url = healthUrl(env);
  if (args.length === 2 && args[0] === "--url") url = args[1]!;
  else if (args.length === 1 && args[0]!.startsWith("--url=")) url = args[0]!.slice("--url=".length);
  else if (args.length > 0) {
    io.err(`kestrel health: expected only --url URL, got ${JSON.stringify(args.join(" "))}\n`);
    return EXIT_USAGE;
  }
  try {
    const res = await fetcher(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await res.text();
    if (res.status === 200 && body === "Healthy") return EXIT_OK;
    io.err(`kestrel health: ${url} answered ${res.status} ${JSON.stringify(body.slice(0, 100))}\n`);
  } catch (err) {
    io.err(`kestrel health: ${url}: ${(err as Error).message}\n`);
  }
  return EXIT_FAILED;
}
