import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LiveHub, type ViewerTransport } from '../../server/live/hub.ts';
import { StreamProjection } from '../../server/log/projection.ts';
import { MemoryChangeStore } from '../../server/log/memory-store.ts';

// The hub's rules for cutting viewers, on a fake clock and fake transports: no database, no sockets.

const HEARTBEAT_MS = 1000;
const STALL_MS = 5000;

class FakeTransport implements ViewerTransport {
  buffered = 0;
  delivered = 0;
  answersProbes = true;
  terminated = false;
  readonly frames: string[] = [];
  private alive: () => void = () => {};
  private closed: () => void = () => {};
  send(frame: string): void {
    this.frames.push(frame);
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
    this.closed();
  }
  terminate(): void {
    this.terminated = true;
    this.closed();
  }
}

// The hub only reads the projection's state and listens to it; it never reads the log.
const projection = new StreamProjection(
  { _id: 'match', title: 'The match', description: '', epoch: 'e1', createdBy: 'u1', createdAt: new Date(0) },
  new MemoryChangeStore(),
);

let hub: LiveHub;
beforeEach(() => {
  mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
  hub = new LiveHub(pino({ level: 'silent' }), { heartbeatMs: HEARTBEAT_MS, maxBufferedBytes: 1_000_000, stallMs: STALL_MS });
});
afterEach(() => {
  hub.close();
  mock.timers.reset();
});

function viewer(): FakeTransport {
  const transport = new FakeTransport();
  hub.attach(projection, transport, 0);
  return transport;
}

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

test('a viewer past the unsent-bytes bound is cut on the next frame', () => {
  const flooded = viewer();
  flooded.buffered = 2_000_000;
  mock.timers.tick(HEARTBEAT_MS);
  assert.equal(flooded.terminated, true);
});

test('watched projections are the ones with viewers here', () => {
  assert.equal(hub.isWatched('match'), false);
  const one = viewer();
  assert.equal(hub.isWatched('match'), true);
  assert.deepEqual([...hub.watchedProjections()], [projection]);
  one.close();
  assert.equal(hub.isWatched('match'), false);
});
