// The log's operations side: --log-level filters lines (usage lines are info), JSON `time` is ISO 8601 with
// milliseconds, journald gets a priority prefix, SIGHUP's configure() switches format and level, no colours.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createLogger, type LoggerOptions } from "../src/log.ts";
import { ROOT } from "./_helpers/runtime.ts";

const decoder = new TextDecoder();

function logger(options: Partial<LoggerOptions> = {}) {
  const out: string[] = [];
  const log = createLogger({
    format: "text",
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 67),
    write: (b) => (out.push(decoder.decode(b)), Promise.resolve()),
    ...options,
  });
  const lines = async () => (await log.flush(), out.join("").split("\n").filter((l) => l !== ""));
  const all = () => {
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.usage(() => "u", () => ({ u: 1 }));
  };
  return { log, lines, all };
}

test("each level writes its own lines and the ones above; usage lines count as info", async () => {
  const expected: Record<string, string[]> = {
    error: ["ERR] e"],
    warn: ["WRN] w", "ERR] e"],
    info: ["INF] i", "WRN] w", "ERR] e", "INF] u"],
    debug: ["DBG] d", "INF] i", "WRN] w", "ERR] e", "INF] u"],
  };
  for (const [level, want] of Object.entries(expected)) {
    const { lines, all } = logger({ level: level as LoggerOptions["level"] & string });
    all();
    assert.deepEqual((await lines()).map((l) => l.slice(10)), want, level);
  }
});

test("JSON lines carry an ISO 8601 UTC time with milliseconds and a lower-case level", async () => {
  const { log, lines } = logger({ format: "json", level: "debug" });
  log.debug("hello");
  assert.deepEqual((await lines()).map((l) => JSON.parse(l)), [{ time: "2026-01-02T03:04:05.067Z", level: "debug", msg: "hello" }]);
});

test("under journald every line starts with its syslog priority", async () => {
  const { lines, all } = logger({ level: "debug", syslogPrefix: true });
  all();
  assert.deepEqual((await lines()).map((l) => l.slice(0, 3)), ["<7>", "<6>", "<4>", "<3>", "<6>"]);
  const json = logger({ format: "json", syslogPrefix: true });
  json.log.usage(() => "u", () => ({ a: 1 }));
  assert.deepEqual(await json.lines(), ['<6>{"a":1}']);
});

test("configure() switches format and level for the lines that follow", async () => {
  const { log, lines } = logger();
  log.info("text");
  log.configure({ format: "json", level: "warn" });
  log.info("hidden");
  log.warn("shown");
  log.usage(() => "u", () => ({ hidden: true }));
  const got = await lines();
  assert.equal(got.length, 2);
  assert.match(got[0]!, /^\[03:04:05 INF\] text$/);
  assert.equal(JSON.parse(got[1]!).msg, "shown");
});

test("no colour codes anywhere in src/ (journald and files get plain text)", () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts")) files.push(path);
    }
  };
  walk(join(ROOT, "src"));
  assert.ok(files.length > 50);
  for (const file of files) {
    assert.doesNotMatch(readFileSync(file, "utf8"), /\\x1b\[|\\u001b\[|\\033\[|\x1b\[/, file);
  }
});
