/** @module Types of the AWS event-stream frame decoder (application/vnd.amazon.eventstream). */

/** A decoded header value; the wire type picks the JS type (smithy amazon-eventstream spec). */
export type HeaderValue = boolean | number | bigint | string | Uint8Array | Date;

/** One decoded message. `payload` is a view valid only during the `onMessage` callback. */
export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Uint8Array;
}

export interface EventStreamError {
  code: "crc_mismatch" | "bad_frame" | "message_too_large" | "truncated";
  message: string;
}

export interface EventStreamDecoderOptions {
  onMessage(message: EventStreamMessage): void;
  onError?(error: EventStreamError): void;
  /** Cap on one message's total length (the spec allows 24 MiB payloads). */
  maxMessageBytes?: number;
}

export interface EventStreamDecoder {
  push(chunk: Uint8Array): void;
  /** End of stream: leftover bytes are reported as `truncated`. */
  end(): void;
}
