// The runtime boundary (docs/architecture.md §2): only src/entry/ may touch Bun, Deno or bun:* modules.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { test } from "node:test";
import { atLeast } from "./_chunking.ts";
import { ROOT } from "./_helpers/runtime.ts";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  );
}

const RUNTIME_SPECIFIC =
  /\bBun\.|\bDeno\.|\bfrom\s+["']bun:|import\(\s*["']bun:|\b(?:declare\s+const\s+)(?:Bun|Deno)\b|["'](?:Bun|Deno)["']\s+in\s+globalThis/;

test("no Bun, Deno or bun: outside src/entry/", () => {
  const offenders = files(join(ROOT, "src"))
    .filter((f) => !relative(ROOT, f).startsWith(join("src", "entry")))
    .filter((f) => RUNTIME_SPECIFIC.test(readFileSync(f, "utf8")))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(offenders, []);
});

test("the check itself catches what it should", () => {
  for (const bad of ["Bun.serve({})", "Deno.env.get('X')", 'import { Database } from "bun:sqlite";', "await import('bun:ffi')", '"Bun" in globalThis']) {
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

/**
 * Documents outside the repository that comments used to cite (design notes, research notes, a shared folder).
 * The project must stand alone: comments cite docs/architecture.md or say the fact. This file is the one place
 * that names them, so it is left out of the scan.
 */
const OUTSIDE = /ARCHITECTURE|research\/|\.\.\/shared|\/work\/shared|\b(?:runtimes|wire-formats|original|peers|model-codebases)\.md\b/;

/** Every file of the project's own text: sources, tests (fixtures included), bench, scripts and docs. */
function projectFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.name.startsWith(".") || e.name === "node_modules" ? [] : e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]
    );
  const roots = ["src", "test", "bench", "scripts", "docs", "deploy", ".ci", "bin", ".github/workflows", "build.ts", "README.md", "BENCHMARKS.md", "package.json"];
  return roots.map((r) => join(ROOT, r)).filter(existsSync).flatMap((p) => statSync(p).isDirectory() ? walk(p) : [p]);
}

test("nothing cites documents outside the repository (cite docs/architecture.md instead)", () => {
  const offenders = atLeast(projectFiles(), 300, "project files")
    // Vendored third-party data (model names such as "nousresearch/…") is not the project's text.
    .filter((f) => !f.endsWith("boundary.test.ts") && !f.includes(`scripts${sep}data${sep}`))
    .flatMap((f) =>
      readFileSync(f, "utf8").split("\n").flatMap((line, i) => OUTSIDE.test(line) ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : [])
    );
  assert.deepEqual(offenders, []);
});

test("the outside-citation check catches what it should", () => {
  // Assembled, so that this file itself holds no citation a reader (or another checker) could take for one.
  const md = ".md";
  for (const bad of [`(ARCHITECTURE${md} §4)`, "(ARCHITECTURE §1)", `research/runtimes${md} §6`, `(runtimes${md} §3)`, "../shared/x", "/work/shared/data/README.md", `wire-formats${md} §3.9`]) {
    assert.ok(OUTSIDE.test(bad), bad);
  }
  for (const fine of ["docs/architecture.md §4", "architecture", "the original system's routing table"]) {
    assert.ok(!OUTSIDE.test(fine), fine);
  }
});

test("every docs/architecture.md section cited in the code exists", () => {
  const doc = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");
  const sections = new Set([...doc.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
  const cited = projectFiles().flatMap((f) =>
    [...readFileSync(f, "utf8").matchAll(/docs\/architecture\.md §(\d+)/g)].map((m) => [relative(ROOT, f), m[1]!] as const)
  );
  assert.ok(cited.length > 0, "the code cites docs/architecture.md");
  assert.deepEqual(cited.filter(([, n]) => !sections.has(n)), []);
});
