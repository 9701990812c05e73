/**
 * @module The log: seed-format text lines or JSON objects, written without ever blocking the server. Both runtimes
 * write stdout synchronously once a pipe is full (docs/architecture.md §11), so lines are queued in memory, one
 * asynchronous write is in flight at a time (the runtime supplies it), and a stalled reader costs dropped lines,
 * counted and reported, never a stalled proxy.
 */
import { type Members, safeJson } from "./json/safe.ts";
import { escapeControls, redact } from "./redact.ts";
export type { Members } from "./json/safe.ts";

export type Level = "DBG" | "INF" | "WRN" | "ERR";

/** `--log-level`: lines below it are not written. Usage lines are `info`. */
export type LogLevel = "error" | "warn" | "info" | "debug";


export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** SIGHUP: a new format and level for the lines written from now on. */
  configure(next: { format: "text" | "json"; level: LogLevel }): void;
  /**
   * A usage line: `text()` is built only for the text format; the JSON format writes what `json()` returns with the
   * members `members()` returns appended. Each is built only for its format: the JSON line is the whole record,
   * whose id and time the main thread otherwise leaves to the store worker (src/sink/sink.ts).
   */
  usage(text: () => string, json: () => unknown, members?: () => Members): void;
  /** Resolves when every queued line has been written. */
  flush(): Promise<void>;
  readonly dropped: number;
}

export interface LoggerOptions {
  format: "text" | "json";
  /** Writes all the bytes, asynchronously, without blocking the event loop. */
  write(bytes: Uint8Array): Promise<void>;
  now(): number;
  /** Queue bound; lines beyond it are dropped and counted. */
  maxQueuedBytes?: number;
  /** Default `info`. */
  level?: LogLevel;
  /**
   * Start every line with its syslog priority (`<3>` error … `<7>` debug), which journald strips and keeps as the
   * line's PRIORITY. serve.ts turns it on when systemd connected stdout to the journal (JOURNAL_STREAM is set).
   */
  syslogPrefix?: boolean;
}

const encoder = new TextEncoder();
const LEVEL_NAME: Record<Level, string> = { DBG: "debug", INF: "info", WRN: "warn", ERR: "error" };
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const PRIORITY: Record<Level, string> = { DBG: "<7>", INF: "<6>", WRN: "<4>", ERR: "<3>" };

/** A text line's message: no secret, and no CR/LF or other control that could end the line and forge another. */
const safeText = (message: string) => escapeControls(redact(message));

/** `[12:34:56 INF]` in UTC. */
export function stamp(ms: number, level: Level): string {
  return `[${new Date(ms).toISOString().slice(11, 19)} ${level}]`;
}

export function createLogger(options: LoggerOptions): Logger {
  const max = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  let queue: string[] = [];
  let queued = 0;
  let dropped = 0;
  let reportedDrops = 0;
  let writing: Promise<void> | null = null;
  let json = options.format === "json";
  let rank = RANK[options.level ?? "info"];
  const prefix = options.syslogPrefix === true;

  const enqueue = (line: string) => {
    if (queued + line.length > max) {
      dropped++;
      return;
    }
    queue.push(line);
    queued += line.length;
    writing ??= pump();
  };

  async function pump(): Promise<void> {
    while (queue.length > 0) {
      if (dropped > reportedDrops) {
        queue.push(format("WRN", `${dropped - reportedDrops} log lines dropped: the log reader is too slow`));
        reportedDrops = dropped;
      }
      const batch = queue.join("");
      queue = [];
      queued = 0;
      try {
        await options.write(encoder.encode(batch));
      } catch {
        // stdout closed: nothing left to tell
      }
    }
    writing = null;
  }

  // `time` is ISO 8601 UTC with milliseconds.
  const format = (level: Level, message: string): string =>
    (prefix ? PRIORITY[level] : "") + (json
      ? `${JSON.stringify({ time: new Date(options.now()).toISOString(), level: LEVEL_NAME[level], msg: redact(message) })}\n`
      : `${stamp(options.now(), level)} ${safeText(message)}\n`);

  return {
    info: (m) => void (rank >= 2 && enqueue(format("INF", m))),
    warn: (m) => void (rank >= 1 && enqueue(format("WRN", m))),
    error: (m) => enqueue(format("ERR", m)),
    debug: (m) => void (rank >= 3 && enqueue(format("DBG", m))),
    configure(next) {
      json = next.format === "json";
      rank = RANK[next.level];
    },
    usage(text, value, members) {
      if (rank < 2) return;
      const line = json ? `${safeJson(value(), members?.())}\n` : `${stamp(options.now(), "INF")} ${safeText(text())}\n`;
      enqueue(prefix ? PRIORITY.INF + line : line);
    },
    async flush() {
      while (writing) await writing;
    },
    get dropped() {
      return dropped;
    },
  };
}
