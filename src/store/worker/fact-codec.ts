/**
 * @module A fact (src/usage/fact.ts) as the bytes of one ring entry (src/store/worker/ring.ts), and back
 * (docs/architecture.md §11). Numbers sit in fixed 8-byte slots (NaN for null); the strings that repeat (provider,
 * model, path, attribution, cost classes, tags…) are interned: a string's first entry defines an id, later entries
 * send the id, and the worker, reading the entries in order, keeps the table. Strings unique to an exchange (ids,
 * problems, the upstream's request id, `usage_native` as its JSON) go inline.
 *
 * The table is bounded: once full, the writer starts a new generation (every entry names its own) and the worker
 * clears its table when it meets one. The writer keeps the previous generation's names too, and starts a new one
 * only once the worker has read every entry of the one before (the ring counts entries read): so the entries a
 * failed worker leaves unread always decode on the main thread (`FactEncoder.nameOf`). Until then, new strings go
 * inline.
 */
import { type Fact, recordOf } from "../../usage/fact.ts";
import type { Outcome, UsageRecord } from "../../usage/record.ts";
import { USAGE_FIELDS, type UsageSource } from "../../usage/types.ts";

/** String slot tags. */
const NULL = 0;
const REF = 1;
const DEFINE = 2;
const INLINE = 3;
/** Not well-formed UTF-16 (a lone surrogate): as its JSON, which keeps it, where UTF-8 would replace it. */
const INLINE_JSON = 4;

/** In the generation slot: the entry is a whole record as JSON (`Store.add` of a record made elsewhere: tests, tools). */
const RECORD = 0xffffffff;

/** Longer strings are sent inline: a long one is rarely repeated, and would hold table memory on both sides. */
const MAX_INTERNED = 512;
const DEFAULT_NAMES = 4096;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FactEncoder {
  private ids = new Map<string, number>();
  private names: string[] = [];
  private prior: string[] = [];
  private gen = 0;
  /** Ring entries written before this generation began: once the worker has read them all, `prior` can go. */
  private genStart = 0;
  /** Names before the entry being encoded: an entry the ring refused takes its definitions back. */
  private mark = 0;
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private at = 0;

  constructor(private readonly maxNames = DEFAULT_NAMES) {}

  /**
   * The entry's bytes (valid until the next call). `written`/`read`: the ring's entries written and read so far.
   * Throws when `usage_native` cannot be serialized.
   */
  encode(f: Fact, written: number, read: number): Uint8Array {
    if (this.names.length >= this.maxNames && read >= this.genStart) this.rotate(written);
    this.mark = this.names.length;
    this.at = 0;
    const native = f.usage_native === null || f.usage_native === undefined ? null : JSON.stringify(f.usage_native);
    this.room(8 + 26 * 8);
    this.u32(this.gen);
    this.u8((f.streaming ? 1 : 0) | (f.priced ? 2 : 0));
    this.num(f.startedAt);
    this.num(f.duration_ms);
    this.num(f.ttfb_ms);
    this.num(f.status);
    for (let i = 0; i < USAGE_FIELDS.length; i++) this.num(f[USAGE_FIELDS[i]!]);
    this.num(f.cost_pico);
    this.num(f.close_code);
    this.num(f.bytes_up);
    this.num(f.bytes_down);
    this.num(f.frames_up);
    this.num(f.frames_down);
    this.name(f.provider);
    this.name(f.model);
    this.name(f.requested_model);
    this.name(f.method);
    this.name(f.path);
    this.name(f.outcome);
    this.name(f.usage_source);
    this.name(f.price_version);
    this.name(f.key_id);
    this.name(f.user);
    this.name(f.project);
    this.name(f.session_id);
    this.text(f.id);
    this.text(f.ts);
    this.text(f.request_id);
    this.text(f.response_id);
    this.text(f.problems);
    this.text(native ?? null);
    const b = f.breakdown;
    if (b === null) this.count(-1);
    else {
      const keys = Object.keys(b);
      this.count(keys.length);
      for (const k of keys) {
        this.name(k);
        this.room(8);
        this.num(b[k]!);
      }
    }
    this.count(f.tags.length);
    for (const tag of f.tags) this.name(tag);
    return this.buf.subarray(0, this.at);
  }

  /** A record made elsewhere, as its JSON (throws when it cannot be serialized). */
  encodeRecord(record: UsageRecord): Uint8Array {
    const json = JSON.stringify(record);
    this.mark = this.names.length;
    this.at = 0;
    this.room(4);
    this.u32(RECORD);
    this.room(json.length * 3);
    this.at += encoder.encodeInto(json, this.buf.subarray(this.at)).written;
    return this.buf.subarray(0, this.at);
  }

  /** Tables begun so far, less one (tests). */
  get generation(): number {
    return this.gen;
  }

  /** The last entry did not reach the ring: the worker never saw its definitions. */
  undo(): void {
    while (this.names.length > this.mark) this.ids.delete(this.names.pop()!);
  }

  /** A name as an entry of generation `gen` knew it (the main thread reading back a failed worker's entries). */
  nameOf(gen: number, id: number): string {
    const names = gen === this.gen ? this.names : gen === this.gen - 1 ? this.prior : [];
    const name = names[id];
    if (name === undefined) throw new Error(`fact codec: no name ${id} in generation ${gen}`);
    return name;
  }

  private rotate(written: number): void {
    this.prior = this.names;
    this.names = [];
    this.ids.clear();
    this.gen++;
    this.genStart = written;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  private u8(v: number): void {
    this.view.setUint8(this.at++, v);
  }
  private u32(v: number): void {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  private num(v: number | null): void {
    this.view.setFloat64(this.at, v === null ? NaN : v, true);
    this.at += 8;
  }
  private count(n: number): void {
    this.room(4);
    this.view.setInt32(this.at, n, true);
    this.at += 4;
  }
  /** An interned string: its id when the worker has it, else defined now while the table has room, else inline. */
  private name(s: string | null): void {
    this.room(5);
    if (s === null) return this.u8(NULL);
    const id = this.ids.get(s);
    if (id !== undefined) {
      this.u8(REF);
      return this.u32(id);
    }
    if (s.length > MAX_INTERNED || this.names.length >= this.maxNames || !s.isWellFormed()) return this.text(s);
    const next = this.names.length;
    this.names.push(s);
    this.ids.set(s, next);
    this.u8(DEFINE);
    this.u32(next);
    this.utf8(s);
  }
  private text(s: string | null): void {
    this.room(1);
    if (s === null) return this.u8(NULL);
    if (s.isWellFormed()) {
      this.u8(INLINE);
      return this.utf8(s);
    }
    this.u8(INLINE_JSON);
    this.utf8(JSON.stringify(s));
  }
  /** Length, then the UTF-8 bytes (at most 3 per UTF-16 unit). */
  private utf8(s: string): void {
    this.room(4 + s.length * 3);
    const done = encoder.encodeInto(s, this.buf.subarray(this.at + 4));
    this.view.setUint32(this.at, done.written, true);
    this.at += 4 + done.written;
  }
}

/**
 * Entries → facts, in the order they were written. The worker keeps the names itself; the main thread, reading back
 * a failed worker's entries, asks its encoder (`lookup`).
 */
export class FactDecoder {
  private names: string[] = [];
  private gen = -1;
  private buffer: ArrayBufferLike | null = null;
  private view!: DataView;
  private at = 0;
  private bytes!: Uint8Array;

  constructor(private readonly lookup: ((gen: number, id: number) => string) | null = null) {}

  /** An entry's record: a fact's made by `recordOf`, the one derivation; a record's parsed. */
  record(bytes: Uint8Array): UsageRecord {
    const fact = this.decode(bytes);
    return fact === null ? JSON.parse(decoder.decode(bytes.subarray(4))) as UsageRecord : recordOf(fact);
  }

  /** An entry's fact, or null when it holds a record. */
  decode(bytes: Uint8Array): Fact | null {
    if (bytes.buffer !== this.buffer) {
      this.buffer = bytes.buffer;
      this.view = new DataView(bytes.buffer);
    }
    this.bytes = bytes;
    this.at = bytes.byteOffset;
    const gen = this.view.getUint32(this.at, true);
    if (gen === RECORD) return null;
    this.at += 4;
    if (gen !== this.gen) {
      this.gen = gen;
      this.names = [];
    }
    const flags = this.view.getUint8(this.at++);
    const startedAt = this.num()!;
    const duration_ms = this.num()!;
    const ttfb_ms = this.num();
    const status = this.num()!;
    const counts = {} as Record<(typeof USAGE_FIELDS)[number], number | null>;
    for (let i = 0; i < USAGE_FIELDS.length; i++) counts[USAGE_FIELDS[i]!] = this.num();
    const cost_pico = this.num();
    const close_code = this.num();
    const bytes_up = this.num();
    const bytes_down = this.num();
    const frames_up = this.num();
    const frames_down = this.num();
    const provider = this.str()!;
    const model = this.str();
    const requested_model = this.str();
    const method = this.str()!;
    const path = this.str()!;
    const outcome = this.str() as Outcome;
    const usage_source = this.str() as UsageSource;
    const price_version = this.str();
    const key_id = this.str();
    const user = this.str();
    const project = this.str();
    const session_id = this.str();
    const id = this.str();
    const ts = this.str();
    const request_id = this.str();
    const response_id = this.str();
    const problems = this.str();
    const native = this.str();
    let breakdown: Record<string, number> | null = null;
    const classes = this.int();
    if (classes >= 0) {
      breakdown = {};
      for (let i = 0; i < classes; i++) {
        const k = this.str()!;
        breakdown[k] = this.num()!;
      }
    }
    const tags: string[] = [];
    for (let i = this.int(); i > 0; i--) tags.push(this.str()!);
    return {
      startedAt,
      id,
      ts,
      request_id,
      provider,
      model,
      requested_model,
      method,
      path,
      status,
      outcome,
      streaming: (flags & 1) !== 0,
      duration_ms,
      ttfb_ms,
      ...counts,
      usage_source,
      usage_native: native === null ? null : JSON.parse(native),
      cost_pico,
      breakdown,
      priced: (flags & 2) !== 0,
      price_version,
      key_id,
      user,
      project,
      tags,
      problems,
      session_id,
      response_id,
      close_code,
      bytes_up,
      bytes_down,
      frames_up,
      frames_down,
    };
  }

  private num(): number | null {
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return Number.isNaN(v) ? null : v;
  }
  private int(): number {
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }
  private str(): string | null {
    const tag = this.view.getUint8(this.at++);
    if (tag === NULL) return null;
    if (tag === REF) {
      const id = this.view.getUint32(this.at, true);
      this.at += 4;
      const name = this.lookup === null ? this.names[id] : this.lookup(this.gen, id);
      if (name === undefined) throw new Error(`fact codec: name ${id} was never defined`);
      return name;
    }
    if (tag === DEFINE) {
      const id = this.view.getUint32(this.at, true);
      this.at += 4;
      const s = this.utf8();
      this.names[id] = s;
      return s;
    }
    const s = this.utf8();
    return tag === INLINE_JSON ? JSON.parse(s) as string : s;
  }
  private utf8(): string {
    const n = this.view.getUint32(this.at, true);
    const from = this.at + 4 - this.bytes.byteOffset;
    this.at += 4 + n;
    return decoder.decode(this.bytes.subarray(from, from + n));
  }
}
