/** @module The `bun build --compile` flags of the binary (build.ts), shared with bench/cold-start.ts's probes. */
export const COMPILE_FLAGS: readonly string[] = [
  "--minify",
  "--sourcemap",
  // Cold start (docs/architecture.md §16, bench/cold-start.ts): each dynamic import() becomes a chunk of its own,
  // loaded when reached, so the entry's first line (the fetch-limit re-exec) runs before the app is parsed and a
  // command loads only what it uses; bytecode compiled at build time spares the parse of what is loaded.
  // --bytecode defaults to CommonJS, which has no top-level await: ESM is asked for.
  "--splitting",
  "--bytecode",
  "--format=esm",
];
