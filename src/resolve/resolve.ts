/** @module Client path → provider + upstream URL. Templated host labels are validated before anything leaves. */
import { ProxyError } from "../errors.ts";
import { PROVIDER_IDS, type Route, ROUTES } from "./routes.ts";

export interface Resolved {
  provider: string;
  /** Upstream path, raw bytes as the client sent them (no decode / re-encode). */
  path: string;
  /** Full upstream URL: origin + path + query. */
  url: string;
}

/** RFC 1123 label, lower-case only: never a host the client chose beyond one label. */
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isHostLabel(value: string): boolean {
  return HOST_LABEL.test(value);
}

/**
 * Builds the resolver. `overrides` maps a provider id to an origin (`scheme://host[:port]`) that replaces the
 * provider's scheme, host and port while keeping its path mapping (`--upstream NAME=URL`).
 */
export function createResolver(overrides: Readonly<Record<string, string>> = {}) {
  const available = PROVIDER_IDS.join(", ");

  /** `rawPath` is the request path as received (starts with `/`); `query` is `""` or starts with `?`. */
  return function resolve(rawPath: string, query: string): Resolved {
    let at = 1;
    while (rawPath.charCodeAt(at) === 47) at++;
    const slash = rawPath.indexOf("/", at);
    const segment = slash < 0 ? rawPath.slice(at) : rawPath.slice(at, slash);
    if (segment === "") throw new ProxyError("unknown_provider", 404, "Provider name is required in the path");
    const provider = segment.toLowerCase();
    const route: Route | undefined = Object.hasOwn(ROUTES, provider) ? ROUTES[provider] : undefined;
    if (!route) {
      throw new ProxyError(
        "unknown_provider",
        404,
        `Unknown provider: ${JSON.stringify(segment)}. Available providers: ${available}`,
      );
    }
    const rest = slash < 0 ? "" : rawPath.slice(slash);
    let path = `${route.prefix ?? ""}${rest || "/"}`;
    let labels: Record<string, string> = {};
    if (route.template) {
      const match = route.template(rest);
      if (typeof match === "string") throw new ProxyError("invalid_path", 400, match);
      for (const [name, value] of Object.entries(match.labels)) {
        if (!isHostLabel(value)) {
          throw new ProxyError(
            "invalid_path",
            400,
            `Invalid ${name} ${JSON.stringify(value)}: must be one DNS label (a-z, 0-9 and inner "-", at most 63)`,
          );
        }
      }
      labels = match.labels;
      path = match.path;
    }
    const origin = overrides[provider] ??
      (typeof route.origin === "string" ? route.origin : route.origin(labels));
    return { provider, path, url: origin + path + query };
  };
}

export type Resolve = ReturnType<typeof createResolver>;
