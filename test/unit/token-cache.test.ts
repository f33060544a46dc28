import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache } from '../../server/auth/token-cache.ts';

// A checked API token is believed for a while (two database reads saved per call), never longer,
// and at once no more when this process revokes it or changes its user.

function clock() {
  let now = 1_000;
  return {
    now: () => now,
    pass(ms: number) {
      now += ms;
    },
  };
}

test('a token is trusted for trustMs, then checked again', () => {
  const time = clock();
  const cache = new TokenCache<string>(5_000, 10, time.now);
  cache.set('t1', 'u1', 'use of t1');
  time.pass(4_999);
  assert.equal(cache.get('t1'), 'use of t1');
  time.pass(1);
  assert.equal(cache.get('t1'), undefined, 'expired at trustMs exactly');
});

test('trustMs 0 trusts nothing: every call is checked', () => {
  const cache = new TokenCache<string>(0);
  cache.set('t1', 'u1', 'use');
  assert.equal(cache.get('t1'), undefined);
});

test('revoking forgets the token; a user change forgets all of that user’s tokens and no others', () => {
  const cache = new TokenCache<string>(60_000);
  cache.set('a1', 'alice', 'a1');
  cache.set('a2', 'alice', 'a2');
  cache.set('b1', 'bob', 'b1');
  cache.forgetToken('a1');
  assert.equal(cache.get('a1'), undefined);
  assert.equal(cache.get('a2'), 'a2');
  cache.forgetUser('alice');
  assert.equal(cache.get('a2'), undefined);
  assert.equal(cache.get('b1'), 'b1');
});

test('bounded: past maxEntries the least recently checked token is dropped', () => {
  const cache = new TokenCache<number>(60_000, 3);
  for (let i = 0; i < 3; i++) cache.set(`t${i}`, 'u', i);
  cache.set('t0', 'u', 0); // checked again: now the newest
  cache.set('t3', 'u', 3);
  assert.equal(cache.get('t1'), undefined, 'the oldest went');
  assert.deepEqual(['t0', 't2', 't3'].map((t) => cache.get(t)), [0, 2, 3]);
  for (let i = 0; i < 10_000; i++) cache.set(`flood${i}`, 'u', i);
  assert.equal(cache.get('flood9999'), 9999);
  assert.equal(cache.get('flood9996'), undefined, 'a flood keeps only maxEntries');
});

test('a check still reading the database when its token or user is forgotten is not kept', () => {
  const cache = new TokenCache<string>(60_000);
  const revokedMeanwhile = cache.ticket();
  cache.forgetToken('t1'); // revoked while the check of t1 read the token record
  cache.set('t1', 'u1', 'read before the revoke', revokedMeanwhile);
  assert.equal(cache.get('t1'), undefined, 'revoked: checked afresh');
  const disabledMeanwhile = cache.ticket();
  cache.forgetUser('u2'); // disabled while the check of t2 read the user record
  cache.set('t2', 'u2', 'read before the disable', disabledMeanwhile);
  assert.equal(cache.get('t2'), undefined, 'disabled: checked afresh');
  cache.set('t3', 'u3', 'read after', cache.ticket());
  assert.equal(cache.get('t3'), 'read after');
});
