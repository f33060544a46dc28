import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCounts, encodeCounts } from '../../server/live/presence-mongo.ts';

// The one line in which an instance stores its viewer counts for the others to add up.

test('an instance\'s viewer counts read back as written, streams with nobody left out', () => {
  const line = encodeCounts(new Map([['keynote', 12], ['panel-2', 1], ['closing', 0]]));
  assert.equal(line, 'keynote=12 panel-2=1');
  assert.deepEqual(decodeCounts(line), new Map([['keynote', 12], ['panel-2', 1]]));
  assert.deepEqual(decodeCounts(encodeCounts(new Map())), new Map());
});

test('a malformed line (another version, a bug, a hostile write) counts none of what it cannot read', () => {
  assert.deepEqual(decodeCounts(undefined), new Map());
  assert.deepEqual(decodeCounts([{ stream: 'keynote', n: 3 }]), new Map());
  assert.deepEqual(decodeCounts('keynote=3 Evil=4 panel=-1 x=99999999999 =2 ok=2'), new Map([['keynote', 3], ['ok', 2]]));
});
