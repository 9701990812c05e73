/** A CommandIo that records what a command printed and wrote, over a real SQLite file. */
import type { CommandIo } from "../../src/commands/io.ts";
import type { OpenSqlite } from "../../src/store/db.ts";

export interface FakeIo {
  io: CommandIo;
  out: () => string;
  err: () => string;
  files: Map<string, string>;
}

export function fakeIo(open: OpenSqlite, now: number, options: { files?: boolean; defaultDb?: string } = {}): FakeIo {
  let out = "";
  let err = "";
  const files = new Map<string, string>();
  const io: CommandIo = {
    openDb: (path, options) => open(path, options),
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    now: () => now,
  };
  if (options.files !== false) {
    io.writeFile = (path, chunk, append) => {
      files.set(path, (append ? files.get(path) ?? "" : "") + chunk);
    };
  }
  if (options.defaultDb !== undefined) io.defaultDb = options.defaultDb;
  return { io, out: () => out, err: () => err, files };
}
