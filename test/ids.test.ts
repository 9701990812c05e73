import assert from "node:assert/strict";
import { test } from "node:test";
import { requestId, ulid } from "../src/ids.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const decodeTime = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);

test("ulid: 26 Crockford characters, the time part decodes to the time, unique past one random block", () => {
  const seen = new Set<string>();
  const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
  // 1,000 ids in the same millisecond and then later ones: the cached time part and the random pool refills.
  for (let i = 0; i < 1000; i++) seen.add(ulid(at));
  for (let i = 0; i < 1000; i++) seen.add(ulid(at + i));
  assert.equal(seen.size, 2000);
  for (const id of seen) {
    assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.ok(decodeTime(id) >= at && decodeTime(id) < at + 1000);
  }
  assert.equal(decodeTime(ulid(at + 0.9)), at);
  assert.ok(ulid(at) < ulid(at + 1), "later ids sort after earlier ones");
});

test("requestId: req_ + a lower-case ulid", () => {
  assert.match(requestId(Date.now()), /^req_[0-9a-hjkmnp-tv-z]{26}$/);
});
