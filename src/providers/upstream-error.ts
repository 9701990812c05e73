/** @module One-line descriptions of errors reported inside successful responses (`MeterResult.upstreamError`). */
import { asObject, textOf } from "../usage/fields.ts";

const MAX_LENGTH = 500;

function clip(text: string): string {
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}

/**
 * `code: message` from the error shapes providers use: OpenAI `{message, type, code}`, Anthropic
 * `{type, message}`, Responses `{code, message}`, Gemini `{code: 429, message, status}`, Bedrock exceptions.
 */
export function describeError(error: unknown): string {
  if (typeof error === "string" && error !== "") return clip(error);
  const o = asObject(error);
  if (o === undefined) return "Upstream reported an error";
  const code = textOf(o.code) ?? textOf(o.status) ?? textOf(o.type) ?? textOf(o.__type) ??
    (typeof o.code === "number" ? String(o.code) : null);
  const message = textOf(o.message) ?? textOf(o.Message);
  if (code !== null && message !== null) return clip(`${code}: ${message}`);
  return clip(message ?? code ?? JSON.stringify(o));
}
