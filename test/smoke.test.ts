import { test } from "node:test";
import assert from "node:assert/strict";
test("passes", () => { assert.equal(1, 1); });
