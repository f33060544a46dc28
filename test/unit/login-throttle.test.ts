import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../server/auth/login-throttle.ts';

const now = 10_000_000;

test('one address trying many names waits after 30 failures, longer after each further one', () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < 29; i++) throttle.failed('10.0.0.9', `made-up-${i}`, now);
  assert.equal(throttle.check('10.0.0.9', 'fresh-name', false, now), null, '29 failures are free');
  throttle.failed('10.0.0.9', 'made-up-29', now);
  const wait = throttle.check('10.0.0.9', 'fresh-name', false, now + 1000);
  assert.match(wait?.message ?? '', /Too many failed log-ins from your address; try again in 59 seconds/);
  assert.equal(throttle.check('10.0.0.10', 'fresh-name', false, now + 1000), null, 'other addresses are not held');
  throttle.failed('10.0.0.9', 'made-up-30', now + 61_000);
  assert.equal(throttle.check('10.0.0.9', 'fresh-name', false, now + 61_000)?.retryAfterSeconds, 120, 'doubled');
});

test('a browser that logged in as a name before is not held by its address, only by its own pair', () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < 40; i++) throttle.failed('10.0.0.9', `made-up-${i}`, now);
  assert.notEqual(throttle.check('10.0.0.9', 'reporter', false, now), null);
  assert.equal(throttle.check('10.0.0.9', 'reporter', true, now), null);
  for (let i = 0; i < 5; i++) throttle.failed('10.0.0.9', 'reporter', now);
  assert.match(throttle.check('10.0.0.9', 'reporter', true, now)?.message ?? '', /for this name/);
});

test('a success clears the pair but not the address count', () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < 30; i++) throttle.failed('10.0.0.9', `made-up-${i}`, now);
  throttle.succeeded('10.0.0.9', 'made-up-0');
  assert.notEqual(throttle.check('10.0.0.9', 'made-up-0', false, now), null);
});

test('failures are forgotten after a 10-minute pause', () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < 29; i++) throttle.failed('10.0.0.9', `made-up-${i}`, now);
  throttle.failed('10.0.0.9', 'late', now + 11 * 60_000);
  assert.equal(throttle.check('10.0.0.9', 'other', false, now + 11 * 60_000), null);
});

test('both maps stay bounded whatever the addresses and names', () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < 120_000; i++) throttle.failed(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `name-${i}`, now + i);
  assert.ok(throttle.size.pairs <= 100_000, `pairs: ${throttle.size.pairs}`);
  assert.ok(throttle.size.addresses <= 50_000, `addresses: ${throttle.size.addresses}`);
});

test('a burst sent at once gets no more guesses past the check than guesses sent one at a time', () => {
  const throttle = new LoginThrottle();
  const now = 5_000_000;
  const admitted = Array.from({ length: 18 }, () => throttle.check('192.0.2.9', 'alice', false, now)).filter((wait) => wait === null).length;
  assert.equal(admitted, 5, 'as many as the pair allows before its first wait');
  const refused = throttle.check('192.0.2.9', 'alice', false, now);
  assert.ok(refused && refused.retryAfterSeconds > 0);
  // The five end as failures: the pair is now locked as it would be after five guesses in a row.
  for (let i = 0; i < 5; i++) throttle.failed('192.0.2.9', 'alice', now);
  assert.match(throttle.check('192.0.2.9', 'alice', false, now + 1000)!.message, /Too many failed log-ins for this name/);
  // Checks that end without a verdict give their place back.
  assert.equal(throttle.check('192.0.2.10', 'bob', false, now), null);
  throttle.abandoned('192.0.2.10', 'bob');
  for (let i = 0; i < 5; i++) assert.equal(throttle.check('192.0.2.10', 'bob', false, now), null);
});
