/**
 * @module JSON for the outside (log lines, OTLP bodies) with every secret-looking string redacted
 * (src/redact.ts). Below the sink and the OTLP exporter, which both use it.
 */
import { redact } from "../redact.ts";

/** Extra members of a JSON object, as key/value pairs; keys are written as they are (no characters to escape). */
export type Members = readonly (readonly [key: string, value: unknown])[];

/** Any string inside a JSON log object, redacted before serialising (redacting the JSON text could eat an escape). */
const redactStrings = (_key: string, value: unknown) => (typeof value === "string" ? redact(value) : value);

/**
 * JSON of the object `value`, plus `members` appended, with every string redacted; the replacer runs only when the
 * plain serialisation hints at a secret. The members are appended as text: a copy of the record with a dozen more
 * keys serialised several times slower (docs/architecture.md §15).
 */
export function safeJson(value: unknown, members?: Members): string {
  let plain = JSON.stringify(value);
  if (members !== undefined && members.length > 0 && plain.endsWith("}")) {
    let extra = "";
    for (const [key, v] of members) extra += `,"${key}":${typeof v === "number" && Number.isFinite(v) ? v : JSON.stringify(v)}`;
    plain = plain === "{}" ? `{${extra.slice(1)}}` : `${plain.slice(0, -1)}${extra}}`;
  }
  if (redact(plain) === plain) return plain;
  const whole = members === undefined ? value : Object.assign({}, value, Object.fromEntries(members));
  return JSON.stringify(whole, redactStrings);
}

