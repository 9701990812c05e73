/**
 * @module A byte ring in a SharedArrayBuffer between the main thread (the only writer) and the store worker (the
 * only reader): length-prefixed entries, each either bytes copied in (the store's encoded facts,
 * src/store/worker/fact-codec.ts) or text encoded by `encodeInto` straight into the shared bytes
 * (docs/architecture.md §11). The writer never waits: no room means the record is dropped and counted. Head and
 * tail are byte offsets in a small Int32 header updated with Atomics; a record is published by the store of the
 * head after its bytes (Atomics are sequentially consistent, so the reader that loads the head sees them).
 */

/** Header slots (Int32). */
const HEAD = 0;
const TAIL = 1;
const DROPPED = 2;
/** 1 while the worker sleeps in `Atomics.waitAsync` on HEAD: only then does the writer pay for a notify. */
const WAITING = 3;
/** Entries the reader has claimed, ever: the writer's fact codec retires an intern table once all its entries are read. */
const READ = 4;
const HEADER_BYTES = 32;
/** A length slot saying: nothing more up to the end, go on at offset 0. */
const WRAP = -1;
/** The tail once the main thread took the unread records back (a failed worker): the worker's claim then fails. */
const TAKEN = -2;

/**
 * ~2,000 records of ~1 KB: the worker blocks ~30 ms per 1,000-record batch at 10^7 rows, ~270 records at 9,000
 * requests/s. Every page the head has passed stays resident: 8 MiB showed as +8 MB peak RSS in
 * test/e2e/upload.test.ts.
 */
export const DEFAULT_RING_BYTES = 2 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A ring's shared memory: `bytes` of records (rounded down to 4) after the header. */
export function createRing(bytes = DEFAULT_RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + Math.max(64, bytes - (bytes % 4)));
}

/** The views both sides use; records start on 4-byte boundaries so a length is one Int32 slot. */
class View {
  readonly meta: Int32Array;
  readonly bytes: Uint8Array;
  readonly lengths: Int32Array;
  readonly capacity: number;
  constructor(shared: SharedArrayBuffer) {
    this.meta = new Int32Array(shared, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(shared, HEADER_BYTES);
    this.lengths = new Int32Array(shared, HEADER_BYTES);
    this.capacity = this.bytes.length;
  }
  /** Each entry from `from` up to `to`, as a view of the shared bytes, decoded; and where the reading stopped. */
  read<T>(from: number, to: number, decode: (bytes: Uint8Array) => T, out: T[]): number {
    let at = from;
    while (at !== to) {
      const n = this.lengths[at >> 2]!;
      if (n === WRAP) {
        at = 0;
        continue;
      }
      out.push(decode(this.bytes.subarray(at + 4, at + 4 + n)));
      at = this.next(at, n);
    }
    return at;
  }
  next(at: number, n: number): number {
    const end = at + ((4 + n + 3) & ~3);
    return end === this.capacity ? 0 : end;
  }
  dropped(): number {
    return Atomics.load(this.meta, DROPPED);
  }
}

const decodeText = (bytes: Uint8Array) => decoder.decode(bytes);

export class RingWriter extends View {
  private head = 0;
  /** Entries put in the ring, ever (against READ). */
  written = 0;

  /** Puts one record in the ring; false when there is no room for it (counted as dropped). */
  write(text: string): boolean {
    if (this.tryWrite(text)) return true;
    this.drop();
    return false;
  }

  /**
   * Puts one record in the ring; false, uncounted, when there is no room for it. A record fits when its bytes fit the
   * free run after the head or, wrapping, before the tail: an empty ring takes at least half its size.
   */
  tryWrite(text: string): boolean {
    return this.place(text, this.putText);
  }

  /** Puts one entry of bytes in the ring (copied); false, uncounted, when there is no room for it. */
  tryWriteBytes(bytes: Uint8Array): boolean {
    return this.place(bytes, this.putBytes);
  }

  private place<T>(item: T, put: (item: T, at: number, end: number) => number): boolean {
    const tail = Atomics.load(this.meta, TAIL);
    let at = this.head;
    // Four bytes stay free before the tail: a head equal to the tail means empty.
    let n = at >= tail ? put.call(this, item, at, tail === 0 ? this.capacity - 4 : this.capacity) : put.call(this, item, at, tail - 4);
    if (n < 0 && at >= tail && tail > 0) {
      n = put.call(this, item, 0, tail - 4);
      if (n >= 0) {
        this.lengths[at >> 2] = WRAP;
        at = 0;
      }
    }
    if (n < 0) return false;
    this.lengths[at >> 2] = n;
    this.written++;
    this.head = this.next(at, n);
    Atomics.store(this.meta, HEAD, this.head);
    if (Atomics.load(this.meta, WAITING) === 1) {
      Atomics.store(this.meta, WAITING, 0);
      Atomics.notify(this.meta, HEAD);
    }
    return true;
  }

  /** Counts a record that never reached the ring (closed, unserializable, lost with a failed worker). */
  drop(count = 1): void {
    Atomics.add(this.meta, DROPPED, count);
  }

  /** Nothing unread (the worker may still hold what it took). */
  empty(): boolean {
    return Atomics.load(this.meta, TAIL) === this.head;
  }

  /** Entries the reader has claimed, ever. */
  readCount(): number {
    return Atomics.load(this.meta, READ);
  }

  /** The unread records, taken from a worker that failed: from now on the worker can claim none of them. */
  takeBack(): string[] {
    return this.takeBackWith(decodeText);
  }

  /** The unread entries, decoded, taken from a worker that failed. */
  takeBackWith<T>(decode: (bytes: Uint8Array) => T): T[] {
    const tail = Atomics.exchange(this.meta, TAIL, TAKEN);
    const out: T[] = [];
    if (tail !== TAKEN) this.read(tail, this.head, decode, out);
    return out;
  }

  /** The byte length copied to `at + 4` (before `end`), or -1 when it does not fit. */
  private putBytes(bytes: Uint8Array, at: number, end: number): number {
    if (end - at - 4 < bytes.length) return -1;
    this.bytes.set(bytes, at + 4);
    return bytes.length;
  }

  /** The UTF-8 length written at `at + 4` (before `end`), or -1 when it does not fit. */
  private putText(text: string, at: number, end: number): number {
    // Every UTF-16 unit needs a byte at least: a hopeless record costs no encoding.
    if (end - at - 4 < text.length) return -1;
    const done = encoder.encodeInto(text, this.bytes.subarray(at + 4, end));
    return done.read === text.length ? done.written : -1;
  }
}

export class RingReader extends View {
  /**
   * Takes every record written so far, in order, and hands them to `take` after claiming them; the number taken,
   * or -1 when the main thread took the ring back (then it owns what is unread).
   */
  drain(take: (text: string) => void): number {
    return this.drainWith(decodeText, take);
  }

  /**
   * The same for entries of bytes: each is decoded from the shared bytes before it is claimed (after the claim the
   * writer may reuse them), then handed to `take`.
   */
  drainWith<T>(decode: (bytes: Uint8Array) => T, take: (entry: T) => void): number {
    const tail = Atomics.load(this.meta, TAIL);
    if (tail === TAKEN) return -1;
    const out: T[] = [];
    const to = this.read(tail, Atomics.load(this.meta, HEAD), decode, out);
    if (to === tail) return 0;
    if (Atomics.compareExchange(this.meta, TAIL, tail, to) !== tail) return -1;
    Atomics.add(this.meta, READ, out.length);
    for (const entry of out) take(entry);
    return out.length;
  }

  /**
   * Resolves once a record may be waiting (at once if one is): `Atomics.waitAsync` on the head, which the writer
   * notifies only while WAITING says the reader sleeps.
   */
  wake(): Promise<unknown> {
    Atomics.store(this.meta, WAITING, 1);
    const head = Atomics.load(this.meta, HEAD);
    const tail = Atomics.load(this.meta, TAIL);
    if (head !== tail || tail === TAKEN) {
      Atomics.store(this.meta, WAITING, 0);
      return Promise.resolve();
    }
    const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.meta, HEAD, head);
    const done = waited.async ? (waited.value as Promise<unknown>) : Promise.resolve();
    return done.then(() => Atomics.store(this.meta, WAITING, 0));
  }
}

/** ES2024's `Atomics.waitAsync` (Bun and Deno both have it in workers); not in every TypeScript lib yet. */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<unknown> | string };
}
