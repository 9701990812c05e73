// The relay (src/realtime/relay.ts) between two fake sockets: messages pass unchanged, a slow side pauses the
// other (or, where it cannot be paused, the session closes with 1013), closes pass on, and the session ends once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Ending, HIGH_WATER, MAX_BUFFERED, Relay, type SessionStats } from "../../src/realtime/relay.ts";
import type { SocketEvents, UpstreamSide } from "../../src/realtime/types.ts";

class FakeSocket implements UpstreamSide {
  sent: [Uint8Array | string, boolean][] = [];
  buffered = 0;
  paused = false;
  closedWith: [number, string] | null = null;
  written = 0;
  events!: SocketEvents;
  constructor(readonly canPause: boolean) {}
  send(data: Uint8Array | string, text: boolean) {
    this.sent.push([data, text]);
    this.written += typeof data === "string" ? new TextEncoder().encode(data).byteLength : data.byteLength;
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  close(code: number, reason: string) {
    this.closedWith ??= [code, reason];
  }
  attach(events: SocketEvents) {
    this.events = events;
  }
}

function setup(clientCanPause = true) {
  const client = new FakeSocket(clientCanPause);
  const upstream = new FakeSocket(true);
  const ended: [Ending, SessionStats][] = [];
  const probed: number[] = [];
  const relay = new Relay(client, upstream, {
    fromUpstream: (p) => probed.push(p.byteLength),
    fromClient: () => {},
    ended: (e, s) => ended.push([e, { ...s }]),
  }, () => 0);
  return { client, upstream, ended, probed, relay };
}

const bytes = (s: string) => new TextEncoder().encode(s);

test("messages pass unchanged both ways, text as text and binary as binary, and are counted", () => {
  const { client, upstream, ended, probed } = setup();
  upstream.events.message(bytes('{"type":"x","t":"é"}'), true);
  upstream.events.message(new Uint8Array([0, 255, 7]), false);
  client.events.message("hi ✓", true);
  client.events.message(new Uint8Array([9]), false);
  assert.deepEqual(client.sent, [['{"type":"x","t":"é"}', true], [new Uint8Array([0, 255, 7]), false]]);
  assert.deepEqual(upstream.sent, [["hi ✓", true], [new Uint8Array([9]), false]]);
  assert.deepEqual(probed, [21, 3]);
  client.events.closed(1000, "bye");
  assert.deepEqual(upstream.closedWith, [1000, "bye"]);
  upstream.events.closed(1000, "bye");
  assert.equal(ended.length, 1);
  assert.deepEqual(ended[0]![0], { by: "client", code: 1000, reason: "bye" });
  assert.deepEqual(ended[0]![1], { bytesUp: 7, framesUp: 2, bytesDown: 24, framesDown: 2 });
});

test("a slow client pauses the upstream until it drains", () => {
  const { client, upstream } = setup();
  client.buffered = HIGH_WATER + 1;
  upstream.events.message(new Uint8Array(10), false);
  assert.equal(upstream.paused, true);
  client.events.drain(); // still above the mark: stays paused
  assert.equal(upstream.paused, true);
  client.buffered = 0;
  client.events.drain();
  assert.equal(upstream.paused, false);
});

test("a slow upstream pauses a client that can be paused; one that cannot is closed with 1013 past the limit", () => {
  const pausable = setup(true);
  pausable.upstream.buffered = HIGH_WATER + 1;
  pausable.client.events.message("x", true);
  assert.equal(pausable.client.paused, true);
  pausable.upstream.buffered = 0;
  pausable.upstream.events.drain();
  assert.equal(pausable.client.paused, false);

  const deno = setup(false);
  deno.upstream.buffered = HIGH_WATER + 1;
  deno.client.events.message("x", true);
  assert.equal(deno.client.paused, false, "cannot be paused: the bound applies instead");
  assert.equal(deno.client.closedWith, null);
  deno.upstream.buffered = MAX_BUFFERED + 1;
  deno.client.events.message("x", true);
  assert.equal(deno.client.closedWith?.[0], 1013);
  assert.equal(deno.upstream.closedWith?.[0], 1013);
  // Nothing more is relayed once the session is ending.
  const before = deno.upstream.sent.length;
  deno.client.events.message("late", true);
  assert.equal(deno.upstream.sent.length, before);
  deno.client.events.closed(1013, "");
  deno.upstream.events.closed(1013, "");
  assert.equal(deno.ended.length, 1);
});

test("a client that does not read is closed with 1013 once it holds more than the limit", () => {
  const { client, upstream, ended } = setup();
  client.buffered = MAX_BUFFERED + 1;
  upstream.events.message(new Uint8Array(1), false);
  assert.deepEqual(client.closedWith?.[0], 1013);
  client.events.closed(1013, "");
  upstream.events.closed(1013, "");
  assert.equal(ended[0]![0].by, "kestrel");
  assert.match(ended[0]![0].reason, /client not reading/);
});

test("the upstream's close reaches the client with its code, an abnormal end as 1006 for the relay to map", () => {
  const a = setup();
  a.upstream.events.closed(4001, "session expired");
  assert.deepEqual(a.client.closedWith, [4001, "session expired"]);
  a.client.events.closed(4001, "");
  assert.deepEqual(a.ended[0]![0], { by: "upstream", code: 4001, reason: "session expired" });

  const b = setup();
  b.upstream.events.closed(1006, "");
  // Passed to the client socket as 1006; the socket sends what that means on the wire (1001, relayCloseCode).
  assert.deepEqual(b.client.closedWith, [1006, ""]);
  b.client.events.closed(1001, "");
  assert.deepEqual(b.ended[0]![0], { by: "upstream", code: 1006, reason: "" });
});

test("invalid UTF-8 in an upstream text message closes the session with 1007", () => {
  const { client, upstream, ended } = setup();
  upstream.events.message(new Uint8Array([0x7b, 0xff, 0x7d]), true);
  assert.equal(client.sent.length, 0);
  assert.equal(client.closedWith?.[0], 1007);
  assert.equal(upstream.closedWith?.[0], 1007);
  client.events.closed(1007, "");
  upstream.events.closed(1007, "");
  assert.equal(ended.length, 1);
});

test("idle and shutdown ends close both sides with 1001 and say why", () => {
  const idle = setup();
  idle.relay.onIdle();
  assert.deepEqual(idle.client.closedWith, [1001, "idle timeout"]);
  idle.client.events.closed(1001, "");
  idle.upstream.events.closed(1001, "");
  assert.deepEqual(idle.ended[0]![0], { by: "kestrel", code: 1001, reason: "idle timeout", why: "idle" });

  const shut = setup();
  shut.relay.end("shutdown", 1001, "Kestrel is shutting down");
  shut.relay.end("idle", 1001, "idle timeout"); // the first end wins
  shut.client.events.closed(1001, "");
  shut.upstream.events.closed(1001, "");
  assert.equal(shut.ended.length, 1);
  assert.equal((shut.ended[0]![0] as { why: string }).why, "shutdown");
});
