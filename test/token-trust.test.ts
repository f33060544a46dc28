import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Tokens } from '../server/auth/tokens.ts';
import { Users } from '../server/auth/users.ts';
import { addAuthor, testApp, type TestApp } from './helpers.ts';
import { loggedIn, csrfFor } from './browser.ts';

// An API token checked once is trusted for LIVELOG_TOKEN_TRUST_MS (publishing then costs one
// database round trip, not three). Where a token is revoked or its user disabled, it stops at once;
// another process (another instance, a worker, the command line: here a Tokens or Users of its
// own on the same database) sees it within the trust time.

const apps: TestApp[] = [];
after(() => Promise.all(apps.map((t) => t.close())));

async function appWithTrust(ms: string) {
  const t = await testApp({ LIVELOG_TOKEN_TRUST_MS: ms });
  apps.push(t);
  const publish = async (token = t.token) =>
    (await t.app.inject({ method: 'POST', url: `/api/streams/${t.slug}/posts`, headers: { authorization: `Bearer ${token}` }, payload: { body: 'score 1-0' } })).statusCode;
  return { t, publish };
}

test('revoked by another process: trusted at most LIVELOG_TOKEN_TRUST_MS longer, then refused', async () => {
  const { t, publish } = await appWithTrust('400');
  assert.equal(await publish(), 201);
  const elsewhere = new Tokens(t.database);
  const [listed] = await elsewhere.list();
  await elsewhere.revoke(listed!.id);
  const revokedAt = Date.now();
  const statuses: number[] = [];
  while (Date.now() - revokedAt < 1_500) {
    const status = await publish();
    statuses.push(status);
    if (status === 401) break;
    await sleep(50);
  }
  assert.equal(statuses.at(-1), 401, 'refused in the end');
  assert.ok(Date.now() - revokedAt < 400 + 600, `refused within the trust time (${Date.now() - revokedAt} ms)`);
});

test('a user disabled by another process (the command line): refused within the trust time', async () => {
  const { t, publish } = await appWithTrust('400');
  assert.equal(await publish(), 201);
  await new Users(t.database).change(t.author.name, { disabled: true });
  await sleep(450);
  assert.equal(await publish(), 401);
});

test('revoked or disabled through this process: refused at once, whatever the trust time', async () => {
  const { t, publish } = await appWithTrust('60000');
  const users = new Users(t.database);
  await users.add('chief', 'editor at large', true);
  const second = await users.add('stringer', 'stringer password');
  await addAuthor(t.app, t.slug, second);
  const secondToken = await new Tokens(t.database).create(second, 'scoreboard');
  assert.equal(await publish(), 201);
  assert.equal(await publish(secondToken), 201);

  const admin = await loggedIn(t.app, 'chief', 'editor at large');
  const csrf = await csrfFor(admin, true);
  const [own] = (await t.app.livelog.tokens.list()).filter((listed) => listed.user === t.author.name);
  assert.equal((await admin.request('POST', `/admin/tokens/${own!.id}/revoke`, { _csrf: csrf })).statusCode, 303);
  assert.equal(await publish(), 401, 'the revoked token, at once');
  assert.equal((await admin.request('POST', '/admin/users/stringer', { _csrf: csrf, change: 'disable' })).statusCode, 303);
  assert.equal(await publish(secondToken), 401, 'the disabled user’s token, at once');
});

test('LIVELOG_TOKEN_TRUST_MS=0: every call asks the database', async () => {
  const { t, publish } = await appWithTrust('0');
  assert.equal(await publish(), 201);
  const elsewhere = new Tokens(t.database);
  await elsewhere.revoke((await elsewhere.list())[0]!.id);
  assert.equal(await publish(), 401);
});
