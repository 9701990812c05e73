/** @module Access to /api/*: bearer admin token (constant-time), or loopback-only when no token is set. */
import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../errors.ts";

const encoder = new TextEncoder();
/** Host header values that name this machine: a DNS-rebinding page sends its own name, never one of these. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Equal-length digests compared without an early exit: timing tells nothing about the token. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * With a token: every request needs `Authorization: Bearer <token>` (401 otherwise). Without one: allowed
 * only when the server listens on loopback, else 403 `admin_token_required` (usage data names users and keys),
 * and only for a Host header naming loopback, else 403 `forbidden_host`: a web page whose name was re-pointed at
 * 127.0.0.1 (DNS rebinding) reaches the loopback port from the user's browser, but with its own name as Host.
 */
export function apiAuth(adminToken: string | null, loopbackOnly: boolean): MiddlewareHandler {
  const expected = adminToken === null ? null : digest(adminToken);
  return async (c, next) => {
    if (expected === null) {
      if (!loopbackOnly) {
        return errorResponse(
          "admin_token_required",
          403,
          "The API is off on a non-loopback address until an admin token is set (KESTREL_ADMIN_TOKEN or --admin-token)",
        );
      }
      if (!LOOPBACK_HOST.test(c.req.header("host") ?? "")) {
        return errorResponse(
          "forbidden_host",
          403,
          "Without an admin token the API answers only requests addressed to localhost, 127.0.0.1 or [::1] (Host header)",
        );
      }
      return next();
    }
    const match = BEARER.exec(c.req.header("authorization") ?? "");
    if (match === null || !sameBytes(await digest(match[1] as string), await expected)) {
      const res = errorResponse(
        "unauthorized",
        401,
        `Missing or wrong admin token: send "Authorization: Bearer <token>"`,
      );
      res.headers.set("www-authenticate", 'Bearer realm="kestrel"');
      return res;
    }
    return next();
  };
}
