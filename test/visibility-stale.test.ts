import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { addViewerLink } from '../server/log/access-commands.ts';
import { addAuthor, AUTHOR_PASSWORD, databaseUrl, testApp, type TestApp } from './helpers.ts';
import { Browser, loggedIn } from './browser.ts';

// Two instances, and the second has not yet heard of what the first just did (no doorbell, a long
// catch-up interval: the widest a lost ring makes the window). Whoever the first just admitted is
// admitted by the second too, at once: a refusal is decided on the latest log.

let t: TestApp;
let other: FastifyInstance;
const ADMIN = { id: 'test-admin', name: 'test admin', admin: true };
const env = { LIVELOG_RELAY: 'local', LIVELOG_CATCHUP_MS: '60000' };

before(async () => {
  t = await testApp(env);
  const config = loadConfig({ MONGODB_URL: databaseUrl(), LIVELOG_DB: t.database.db.databaseName, LOG_LEVEL: 'silent', ...env });
  other = await buildApp({ config, database: t.database, logger: pino({ level: 'silent' }) });
  await t.app.livelog.streams.create('all-hands', 'All hands', t.author._id, '', 'newest', 'private');
});
after(async () => {
  await other.close();
  await t.close();
});

test('a viewer link made on one instance opens on another at once, and so does a member just added', async () => {
  const member = await loggedIn(other, 'reporter', AUTHOR_PASSWORD);
  assert.equal((await member.request('GET', '/s/all-hands')).statusCode, 404, 'not a member yet (and the second instance has the stream in memory)');
  const projection = await t.app.livelog.projections.require('all-hands');
  const { key } = await addViewerLink(projection, { actor: ADMIN, key: 'link-made-on-a' });
  const holder = new Browser(other);
  assert.equal((await holder.request('GET', `/s/all-hands?key=${key}`)).statusCode, 303);
  assert.equal((await holder.request('GET', '/s/all-hands')).statusCode, 200);
  await addAuthor(t.app, 'all-hands', t.author);
  assert.equal((await member.request('GET', '/s/all-hands')).statusCode, 200);
});
