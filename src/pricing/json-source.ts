/**
 * @module A small JSON parser that keeps what `JSON.parse` throws away: the exact text of every number (so
 * prices convert to integers without a float in between) and the line of every value (so a bad price file is
 * refused with the line at fault). Strict RFC 8259; duplicate keys are an error (the last would win silently).
 */

export type JsonNode =
  | { kind: "object"; line: number; entries: [key: string, value: JsonNode, keyLine: number][] }
  | { kind: "array"; line: number; items: JsonNode[] }
  | { kind: "number"; line: number; text: string }
  | { kind: "string"; line: number; value: string }
  | { kind: "bool"; line: number; value: boolean }
  | { kind: "null"; line: number };

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"((?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"/y;
const SPACE = /[ \t\n\r]*/y;

export function parseJsonSource(text: string): JsonNode {
  let pos = 0;
  let line = 1;
  // Lines are counted lazily: `lineAt` advances from the last counted position only.
  let counted = 0;
  const lineAt = (at: number): number => {
    for (; counted < at; counted++) if (text.charCodeAt(counted) === 10) line++;
    return line;
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at line ${lineAt(pos)}`, lineAt(pos));
  };
  const skip = (): void => {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    pos = SPACE.lastIndex;
  };
  const readString = (): string => {
    STRING.lastIndex = pos;
    const m = STRING.exec(text);
    if (m === null) return fail("Invalid string");
    pos = STRING.lastIndex;
    return JSON.parse(m[0]) as string;
  };
  const value = (depth: number): JsonNode => {
    if (depth > 64) fail("Nesting too deep");
    skip();
    const at = lineAt(pos);
    const c = text[pos];
    if (c === "{") {
      pos++;
      const entries: [string, JsonNode, number][] = [];
      const seen = new Set<string>();
      skip();
      if (text[pos] === "}") return pos++, { kind: "object", line: at, entries };
      for (;;) {
        skip();
        const keyLine = lineAt(pos);
        if (text[pos] !== '"') fail("Expected a key");
        const key = readString();
        if (seen.has(key)) fail(`Duplicate key "${key}"`);
        seen.add(key);
        skip();
        if (text[pos++] !== ":") pos--, fail("Expected ':'");
        entries.push([key, value(depth + 1), keyLine]);
        skip();
        const sep = text[pos++];
        if (sep === "}") return { kind: "object", line: at, entries };
        if (sep !== ",") pos--, fail("Expected ',' or '}'");
      }
    }
    if (c === "[") {
      pos++;
      const items: JsonNode[] = [];
      skip();
      if (text[pos] === "]") return pos++, { kind: "array", line: at, items };
      for (;;) {
        items.push(value(depth + 1));
        skip();
        const sep = text[pos++];
        if (sep === "]") return { kind: "array", line: at, items };
        if (sep !== ",") pos--, fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: "string", line: at, value: readString() };
    if (text.startsWith("true", pos)) return (pos += 4), { kind: "bool", line: at, value: true };
    if (text.startsWith("false", pos)) return (pos += 5), { kind: "bool", line: at, value: false };
    if (text.startsWith("null", pos)) return (pos += 4), { kind: "null", line: at };
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) return fail("Unexpected character");
    pos = NUMBER.lastIndex;
    return { kind: "number", line: at, text: m[0] };
  };
  const root = value(0);
  skip();
  if (pos !== text.length) fail("Unexpected text after the JSON value");
  return root;
}
