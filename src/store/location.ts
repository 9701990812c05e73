/** @module Where usage records live: `sqlite:PATH` or a PostgreSQL URL (the `--store` flag), and how to name it safely. */

export type StoreLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

/**
 * Parses a `--store` value. Throws an Error whose message never quotes a PostgreSQL URL back: it may hold a
 * password. A bare path (no scheme) is taken as a SQLite file, like `--db`.
 */
export function parseStoreLocation(value: string): StoreLocation {
  if (value.startsWith("sqlite:")) {
    const path = value.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new Error("needs a file after sqlite: (sqlite:./kestrel.db)");
    return { kind: "sqlite", path };
  }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new Error("is not a valid postgres:// URL (postgres://user:password@host:5432/db?sslmode=require)");
    }
    if (url.hostname === "") throw new Error("needs a host: postgres://user:password@host:5432/db");
    return { kind: "postgres", url: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error("must be sqlite:PATH or postgres://user:password@host:port/db");
  }
  return { kind: "sqlite", path: value };
}

/** The URL with its password replaced by `***`: safe for logs, errors and check-config output. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

/** For logs: `sqlite:./kestrel.db` or the masked URL. */
export function describeStore(location: StoreLocation): string {
  return location.kind === "sqlite" ? `sqlite:${location.path}` : maskUrl(location.url);
}
