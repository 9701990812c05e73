/**
 * A mock upstream that answers with a recorded fixture: the request names it in `x-test-fixture` (a header Kestrel
 * forwards like any other). SSE is written in several chunks, Bedrock `.chunks.txt` as binary event-stream frames.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "../providers/_feed.ts";
import { load, MANIFEST } from "../providers/_fixture-table.ts";
import { type Mock, sleep, startMock } from "./mock-upstream.ts";

export function fixtureBytes(file: string): Uint8Array {
  const entry = MANIFEST.find((e) => e.file === file);
  if (!entry) return new Uint8Array(readFileSync(join(FIXTURES, file)));
  return load(entry).bytes;
}

function contentType(file: string): string {
  if (file.endsWith(".sse")) return "text/event-stream; charset=utf-8";
  if (file.endsWith(".chunks.txt")) return "application/vnd.amazon.eventstream";
  return "application/json";
}

export interface FixtureMockOptions {
  /** Status for `.json` fixtures named with a `status=NNN:` prefix, e.g. `x-test-fixture: 429:file.json`. */
  headers?: Record<string, string>;
}

export function startFixtureMock(options: FixtureMockOptions = {}): Promise<Mock> {
  return startMock(async (req, res) => {
    const name = String(req.headers["x-test-fixture"] ?? "");
    const m = /^(\d{3}):(.*)$/.exec(name);
    const status = m ? Number(m[1]) : 200;
    const file = m ? m[2]! : name;
    const bytes = fixtureBytes(file);
    res.writeHead(status, { "content-type": contentType(file), "x-request-id": `req_${file.length}`, ...options.headers });
    // Several writes with a pause between, so the proxy sees the body in pieces.
    const step = Math.max(1, Math.ceil(bytes.length / 4));
    for (let at = 0; at < bytes.length; at += step) {
      res.write(bytes.subarray(at, at + step));
      if (file.endsWith(".sse")) await sleep(2);
    }
    res.end();
  });
}
