import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LiveHub } from '../../server/live/hub.ts';
import type { LiveFeed, LiveStream } from '../../server/live/live-stream.ts';
import type { ViewerTransport } from '../../server/live/transport.ts';
import { OutboundFrame } from '../../server/live/outbound.ts';

// The hub's delivery and its rules for cutting viewers, on a fake clock, a fake stream and fake
// transports: no database, no sockets.

const HEARTBEAT_MS = 1000;
const STALL_MS = 5000;
const MAX_BUFFERED = 1_000_000;

class FakeTransport implements ViewerTransport {
  readonly kind = 'websocket';
  buffered = 0;
  delivered = 0;
  answersProbes = true;
  terminated = false;
  closedPolitely = false;
  readonly frames: string[] = [];
  readonly seqs: (number | undefined)[] = [];
  private alive: () => void = () => {};
  private closed: () => void = () => {};
  send(frame: OutboundFrame): void {
    this.frames.push(frame.text);
    this.seqs.push(frame.seq);
  }
  batch(sends: () => void): void {
    sends();
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  deliveredBytes(): number {
    return this.delivered;
  }
  probe(): void {
    if (this.answersProbes) this.alive();
  }
  onAlive(callback: () => void): void {
    this.alive = callback;
  }
  onClose(callback: () => void): void {
    this.closed = callback;
  }
  close(): void {
    this.closedPolitely = true;
    this.closed();
  }
  terminate(): void {
    this.terminated = true;
    this.closed();
  }
  /** The seqs of the change frames received, in order. */
  changeSeqs(): number[] {
    return this.seqs.filter((seq): seq is number => seq !== undefined);
  }
}

interface FakeChange {
  seq: number;
  text: string;
}

/** A stream whose compacted log is whatever the test says, and which applies changes on demand. */
class FakeStream implements LiveStream<FakeChange> {
  head = 0;
  readonly log: FakeChange[] = [];
  readonly listeners = new Set<(change: FakeChange) => void>();
  constructor(readonly slug: string) {}
  changesSince(seq: number): FakeChange[] {
    return this.log.filter((change) => change.seq > seq);
  }
  /** Applies a change: the log and the head move, then listeners hear of it. */
  apply(text: string): FakeChange {
    const change = { seq: ++this.head, text };
    this.log.push(change);
    for (const listener of this.listeners) listener(change);
    return change;
  }
}

let framed = 0;
const feed: LiveFeed<FakeStream, FakeChange> = {
  hello: (stream) => JSON.stringify({ t: 'hello', seq: stream.head }),
  frame: (_stream, change) => {
    framed++;
    return new OutboundFrame(JSON.stringify({ t: 'post', seq: change.seq, text: change.text }), change.seq);
  },
  subscribe(stream, listener) {
    stream.listeners.add(listener);
    return () => stream.listeners.delete(listener);
  },
};

let hub: LiveHub<FakeStream, FakeChange>;
let stream: FakeStream;
beforeEach(() => {
  mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
  hub = new LiveHub(pino({ level: 'silent' }), { heartbeatMs: HEARTBEAT_MS, maxBufferedBytes: MAX_BUFFERED, stallMs: STALL_MS }, feed);
  stream = new FakeStream('match');
  framed = 0;
});
afterEach(() => {
  hub.close();
  mock.timers.reset();
});

function viewer(since = 0, of = stream): FakeTransport {
  const transport = new FakeTransport();
  hub.attach(of, transport, since);
  return transport;
}

test('a viewer gets hello, then every change after its resume point, then live changes, none twice', () => {
  for (const text of ['one', 'two', 'three']) stream.apply(text);
  const resumed = viewer(1);
  assert.equal(JSON.parse(resumed.frames[0]!).t, 'hello');
  assert.deepEqual(resumed.changeSeqs(), [2, 3]);
  stream.apply('four');
  // A change the viewer already has, heard again (a late listener, a repeated event): not resent.
  for (const listener of stream.listeners) listener(stream.log[2]!);
  stream.apply('five');
  assert.deepEqual(resumed.changeSeqs(), [2, 3, 4, 5]);
});

test('a viewer that is up to date gets hello and then only what comes next', () => {
  stream.apply('one');
  const current = viewer(1);
  assert.equal(current.frames.length, 1);
  stream.apply('two');
  assert.deepEqual(current.changeSeqs(), [2]);
});

test('a live change is serialised once and the same frame goes to every viewer', () => {
  const viewers = [viewer(), viewer(), viewer()];
  stream.apply('goal');
  assert.equal(framed, 1);
  const frames = viewers.map((v) => v.frames.at(-1));
  assert.ok(frames.every((frame) => frame === frames[0]));
});

test('a broadcast reaches every viewer of its stream and no one else', () => {
  const other = new FakeStream('other');
  const here = [viewer(), viewer()];
  const elsewhere = viewer(0, other);
  hub.broadcast('match', '{"t":"viewers","n":2}');
  for (const v of here) assert.equal(v.frames.at(-1), '{"t":"viewers","n":2}');
  assert.equal(elsewhere.frames.length, 1, 'only its hello');
  assert.deepEqual(Object.fromEntries(hub.counts()), { match: 2, other: 1 });
});

test('a viewer past the unsent-bytes bound is cut on the next change, and sent nothing more', () => {
  const flooded = viewer();
  const fine = viewer();
  flooded.buffered = MAX_BUFFERED + 1;
  stream.apply('goal');
  assert.equal(flooded.terminated, true);
  assert.deepEqual(flooded.changeSeqs(), []);
  assert.deepEqual(fine.changeSeqs(), [1]);
  assert.equal(hub.viewerCount('match'), 1);
});

test('a viewer past the unsent-bytes bound is cut on the next ping when nothing happens', () => {
  const flooded = viewer();
  flooded.buffered = 2 * MAX_BUFFERED;
  mock.timers.tick(HEARTBEAT_MS);
  assert.equal(flooded.terminated, true);
});

test('a viewer whose data waits while the kernel takes none of it is cut after the stall time, not before', () => {
  const stuck = viewer();
  stuck.buffered = 50_000;
  mock.timers.tick(STALL_MS - HEARTBEAT_MS);
  assert.equal(stuck.terminated, false, 'within the stall time');
  mock.timers.tick(2 * HEARTBEAT_MS);
  assert.equal(stuck.terminated, true);
  assert.equal(hub.viewerCount('match'), 0);
});

test('a slow viewer that keeps taking bytes is kept, however long data waits', () => {
  const slow = viewer();
  slow.buffered = 50_000;
  for (let i = 0; i < 30; i++) {
    slow.delivered += 100;
    mock.timers.tick(HEARTBEAT_MS);
  }
  assert.equal(slow.terminated, false);
});

test('a quiet viewer with nothing waiting is kept, though its byte count does not move', () => {
  const quiet = viewer();
  mock.timers.tick(10 * STALL_MS);
  assert.equal(quiet.terminated, false);
});

test('the stall clock restarts when the viewer catches up', () => {
  const viewerThatCatchesUp = viewer();
  viewerThatCatchesUp.buffered = 50_000;
  mock.timers.tick(STALL_MS - HEARTBEAT_MS);
  viewerThatCatchesUp.buffered = 0; // everything went out at once
  viewerThatCatchesUp.delivered += 50_000;
  mock.timers.tick(HEARTBEAT_MS);
  viewerThatCatchesUp.buffered = 10; // new data waits again: a new stall starts from here
  mock.timers.tick(STALL_MS - HEARTBEAT_MS);
  assert.equal(viewerThatCatchesUp.terminated, false);
  mock.timers.tick(2 * HEARTBEAT_MS);
  assert.equal(viewerThatCatchesUp.terminated, true);
});

test('a viewer that answers no probe is cut at the next heartbeat; one that answers stays', () => {
  const dead = viewer();
  const alive = viewer();
  dead.answersProbes = false;
  mock.timers.tick(HEARTBEAT_MS);
  assert.equal(dead.terminated, false, 'the first beat only asks');
  mock.timers.tick(HEARTBEAT_MS);
  assert.equal(dead.terminated, true);
  assert.equal(alive.terminated, false);
  assert.ok(alive.frames.filter((f) => f.includes('"ping"')).length >= 2, 'the live one got ping frames');
});

test('watched streams are the ones with viewers here; the last viewer out stops listening', () => {
  assert.equal(hub.isWatched('match'), false);
  const one = viewer();
  assert.equal(hub.isWatched('match'), true);
  assert.deepEqual([...hub.watchedProjections()], [stream]);
  assert.equal(stream.listeners.size, 1);
  one.close();
  assert.equal(hub.isWatched('match'), false);
  assert.equal(stream.listeners.size, 0);
});

test('closing the hub closes every viewer politely, so they reconnect and resume', () => {
  const viewers = [viewer(), viewer(0, new FakeStream('other'))];
  hub.close();
  assert.ok(viewers.every((v) => v.closedPolitely && !v.terminated));
  assert.equal(stream.listeners.size, 0);
});
