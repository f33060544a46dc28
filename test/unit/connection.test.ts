import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LiveConnection,
  MAX_BACKOFF_MS,
  RESTART_MAX_BACKOFF_MS,
  SILENCE_MS,
  admit,
} from '../../client/connection.ts';
import { CLOSE_GOING_AWAY, CLOSE_STREAM_GONE, type ChangeFrame } from '../../shared/protocol.ts';
import { FakeTimers, FakeTransports, RecordingListener } from './connection-fakes.ts';

// The page's live connection on a fake clock and fake transports: how it resumes, backs off, falls
// back to Server-Sent Events and notices what it missed.

const EPOCH = 'e1';
const post = (seq: number, id = `p${seq}`): ChangeFrame => ({ t: 'post', seq, id, createdSeq: seq, pinned: false, html: `<article>${id}</article>` });

function connection(seq = 0) {
  const timers = new FakeTimers();
  const transports = new FakeTransports();
  const listener = new RecordingListener();
  const live = new LiveConnection(EPOCH, seq, transports.open, listener, timers);
  live.connect();
  return { live, timers, transports, listener };
}

/** The retry the connection scheduled last (drop clears the watchdog, then schedules the retry). */
const lastDelay = (timers: FakeTimers) => timers.delays.at(-1);

test('the first connection is a websocket that resumes after the epoch and seq the page shows', () => {
  const { transports } = connection(7);
  assert.equal(transports.last.kind, 'websocket');
  assert.equal(transports.last.since, 'e1.7');
});

test('a reconnect resumes after the last change the page applied', () => {
  const { transports, timers, listener } = connection(3);
  const first = transports.last;
  first.events.opened();
  first.send({ t: 'hello', epoch: EPOCH, seq: 5, status: 'live' });
  first.send(post(5));
  first.send(post(6));
  first.events.closed(1006);
  assert.deepEqual(listener.states, ['live', 'reconnecting']);
  timers.advance(MAX_BACKOFF_MS);
  assert.equal(transports.links.length, 2);
  assert.equal(transports.last.since, 'e1.6');
});

test('failed attempts back off exponentially with full jitter up to a cap; an open link resets it', () => {
  const { transports, timers } = connection();
  transports.last.events.opened(); // websockets work here: no fallback muddles the count
  const waits: number[] = [];
  for (let i = 0; i < 9; i++) {
    transports.last.events.closed(1006);
    waits.push(lastDelay(timers)!);
    timers.runNext();
  }
  assert.deepEqual(waits, [250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  transports.last.events.opened();
  transports.last.events.closed(1006);
  assert.equal(lastDelay(timers), 250);
  timers.jitter = 0.5;
  timers.runNext();
  transports.last.events.closed(1006);
  assert.equal(lastDelay(timers), 250, 'half of the 500 ms window');
});

test('after two websocket attempts fail before opening, the page uses Server-Sent Events', () => {
  const { transports, timers } = connection();
  transports.last.events.closed(1006);
  timers.runNext();
  assert.equal(transports.last.kind, 'websocket');
  transports.last.events.closed(1006);
  timers.runNext();
  assert.equal(transports.last.kind, 'sse');
  transports.last.events.closed();
  timers.runNext();
  assert.equal(transports.last.kind, 'sse', 'and stays on them');
});

test('a websocket that opened and later closed does not count towards the fallback', () => {
  const { transports, timers } = connection();
  transports.last.events.closed(1006); // one failure before opening
  timers.runNext();
  transports.last.events.opened(); // resets the count
  transports.last.events.closed(1006);
  timers.runNext();
  transports.last.events.closed(1006);
  timers.runNext();
  assert.equal(transports.last.kind, 'websocket');
});

test('a hello from another epoch of the stream asks for a full reload and applies nothing', () => {
  const { transports, listener } = connection(4);
  transports.last.events.opened();
  transports.last.send({ t: 'hello', epoch: 'e2', seq: 2, status: 'live' });
  transports.last.send(post(1));
  assert.equal(listener.epochChanges, 1);
  assert.deepEqual(listener.changes, []);
});

test('replay may skip seqs; duplicates and stale frames are ignored', () => {
  const { transports, listener } = connection(2);
  const link = transports.last;
  link.events.opened();
  link.send({ t: 'hello', epoch: EPOCH, seq: 9, status: 'ended' });
  for (const seq of [1, 2, 4, 9, 9, 4, 10, 10, 11]) link.send(post(seq));
  assert.deepEqual(listener.statuses, ['ended']);
  assert.deepEqual(listener.changes.map((f) => f.seq), [4, 9, 10, 11]);
  assert.equal(link.closedByPage, false);
});

test('a jump in live seqs drops the link and resumes at once from what the page holds', () => {
  const { transports, timers, listener } = connection(0);
  const link = transports.last;
  link.events.opened();
  link.send({ t: 'hello', epoch: EPOCH, seq: 3, status: 'live' });
  link.send(post(3));
  link.send(post(4));
  link.send(post(6));
  assert.equal(link.closedByPage, true);
  assert.deepEqual(listener.changes.map((f) => f.seq), [3, 4]);
  assert.equal(lastDelay(timers), 250);
  timers.runNext();
  assert.equal(transports.last.since, 'e1.4');
});

test('a stream that no longer exists stops the page trying', () => {
  const { transports, timers, listener } = connection();
  transports.last.events.closed(CLOSE_STREAM_GONE);
  assert.deepEqual(listener.states, ['gone']);
  assert.equal(timers.runNext(), false);
  assert.equal(transports.links.length, 1);
});

test('silence longer than the heartbeat allows counts as a dead link; any frame keeps it alive', () => {
  const { transports, timers, listener } = connection();
  const link = transports.last;
  link.events.opened();
  timers.advance(SILENCE_MS - 1);
  link.send({ t: 'ping' });
  timers.advance(SILENCE_MS - 1);
  assert.equal(link.closedByPage, false);
  timers.advance(1);
  assert.equal(link.closedByPage, true);
  assert.deepEqual(listener.states, ['live', 'reconnecting']);
});

test('viewer counts are passed on', () => {
  const { transports, listener } = connection();
  transports.last.events.opened();
  transports.last.send({ t: 'viewers', n: 3 });
  assert.deepEqual(listener.viewerCounts, [3]);
});

test('after the server says it is restarting, the page retries on a short cap and stays on websockets', () => {
  const { transports, timers, listener } = connection();
  transports.last.events.opened();
  // Grow the backoff first, as a long outage would.
  for (let i = 0; i < 6; i++) {
    transports.last.events.closed(1006);
    timers.runNext();
    transports.last.events.opened();
  }
  transports.last.events.closed(CLOSE_GOING_AWAY);
  const waits = [lastDelay(timers)!];
  for (let i = 0; i < 8; i++) {
    timers.runNext();
    transports.last.events.closed(1006); // refused while the server is down
    waits.push(lastDelay(timers)!);
  }
  assert.deepEqual(waits, [250, 500, 1000, 2000, RESTART_MAX_BACKOFF_MS, 3000, 3000, 3000, 3000]);
  assert.ok(transports.links.every((link) => link.kind === 'websocket'));
  timers.runNext();
  transports.last.events.opened();
  assert.equal(listener.states.at(-1), 'live');
  // Back up: ordinary failures count again, on the ordinary cap.
  for (let i = 0; i < 8; i++) {
    transports.last.events.closed(1006);
    timers.runNext();
  }
  assert.equal(transports.last.kind, 'sse');
  assert.equal(Math.max(...timers.delays.filter((d) => d !== SILENCE_MS).slice(-3)), MAX_BACKOFF_MS);
});

test('going offline drops the link; coming back online skips the backoff wait', () => {
  const { live, transports, timers } = connection();
  transports.last.events.opened();
  live.disconnect();
  assert.equal(transports.last.closedByPage, true);
  assert.equal(transports.links.length, 1);
  live.reconnectNow();
  assert.equal(transports.links.length, 2);
  live.reconnectNow(); // already connecting: nothing more
  assert.equal(transports.links.length, 2);
  assert.equal(timers.runNext(), false, 'the skipped retry is gone');
});

test('admit: skip what the page holds, apply replay and the next seq, a jump in live seqs is a gap', () => {
  assert.equal(admit(5, 9, 5), 'skip');
  assert.equal(admit(5, 9, 8), 'apply');
  assert.equal(admit(9, 9, 10), 'apply');
  assert.equal(admit(9, 9, 11), 'gap');
});
