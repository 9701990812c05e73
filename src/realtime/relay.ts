/**
 * @module One realtime session: messages relayed unchanged between the client's socket and the upstream's, with
 * bounded buffering, an idle limit and one end, however it comes. HOT: per message a counter, a timestamp, the
 * meter's byte probe and a buffer check; text from the upstream is decoded once (the client side sends strings).
 */
import { CLOSE_ABNORMAL, CLOSE_GOING_AWAY, CLOSE_INVALID_DATA, CLOSE_TRY_AGAIN } from "./frames.ts";
import type { MessageSocket, UpstreamSide } from "./types.ts";

/** Bytes one side may hold unsent before the other side is paused (docs/architecture.md §18). */
export const HIGH_WATER = 1024 * 1024;
/**
 * Bytes one side may hold unsent, at most: past it the session is closed with 1013 (try again later). Reached
 * only where the other side cannot be paused (a Deno client), or by one message larger than the rest of it.
 */
export const MAX_BUFFERED = 16 * 1024 * 1024;

/** Who ended the session, and why, as the session record tells it. */
export type Ending =
  | { by: "client" | "upstream"; code: number; reason: string }
  | { by: "kestrel"; code: number; reason: string; why: "idle" | "shutdown" | "buffer" | "invalid" | "spend" };

export interface SessionStats {
  /** Client → upstream. */
  bytesUp: number;
  framesUp: number;
  /** Upstream → client. */
  bytesDown: number;
  framesDown: number;
}

export interface RelayHooks {
  /** Every upstream message, before it goes to the client (the meter). HOT; must not throw. */
  fromUpstream(payload: Uint8Array, text: boolean): void;
  /** Every client message, before it goes upstream (the meter reads a few early ones). HOT; must not throw. */
  fromClient(data: Uint8Array | string, text: boolean): void;
  /** Once, when both sides are closed (or given up on). */
  ended(ending: Ending, stats: SessionStats): void;
}

/** How long the second side gets to finish its closing handshake before the session is recorded anyway. */
const CLOSE_GRACE_MS = 10_000;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export class Relay {
  /** Last time a message moved either way (the watchdog's clock); the idle limit runs from it. */
  last: number;
  readonly stats: SessionStats = { bytesUp: 0, framesUp: 0, bytesDown: 0, framesDown: 0 };
  private ending: Ending | null = null;
  private clientOpen = true;
  private upstreamOpen = true;
  private upstreamPaused = false;
  private clientPaused = false;
  private grace: ReturnType<typeof setTimeout> | null = null;
  private finished = false;

  constructor(
    private readonly client: MessageSocket,
    private readonly upstream: UpstreamSide,
    private readonly hooks: RelayHooks,
    private readonly now: () => number,
  ) {
    this.last = now();
    upstream.attach({
      message: (payload, text) => this.down(payload as Uint8Array, text),
      drain: () => {
        if (this.clientPaused && upstream.buffered < HIGH_WATER) {
          this.clientPaused = false;
          client.resume();
        }
      },
      closed: (code, reason) => this.closed("upstream", code, reason),
    });
    client.attach({
      message: (data, text) => this.up(data, text),
      drain: () => {
        if (this.upstreamPaused && client.buffered < HIGH_WATER) {
          this.upstreamPaused = false;
          upstream.resume();
        }
      },
      closed: (code, reason) => this.closed("client", code, reason),
    });
  }

  /** Upstream → client. HOT. */
  private down(payload: Uint8Array, text: boolean): void {
    if (this.ending !== null) return;
    this.last = this.now();
    this.stats.framesDown++;
    this.stats.bytesDown += payload.byteLength;
    this.hooks.fromUpstream(payload, text);
    let out: Uint8Array | string = payload;
    if (text) {
      try {
        out = strictUtf8.decode(payload);
      } catch {
        return this.end("invalid", CLOSE_INVALID_DATA, "upstream sent a text message that is not UTF-8");
      }
    }
    this.client.send(out, text);
    const held = this.client.buffered;
    if (held > HIGH_WATER && !this.upstreamPaused) {
      this.upstreamPaused = true;
      this.upstream.pause();
    }
    if (held > MAX_BUFFERED) this.end("buffer", CLOSE_TRY_AGAIN, `client not reading: ${held} bytes held`);
  }

  /** Client → upstream. HOT. */
  private up(data: Uint8Array | string, text: boolean): void {
    if (this.ending !== null) return;
    this.last = this.now();
    this.stats.framesUp++;
    this.hooks.fromClient(data, text);
    this.upstream.send(data, text);
    const held = this.upstream.buffered;
    if (held > HIGH_WATER && this.client.canPause && !this.clientPaused) {
      this.clientPaused = true;
      this.client.pause();
    }
    if (held > MAX_BUFFERED) this.end("buffer", CLOSE_TRY_AGAIN, `upstream not reading: ${held} bytes held`);
  }

  /** Kestrel ends the session: both sides get `code`. */
  end(why: "idle" | "shutdown" | "buffer" | "invalid" | "spend", code: number, reason: string): void {
    if (this.ending !== null) return;
    this.ending = { by: "kestrel", code, reason, why };
    this.closeBoth(code, reason);
  }

  /** No message either way for the idle limit (src/forward/watchdog.ts calls this). */
  onIdle(): void {
    this.end("idle", CLOSE_GOING_AWAY, "idle timeout");
  }

  private closed(side: "client" | "upstream", code: number, reason: string): void {
    if (side === "client") this.clientOpen = false;
    else this.upstreamOpen = false;
    if (this.ending === null) {
      this.ending = { by: side, code, reason };
      // The other side hears the same code and reason; each socket sends what the code means on the wire
      // (src/realtime/frames.ts relayCloseCode: 1005 as a close frame without a code, 1006 as 1001).
      this.closeBoth(code, reason);
    }
    this.maybeFinish();
  }

  private closeBoth(code: number, reason: string): void {
    if (this.clientOpen) this.client.close(code, reason);
    if (this.upstreamOpen) this.upstream.close(code, reason);
    if (this.upstreamPaused) this.upstream.resume(); // so its close frame can be read
    if (this.clientPaused) this.client.resume();
    this.grace = setTimeout(() => this.finish(), CLOSE_GRACE_MS);
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.clientOpen && !this.upstreamOpen) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.grace !== null) clearTimeout(this.grace);
    this.stats.bytesUp = this.upstream.written;
    this.hooks.ended(this.ending ?? { by: "client", code: CLOSE_ABNORMAL, reason: "" }, this.stats);
  }
}
