// The runtime boundary (ARCHITECTURE.md §2): only src/entry/ may touch Bun, Deno or bun:* modules.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { ROOT } from "./_helpers/runtime.ts";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  );
}

const RUNTIME_SPECIFIC = /\bBun\.|\bDeno\.|\bfrom\s+["']bun:|import\(\s*["']bun:|\b(?:declare\s+const\s+)(?:Bun|Deno)\b/;

test("no Bun, Deno or bun: outside src/entry/", () => {
  const offenders = files(join(ROOT, "src"))
    .filter((f) => !relative(ROOT, f).startsWith(join("src", "entry")))
    .filter((f) => RUNTIME_SPECIFIC.test(readFileSync(f, "utf8")))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(offenders, []);
});

test("the check itself catches what it should", () => {
  for (const bad of ["Bun.serve({})", "Deno.env.get('X')", 'import { Database } from "bun:sqlite";', "await import('bun:ffi')"]) {
    assert.ok(RUNTIME_SPECIFIC.test(bad), bad);
  }
  assert.ok(!RUNTIME_SPECIFIC.test("const bundle = 1; // Bundles and Denormalise"));
});

test("no npm: or jsr: specifiers anywhere (they break Bun or offline Deno)", () => {
  const offenders = [...files(join(ROOT, "src")), ...files(join(ROOT, "test"))]
    .filter((f) => /from\s+["'](?:npm|jsr):/.test(readFileSync(f, "utf8")))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(offenders, []);
});
