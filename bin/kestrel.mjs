#!/usr/bin/env node
// `npx kestrel …` from a clone (package.json "bin"): runs the source entry with the project's own Bun, so the
// commands in the README are the same words a binary user types. Plain Node: npx starts it with node.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bun = join(root, "node_modules", ".bin", process.platform === "win32" ? "bun.exe" : "bun");
// Bun's fetch limit needs nothing here: the entry sets it itself (src/entry/fetch-limit.ts).
const child = spawn(bun, [join(root, "src", "entry", "bun.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
// A signal sent to this launcher's pid alone (kill, systemd, a test) must reach Kestrel to drain or reload it.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("error", (err) => {
  process.stderr.write(`kestrel: cannot start ${bun}: ${err.message} (run npm ci first)\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGTERM" ? 143 : 1)));
