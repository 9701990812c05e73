/** @module One error type for conditions callers handle, and the JSON body every HTTP error uses. */

export type ErrorCode =
  | "unknown_provider"
  | "invalid_path"
  | "upstream_unreachable"
  | "upstream_timeout"
  | "internal_error"
  | "not_found"
  | "client_timeout"
  | "method_not_allowed";

/** A failure with a stable snake_case code, an HTTP status and a sentence-case message. */
export class ProxyError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ProxyError";
  }
}

/** `{ "error": { "code", "message" } }` with the given status. */
export function errorResponse(code: string, status: number, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

export function toResponse(err: ProxyError): Response {
  return errorResponse(err.code, err.status, err.message);
}
