/** @module The event object the scanner reuses (and Bedrock's wrapped chunks). */
import { EMPTY } from "./bytes.ts";
import type { SseEvent } from "./types.ts";

/**
 * An SseEvent whose `data` view is made only when read: the hot accumulators read `bytes[dataStart, dataEnd)`
 * in place, and a view object per event cost a third of the chat meter's per-event time (BENCHMARKS.md,
 * "Meter offsets").
 */
export class OffsetEvent implements SseEvent {
  event: Uint8Array | null = null;
  bytes: Uint8Array = EMPTY;
  dataStart = 0;
  dataEnd = 0;
  start = 0;
  end = 0;
  /** The view `data` returned for the current contents, or null. */
  private view: Uint8Array | null = null;

  get data(): Uint8Array {
    return this.view ??= this.bytes.subarray(this.dataStart, this.dataEnd);
  }

  /**
   * Drops the chunk after the callback: the views were only valid during it, and an idle stream should not keep
   * its last chunk (up to 64 KiB) alive until its next event.
   */
  release(): void {
    this.bytes = EMPTY;
    this.dataStart = 0;
    this.dataEnd = 0;
    this.view = null;
  }

  /** Points the event at new data (the other fields are set by the caller). */
  setData(bytes: Uint8Array, dataStart: number, dataEnd: number): void {
    this.bytes = bytes;
    this.dataStart = dataStart;
    this.dataEnd = dataEnd;
    this.view = null;
  }
}
