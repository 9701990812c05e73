// Only a serving process re-executes itself for Bun's fetch limit (src/entry/fetch-limit.ts); one-shot commands
// skip that second start of the binary (src/entry/one-shot.ts, issue 25).
import assert from "node:assert/strict";
import { test } from "node:test";
import { isOneShot } from "../../src/entry/one-shot.ts";

test("serve, no command and options alone serve; --version and the report commands are one-shot", () => {
  for (const args of [[], ["serve"], ["--port", "8080"], ["serve", "--db", "k.db"]]) assert.equal(isOneShot(args), false, args.join(" "));
  for (const args of [["--version"], ["-v"], ["--help"], ["usage", "--since", "7d"], ["export"], ["health"], ["keys", "list"], ["check-config"]]) {
    assert.equal(isOneShot(args), true, args.join(" "));
  }
});
