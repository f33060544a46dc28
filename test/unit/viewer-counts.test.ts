import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ViewerCounts, type Viewers } from '../../server/live/presence.ts';
import { LocalPresence, type PresenceBoard } from '../../server/live/presence-local.ts';

// Viewers hear how many watch with them, across instances, and only when the number changes.

class FakeViewers implements Viewers {
  readonly here = new Map<string, number>();
  readonly sent: [string, unknown][] = [];
  counts(): Map<string, number> {
    return new Map(this.here);
  }
  broadcast(slug: string, frame: string): void {
    this.sent.push([slug, JSON.parse(frame)]);
  }
}

const logger = pino({ level: 'silent' });

test('viewers get the total of every instance, once per change of it', async () => {
  const board: PresenceBoard = new Map();
  const a = new FakeViewers();
  const b = new FakeViewers();
  const countsA = new ViewerCounts(a, new LocalPresence('a', 60_000, board), logger, 60_000);
  const countsB = new ViewerCounts(b, new LocalPresence('b', 60_000, board), logger, 60_000);
  a.here.set('match', 2);
  await countsA.round();
  assert.deepEqual(a.sent, [['match', { t: 'viewers', n: 2 }]]);
  b.here.set('match', 1);
  await countsB.round();
  await countsA.round();
  assert.deepEqual(b.sent, [['match', { t: 'viewers', n: 3 }]]);
  assert.deepEqual(a.sent.at(-1), ['match', { t: 'viewers', n: 3 }]);
  await countsA.round();
  assert.equal(a.sent.length, 2, 'an unchanged total is not sent again');
});

test('a stream whose viewers here all left gets no frame here, and its count here drops to none', async () => {
  const board: PresenceBoard = new Map();
  const a = new FakeViewers();
  const b = new FakeViewers();
  const countsA = new ViewerCounts(a, new LocalPresence('a', 60_000, board), logger, 60_000);
  const countsB = new ViewerCounts(b, new LocalPresence('b', 60_000, board), logger, 60_000);
  a.here.set('match', 2);
  b.here.set('match', 1);
  await countsA.round();
  await countsB.round();
  a.here.delete('match');
  await countsA.round();
  assert.equal(a.sent.length, 1, 'nobody here to tell');
  await countsB.round();
  assert.deepEqual(b.sent.at(-1), ['match', { t: 'viewers', n: 1 }]);
});
