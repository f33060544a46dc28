import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTime } from '../../client/time.ts';

// How the page words a post's time: recent ones relative, with the clock; older ones in full.

test('a post under a minute old is "just now", under an hour "N min ago", older ones show date and time', () => {
  const at = new Date('2026-05-01T12:00:00Z');
  const clock = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  assert.equal(describeTime(at, at.getTime() + 20_000), `just now · ${clock}`);
  assert.equal(describeTime(at, at.getTime() + 5 * 60_000), `5 min ago · ${clock}`);
  assert.equal(describeTime(at, at.getTime() + 59 * 60_000), `59 min ago · ${clock}`);
  assert.equal(describeTime(at, at.getTime() + 60 * 60_000), at.toLocaleString());
});
