import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { bufferSearch } from "../../src/entry/byte-search.ts";
import {
  findKey,
  indexOfBytes,
  isNull,
  keyPattern,
  parseSlice,
  readString,
  useByteSearch,
  valueEnd,
} from "../../src/json/probe.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const USAGE = keyPattern("usage");

/** The text of the value findKey finds (through valueEnd), or null when findKey finds none. */
function valueText(json: string, key: Uint8Array = USAGE, from = 0): string | null {
  const bytes = enc(json);
  const at = findKey(bytes, key, from);
  if (at === -1) return null;
  const end = valueEnd(bytes, at);
  return end === -1 ? `<incomplete from ${at}>` : dec(bytes.subarray(at, end));
}

test("keyPattern encodes the name with its quotes", () => {
  assert.deepEqual(keyPattern("usage"), enc('"usage"'));
  assert.deepEqual(keyPattern('a"b'), enc('"a\\"b"'));
});

test("indexOfBytes finds multi-byte needles", () => {
  const cases: [string, string, number, number][] = [
    ["abcabd", "abd", 0, 3], // first candidate fails verification, second matches
    ["abc", "abc", 0, 0], // needle is the whole haystack
    ["abc", "abcd", 0, -1], // needle longer than haystack
    ["xxabxab", "ab", 3, 5], // from skips the first match
    ["xxabxab", "ab", 6, -1], // from leaves too little room
    ["aaab", "ab", 0, 2], // overlapping prefix
    ["a", "a", 0, 0], // one-byte needle
    ["abc", "", 1, 1], // empty needle matches at from
    ["é\"usage\"", '"usage"', 0, 2], // after a two-byte UTF-8 character
    ['"usag"usage"', '"usage"', 0, 5], // truncated candidate then a real match
    ["ab", "b", 5, -1], // from past the end
  ];
  for (const [hay, needle, from, want] of cases) {
    assert.equal(indexOfBytes(enc(hay), enc(needle), from), want, `${hay} / ${needle} / ${from}`);
  }
});

test("findKey returns the value of the first real key", () => {
  const cases: [string, string | null][] = [
    ['{"usage":{"a":1}}', '{"a":1}'], // plain top-level key
    ['{"x":1,"usage":null}', "null"], // null value
    ['{"choices":[{"usage":5}],"usage":7}', "5"], // nested key first: any depth matches
    ['{"text":"the \\"usage\\": 1","usage":2}', "2"], // key text inside a string value is escaped
    ['{"foo\\"usage":1,"usage":3}', "3"], // match whose opening quote is escaped (inside a key) is skipped
    ['{"a":"usage","usage":4}', "4"], // the name as a string value (followed by `,`, not `:`)
    ['{"a":["usage"],"usage":4}', "4"], // the name as an array element
    ['{"usage" : \n\t "x"}', '"x"'], // whitespace around the colon
    ['{"usageX":1,"usage":9}', "9"], // longer key with the same prefix
    ['{"usage":', null], // truncated before the value
    ['{"usage"', null], // truncated before the colon
    ['{"a":"\\\\","usage":1}', "1"], // escaped backslash before a closing quote: the next key is real
    ['{"t":"\u2028","usage":8}', "8"], // U+2028 raw in a string
    ['{"t":"日本語","usage":{"n":"é"}}', '{"n":"é"}'], // multibyte UTF-8 before and inside the value
    ['{"nothing":1}', null], // absent
    ['{"usage":{"prompt":1,"nested":{"s":"}"}}}', '{"prompt":1,"nested":{"s":"}"}}'], // brace inside string
  ];
  for (const [json, want] of cases) assert.equal(valueText(json), want, json);
});

test("findKey starts at from", () => {
  const json = '{"usage":1,"b":{"usage":2}}';
  const bytes = enc(json);
  const first = findKey(bytes, USAGE);
  assert.equal(dec(bytes.subarray(first, valueEnd(bytes, first))), "1");
  assert.equal(valueText(json, USAGE, first), "2");
});

test("valueEnd matches every JSON value kind", () => {
  const cases: [string, number][] = [
    ['{"a":[1,{"b":"]"}]} tail', 19], // nested object and array, bracket inside a string
    ["[] ,", 2], // empty array
    ['"a\\"b" x', 6], // string with escaped quote
    ['"a\\\\" x', 5], // string ending in an escaped backslash
    ["-12.5e+3,", 8], // number with sign, fraction, exponent
    ["42", 2], // number running to the end of the input
    ["true,", 4], // true
    ["false]", 5], // false
    ["null}", 4], // null
    ["nul", -1], // truncated literal
    ["tru", -1], // truncated literal
    ['{"a":1', -1], // truncated object
    ['{"a":"b', -1], // truncated inside a string
    ['"abc\\"', -1], // string cut after an escaped quote
    ["[[1,2],[3", -1], // truncated nested array
    ["}", -1], // not a value
    ["", -1], // empty input
    ['{"s":"日本","u":"\u2028"}', 24], // multibyte UTF-8 and U+2028 inside strings (byte length)
  ];
  for (const [json, want] of cases) assert.equal(valueEnd(enc(json), 0), want, json);
});

test("isNull recognizes only the null literal", () => {
  const cases: [string, number, boolean][] = [
    ['{"usage":null}', 9, true], // null value
    ['{"usage":nul', 9, false], // truncated
    ['{"usage":{}}', 9, false], // object
    ["null", 0, true], // at the start
  ];
  for (const [json, at, want] of cases) assert.equal(isNull(enc(json), at), want, json);
});

test("readString decodes strings with and without escapes", () => {
  const cases: [string, string | undefined][] = [
    ['"gpt-4o"', "gpt-4o"], // plain ASCII, fast path
    ['"a\\"b\\\\c\\n"', 'a"b\\c\n'], // escapes resolved
    ['"\\u00e9t\\u00e9"', "été"], // unicode escapes
    ['"日本"', "日本"], // raw multibyte UTF-8
    ['"x\u2028y"', "x\u2028y"], // raw U+2028
    ['"open', undefined], // unterminated
    ["12", undefined], // not a string
  ];
  for (const [json, want] of cases) assert.equal(readString(enc(json), 0), want, json);
});

test("parseSlice parses a slice and never throws", () => {
  const bytes = enc('xx{"a":[1,"é"]}yy');
  assert.deepEqual(parseSlice(bytes, 2, 16), { a: [1, "é"] });
  assert.equal(parseSlice(bytes, 0, 16), undefined); // leading garbage
  assert.equal(parseSlice(enc('{"a":'), 0, 5), undefined); // truncated
  assert.equal(parseSlice(enc("null")), null); // whole buffer by default
  assert.deepEqual(parseSlice(new Uint8Array([0x22, 0xff, 0x22])), "\ufffd"); // invalid UTF-8 is replaced
});

test("every probe stops at end: nothing at or past it is matched or returned", () => {
  // The event `{"a":1,"usage"` ends mid-member; the next bytes in the same buffer hold a real usage.
  const bytes = enc('{"a":1,"usage"\n\ndata: {"usage":{"x":1}}');
  const end = '{"a":1,"usage"'.length;
  assert.equal(findKey(bytes, USAGE, 0, end), -1);
  assert.equal(findKey(bytes, USAGE, 0, end + 1), -1, "the colon is outside [0, end)");
  assert.notEqual(findKey(bytes, USAGE), -1, "without an end the later key is found");
  const s = enc('{"k":"abc"}');
  assert.equal(valueEnd(s, 5, 8), -1, "a string not closed before end");
  assert.equal(valueEnd(s, 5, 10), 10);
  assert.equal(valueEnd(s, 0, 10), -1, "an object not closed before end");
  assert.equal(readString(s, 5, 9), undefined);
  assert.equal(readString(s, 5, 10), "abc");
  assert.equal(isNull(enc("nullx"), 0, 3), false);
  assert.equal(isNull(enc("nullx"), 0, 4), true);
  assert.equal(indexOfBytes(enc("abcabc"), enc("bc"), 2, 4), -1);
  assert.equal(indexOfBytes(enc("abcabc"), enc("bc"), 2, 6), 4);
});

// Each search the core may run with: its own anchored one and the runtime's native one (Traits.byteSearch).
for (const [label, search] of [["anchored", null], ["native", bufferSearch]] as const) {
  const named = (name: string) => `${name} (${label} search)`;
  test(named("searches that run far past end are bounded afterwards and find the same"), () => {
    useByteSearch(search);
    // An anchor byte (`g` of "usage") that occurs only twice, 11 KB apart: the searches between run far past their
    // end and switch the buffer to bounded views. Results must equal each event's search on its own bytes.
    const events = Array.from(
      { length: 1000 },
      (_, i) => i === 7 || i === 998 ? '{"usage":{"n":1}}' : `{"id":"x${i}"}`,
    );
    const text = events.join("\n") + "\n" + " ".repeat(10_000);
    const bytes = enc(text);
    let at = 0;
    for (const e of events) {
      const end = at + e.length;
      const alone = findKey(enc(e), USAGE);
      const found = findKey(bytes, USAGE, at, end);
      assert.equal(found === -1 ? -1 : found - at, alone, e);
      at = end + 1;
    }
    useByteSearch(null);
  });

  test(named("indexOfBytes equals a naive search over short, long and far ranges"), () => {
    useByteSearch(search);
    // Short ranges take a plain loop, long ones the native search, far ones bounded views: all must agree.
    const naive = (hay: Uint8Array, needle: Uint8Array, from: number, end: number) => {
      for (let s = from; s + needle.length <= end; s++) {
        let k = 0;
        while (k < needle.length && hay[s + k] === needle[k]) k++;
        if (k === needle.length) return s;
      }
      return -1;
    };
    const text = fc.stringMatching(/^[usage"g:{} ]{0,200}$/);
    const needles = fc.constantFrom("usage", '"usage"', "g", "ge");
    fc.assert(
      fc.property(text, needles, fc.nat(), fc.nat(), fc.nat({ max: 9000 }), (t, n, a, b, pad) => {
        const hay = enc(t + " ".repeat(pad) + t);
        const needle = enc(n);
        const from = a % (hay.length + 1);
        const end = from + (b % (hay.length - from + 1));
        assert.equal(indexOfBytes(hay, needle, from, end), naive(hay, needle, from, end));
      }),
      { numRuns: 500 },
    );
    useByteSearch(null);
  });
}
