import { test } from "node:test";
import assert from "node:assert/strict";
import { ScopeIndex } from "../../src/control/scope-index.ts";
import type { Scope } from "../../src/control/types.ts";
import { attrs } from "./_helpers.ts";

const ITEMS: { id: string; scope: Scope }[] = [
  { id: "all", scope: {} },
  { id: "proj", scope: { project: "team-a" } },
  { id: "proj-model", scope: { project: "team-a", model: "gpt-4o" } },
  { id: "proj-other-model", scope: { project: "team-a", model: "o3" } },
  { id: "user", scope: { user: "ann" } },
  { id: "key-tag", scope: { key_id: "k1", tag: "batch" } },
  { id: "tag", scope: { tag: "nightly" } },
  { id: "proj-b", scope: { project: "team-b" } },
];

function ids(index: ScopeIndex<{ id: string; scope: Scope }>, a = attrs()): string[] {
  return index.match(a).map((i) => i.id).sort();
}

test("scope index: every named key must equal the attribute; {} matches everything", () => {
  const index = new ScopeIndex(ITEMS, (i) => i.scope);
  assert.deepEqual(ids(index), ["all", "proj", "proj-model"]);
  assert.deepEqual(ids(index, attrs({ user: "ann", tags: ["batch", "nightly", "batch"] })), [
    "all", "key-tag", "proj", "proj-model", "tag", "user",
  ]);
  assert.deepEqual(ids(index, attrs({ key_id: null, project: null, model: null, tags: ["batch"] })), ["all"]);
});

test("scope index: the result array is reused (no allocation per lookup)", () => {
  const index = new ScopeIndex(ITEMS, (i) => i.scope);
  assert.equal(index.match(attrs()), index.match(attrs({ project: "zzz" })));
  assert.equal(new ScopeIndex([], () => ({})).match(attrs()).length, 0);
});
