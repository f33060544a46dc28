import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COST, hashPassword, verifyPassword } from '../../server/auth/passwords.ts';

// The test suites hash at a cheap cost (LIVELOG_TEST_CHEAP_PASSWORDS=1); these pin what a server,
// which never sets it, writes: OWASP's scrypt N=2^15, r=8, p=3.

test('a server hashes new passwords with scrypt N=2^15, r=8, p=3, and checks them', { timeout: 30_000 }, async () => {
  const saved = process.env.LIVELOG_TEST_CHEAP_PASSWORDS;
  delete process.env.LIVELOG_TEST_CHEAP_PASSWORDS;
  try {
    assert.deepEqual(COST, { N: 32768, r: 8, p: 3 });
    const hash = await hashPassword('correct horse battery');
    assert.match(hash, /^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    assert.equal(await verifyPassword('correct horse battery', hash), true);
    assert.equal(await verifyPassword('wrong horse battery', hash), false);
  } finally {
    if (saved !== undefined) process.env.LIVELOG_TEST_CHEAP_PASSWORDS = saved;
  }
});

test('the tests\' cheap hashes carry their own cost, so they verify like any stored hash', async () => {
  const saved = process.env.LIVELOG_TEST_CHEAP_PASSWORDS;
  process.env.LIVELOG_TEST_CHEAP_PASSWORDS = '1';
  try {
    const hash = await hashPassword('correct horse battery');
    assert.match(hash, /^scrypt\$1024\$8\$1\$/);
    assert.equal(await verifyPassword('correct horse battery', hash), true);
    assert.equal(await verifyPassword('wrong horse battery', hash), false);
  } finally {
    if (saved === undefined) delete process.env.LIVELOG_TEST_CHEAP_PASSWORDS;
    else process.env.LIVELOG_TEST_CHEAP_PASSWORDS = saved;
  }
});
