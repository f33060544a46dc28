import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartBackoff } from '../../server/db/embedded/restart-backoff.ts';

test('a database that keeps dying is retried after 0.5 s, doubling up to 30 s, and never given up on', () => {
  const backoff = new RestartBackoff();
  const delays = Array.from({ length: 10 }, () => backoff.next(0));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  assert.equal(backoff.attempt, 10);
  for (let i = 0; i < 1000; i++) assert.equal(backoff.next(0), 30_000);
});

test('a database that stayed up a minute is restarted quickly again after its next crash', () => {
  const backoff = new RestartBackoff();
  for (let i = 0; i < 5; i++) backoff.next(100);
  assert.equal(backoff.next(59_999), 16_000, 'less than a minute is not stable');
  assert.equal(backoff.next(60_000), 500);
  assert.equal(backoff.attempt, 1);
  assert.equal(backoff.next(0), 1000);
});
