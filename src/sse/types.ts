/** @module Types shared by the SSE scanner and its consumers. */

/**
 * One dispatched server-sent event. The scanner reuses a single object and its bytes are only valid during
 * the `onEvent` callback (the llhttp rule): decode or copy what you keep.
 *
 * The data is `bytes[dataStart, dataEnd)`: for an event inside one chunk with one data line, `bytes` is the chunk
 * itself, so hot consumers (the chat and Anthropic accumulators) probe it in place and no view object is made
 * per event; `data` makes that view when first read, for everyone else.
 */
export interface SseEvent {
  /** Value of the last `event:` line as bytes, or null when the event had none or an empty one ("message"). */
  event: Uint8Array | null;
  /** The buffer the data lies in: the chunk, or a copy when the event spans chunks or has several data lines. */
  bytes: Uint8Array;
  dataStart: number;
  dataEnd: number;
  /** Data lines joined with LF (WHATWG), without the trailing LF: `bytes[dataStart, dataEnd)` as a view. */
  readonly data: Uint8Array;
  /** Stream offset of the first byte of the event's first line (after any preceding blank lines). */
  start: number;
  /** Stream offset just past the event's terminating blank line (or end of stream if unterminated). */
  end: number;
}

/** Problems the scanner reports instead of throwing into the stream. */
export interface ScanError {
  code: "event_too_large";
  message: string;
}

export interface SseScannerOptions {
  onEvent(event: SseEvent): void;
  onError?(error: ScanError): void;
  /** Cap on one event's buffered bytes; beyond it the event is dropped and onError called. */
  maxEventBytes?: number | undefined;
}

export interface SseScanner {
  /** Feed the next chunk. Never throws, never mutates the chunk. */
  push(chunk: Uint8Array): void;
  /** End of stream: dispatches an unterminated last event; true when the stream stopped mid-line inside an event. */
  end(): boolean;
  /**
   * Stream offset where the current unfinished event block starts, or the total bytes pushed when no block is
   * open: every byte before it belongs to a dispatched event, a blank line, or a finished comment-only/dataless
   * block. A client-stream editor releases bytes up to here and holds the rest.
   */
  settled(): number;
}
